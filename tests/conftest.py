"""Suite-wide collection rules: what may run in parallel (pytest-xdist) and what may not."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # End-to-end tests run `trellis dev` on shared stack directories (its ports file, its
    # local database and cache data live there) and measure timings: one worker runs them
    # all, one after the other, while the other workers take the rest.
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.xdist_group("e2e"))
