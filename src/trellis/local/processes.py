"""Child processes that die with their parent, and only when it says so.

``trellis dev`` starts the emulator and one process per service. Each child
runs in its own session, so a terminal's Ctrl-C reaches only the supervisor,
which then stops services before the emulator they depend on. If the
supervisor is killed with SIGKILL it cannot clean up, so every child also asks
the kernel to send it SIGTERM when its parent dies (Linux ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def _load_prctl() -> object | None:
    """libc's ``prctl``, resolved once in the parent.

    ``ctypes.util.find_library`` runs ``ldconfig -p`` (a subprocess, tens of
    milliseconds): done between fork and exec it ran once per child, in a
    forked copy of a possibly threaded parent, where only async-signal-safe
    work belongs. Here it runs once, at import.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the C library the interpreter already has
        return libc.prctl
    except (OSError, AttributeError):
        name = ctypes.util.find_library("c")
        return None if name is None else ctypes.CDLL(name, use_errno=True).prctl


_PRCTL = _load_prctl()


def child_preexec() -> None:
    """Runs in the child between fork and exec: own session, die when the parent dies."""
    os.setsid()
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)  # type: ignore[operator]
