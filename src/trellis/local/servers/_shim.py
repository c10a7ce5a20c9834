"""Run a server as an unprivileged user in a private mount namespace (root only).

Executed as a script (``python -I -S _shim.py``: it imports nothing of Trellis, so
it costs a bare interpreter's start) by the launchers in this package when
Trellis runs as root: PostgreSQL refuses to run as root, and the unprivileged
user it then runs as may be unable to open ``/dev/null`` (mode 000 on some CI
machines) or to reach the project's folder (under ``/root``). In a private mount
namespace, invisible to the rest of the machine, it mounts a tmpfs on the stage
directory, binds the given folders into it (reachable by any user), binds a
usable null device over ``/dev/null`` when asked, drops to the user and execs
the command, which keeps this process's pid.

Usage: ``_shim.py STAGE UID GID NULL(0|1) SRC=NAME... -- COMMAND...``
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_CLONE_NEWNS = 0x00020000
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_PR_SET_PDEATHSIG = 1


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def main(argv: list[str]) -> None:
    split = argv.index("--")
    stage, uid, gid, null, *binds = argv[:split]
    command = argv[split + 1 :]
    libc = ctypes.CDLL(None, use_errno=True)
    _check(libc.unshare(_CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    # Nothing mounted below happens outside this namespace.
    _check(libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "mount --make-rprivate /")
    _check(libc.mount(b"tmpfs", stage.encode(), b"tmpfs", 0, b"mode=755"), f"mount tmpfs {stage}")
    if null == "1":
        node = os.path.join(stage, "null")
        os.mknod(node, 0o666 | 0o020000, os.makedev(1, 3))
        os.chmod(node, 0o666)  # noqa: S103 - a null device is world-writable; mknod applied the umask
        _check(libc.mount(node.encode(), b"/dev/null", None, _MS_BIND, None), "bind /dev/null")
    for bind in binds:
        source, name = bind.rsplit("=", 1)
        target = os.path.join(stage, name)
        os.mkdir(target)
        _check(libc.mount(source.encode(), target.encode(), None, _MS_BIND, None), f"bind {source}")
    os.setgroups([])
    os.setgid(int(gid))
    os.setuid(int(uid))
    # A credential change cleared the parent-death signal the launcher asked for.
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() == 1:
        sys.exit(1)  # the launcher died before the signal was armed
    os.execv(command[0], command)  # noqa: S606 - the launcher built the argv


if __name__ == "__main__":
    main(sys.argv[1:])
