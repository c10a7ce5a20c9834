"""Suite-wide scheduling rules: what may run in parallel (pytest-xdist) and what may not.

`trellis dev` keeps its ports file, auth material and the data of its local databases and
caches under the project directory (.trellis/), and several end-to-end modules run it on
the same stack: two at once would take each other's. So under ``--dist loadgroup`` every
test that runs one is a single unit of work, on one worker, one after the other; the
other workers take the rest, a module at a time (its module fixtures are built once).

pytest-xdist's own loadgroup reads ``xdist_group`` marks by rewriting each test's node id,
which pytest 9 no longer lets it do (``Node.nodeid`` is computed from ``_id``): the marks
grouped nothing and these tests ran on every worker at once. The scheduler below groups by
path instead.
"""

from __future__ import annotations

from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

#: Tests outside tests/e2e that run `trellis dev` on a shared project directory.
_RUN_TRELLIS_DEV = {"tests/delivery/test_smoke.py"}
#: The one unit of work that holds them all.
TRELLIS_DEV_GROUP = "trellis-dev"


def runs_trellis_dev(nodeid: str) -> bool:
    path = nodeid.split("::", 1)[0]
    return path.startswith("tests/e2e/") or path in _RUN_TRELLIS_DEV


class _StackScheduling(LoadScopeScheduling):
    """Every `trellis dev` test in one unit of work, first; the others by module."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        # Collection order (the group first, see below), not largest module first.
        config.option.loadscopereorder = False

    def _split_scope(self, nodeid: str) -> str:
        return TRELLIS_DEV_GROUP if runs_trellis_dev(nodeid) else nodeid.split("::", 1)[0]


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") == "loadgroup":
        return _StackScheduling(config, log)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if getattr(config.option, "loadgroup", False):
        # On a worker: the group is the longest unit (several minutes), so it starts first.
        items.sort(key=lambda item: not runs_trellis_dev(item.nodeid))
