"""Child processes that die with their parent.

``trellis dev`` starts the emulator and one process per service. If the
supervisor is killed with SIGKILL it cannot clean up, so every child asks the
kernel to send it SIGTERM when its parent dies (Linux ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import signal
import sys

_PR_SET_PDEATHSIG = 1


def child_preexec() -> None:
    """Runs in the child between fork and exec: die when the parent dies."""
    if not sys.platform.startswith("linux"):
        return
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return
    libc = ctypes.CDLL(libc_name, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
