"""Suite-wide scheduling rules: what may run in parallel (pytest-xdist) and what may not.

`trellis dev` keeps its ports file, auth material and the data of its local databases and
caches under the project directory (.trellis/), and several end-to-end modules run it on
the same stack: two at once would take each other's. So under ``--dist loadgroup`` the
tests that run one on the repository's stacks are a single unit of work, on one worker,
one after the other (those on stacks of their own directories are a second); the other
workers take the rest, a module at a time (its module fixtures are built once).

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
#: End-to-end modules whose stacks live in their own temporary directories: they share
#: nothing with the others, so they are a second unit, beside the first.
_OWN_DIRECTORIES = {
    "tests/e2e/test_scaffold_project.py",
    "tests/e2e/test_dev_database_cache.py",
    "tests/e2e/test_dev_reload.py",
}
#: The unit of work of the tests on the repository's stacks (the example, tests/e2e/stacks).
TRELLIS_DEV_GROUP = "trellis-dev"
OWN_DIRECTORIES_GROUP = "trellis-dev-own-directories"


def trellis_dev_group(nodeid: str) -> str | None:
    """The unit of work of a test that runs `trellis dev`; None for the others."""
    path = nodeid.split("::", 1)[0]
    if path in _OWN_DIRECTORIES:
        return OWN_DIRECTORIES_GROUP
    if path.startswith("tests/e2e/") or path in _RUN_TRELLIS_DEV:
        return TRELLIS_DEV_GROUP
    return None


class _StackScheduling(LoadScopeScheduling):
    """The `trellis dev` tests in their units of work, first; the others by module."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        # Collection order (the group first, see below), not largest module first.
        config.option.loadscopereorder = False

    def _split_scope(self, nodeid: str) -> str:
        return trellis_dev_group(nodeid) or nodeid.split("::", 1)[0]


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") == "loadgroup":
        return _StackScheduling(config, log)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if getattr(config.option, "loadgroup", False):
        # On a worker: the groups are the longest units (minutes), so they start first.
        items.sort(key=lambda item: trellis_dev_group(item.nodeid) is None)
