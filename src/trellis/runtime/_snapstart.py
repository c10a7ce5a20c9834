"""Restore safety for Lambda SnapStart: what a snapshot must not carry into its copies.

With SnapStart, Lambda runs the function's init once, snapshots the memory and
starts every later execution environment from a copy. What init made is then
shared by all copies: the state of :mod:`random` (every copy would draw the same
"random" numbers), open connections (one TCP socket, now owned by many
processes, or long dead), and credentials or signed tokens made before the
snapshot (they expire, and the restored environment has its own).

:func:`install` registers :func:`after_restore` with the runtime's
``snapshot_restore_py`` hooks (the library Lambda's Python 3.12+ runtimes
include) when it runs in Lambda; :func:`lambda_handler
<trellis.runtime.lambda_handler>` calls it. Registering costs nothing where
nothing is snapshotted: the hook then never runs. After a restore it re-seeds
:mod:`random` from the OS, drops every :class:`~trellis.runtime.AwsClients`'
clients and session (the next call builds them with the environment's own
credentials), and closes the database pools (with their IAM tokens) and the
cache clients: the next query opens a fresh connection.

Code of a service that holds its own connections registers its own reset::

    from trellis.runtime import on_restore

    on_restore(my_client.close)
"""

from __future__ import annotations

import os
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any, Final

from trellis.runtime._logging import get_logger

__all__ = ["after_restore", "install", "on_restore", "track_clients"]

_log = get_logger("trellis.runtime.snapstart")

#: Set by Lambda in every execution environment.
_IN_LAMBDA: Final = "AWS_LAMBDA_FUNCTION_NAME"

_resets: list[Callable[[], None]] = []
_clients: weakref.WeakSet[Any] = weakref.WeakSet()
_lock = threading.Lock()
_installed = False


def on_restore(reset: Callable[[], None]) -> Callable[[], None]:
    """Call ``reset`` in every environment restored from a snapshot (usable as a decorator)."""
    with _lock:
        _resets.append(reset)
    return reset


def track_clients(clients: Any) -> None:
    """Remember an :class:`~trellis.runtime.AwsClients` so a restore can reset it."""
    _clients.add(clients)


def after_restore() -> None:
    """Make this restored environment's own randomness, clients and connections."""
    import random

    # random's state was copied with the snapshot: seed it again from os.urandom.
    random.seed()
    for clients in list(_clients):
        clients.reset()
    # Loaded only if the service uses them: a restore never imports a driver.
    for module in ("trellis.runtime.database._pool", "trellis.runtime.cache._client"):
        loaded = sys.modules.get(module)
        if loaded is not None:
            loaded.close_all()
    with _lock:
        resets = list(_resets)
    for reset in resets:
        reset()
    _log.info("snapstart.restored", resets=len(resets))


def install() -> bool:
    """Register :func:`after_restore` with Lambda's runtime hooks; True if registered.

    Only in Lambda on Python 3.12+ (SnapStart's runtimes): elsewhere the library is
    absent and looking for it would cost an import search at every cold start.
    """
    global _installed
    if not os.environ.get(_IN_LAMBDA) or sys.version_info < (3, 12):
        return False
    with _lock:
        if _installed:
            return True
        try:
            # Lambda's Python runtime (3.12 and later) provides it; nowhere else has it.
            from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found]
        except ImportError:
            return False
        register_after_restore(after_restore)
        _installed = True
    return True
