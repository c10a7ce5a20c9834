"""Suite-wide collection rules: what may run in parallel (pytest-xdist) and what may not."""

from __future__ import annotations

from pathlib import Path

import pytest

#: Tests outside tests/e2e that run `trellis dev` on a shared project directory.
_RUN_TRELLIS_DEV = {"tests/delivery/test_smoke.py"}
_ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # `trellis dev` keeps its ports file, auth material and the data of its local databases
    # and caches under the project directory (.trellis/): two on one stack directory would
    # take each other's. Every test that runs one goes to one worker, one after the other
    # (`-n 2 --dist loadgroup`); the other workers take the rest.
    for item in items:
        path = Path(str(item.path)).resolve()
        rel = path.relative_to(_ROOT).as_posix() if path.is_relative_to(_ROOT) else ""
        if item.get_closest_marker("e2e") is not None or rel in _RUN_TRELLIS_DEV:
            item.add_marker(pytest.mark.xdist_group("trellis-dev"))
