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


def child_preexec() -> None:
    """Runs in the child between fork and exec: own session, die when the parent dies."""
    os.setsid()
    if not sys.platform.startswith("linux"):
        return
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return
    libc = ctypes.CDLL(libc_name, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
