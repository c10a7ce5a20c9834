"""What the server launchers share: credentials kept beside the data, process handling."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Protocol

from trellis.local.processes import child_preexec


class ServerError(RuntimeError):
    """A local server cannot start; the message says why (and where its log is)."""


class Credentials:
    """Generated passwords, kept in ``credentials.json`` (mode 0600) beside the data.

    They live as long as the data does: ``trellis dev --fresh`` wipes both.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            data: Any = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise ServerError(
                f"{self.path} is unreadable ({exc}); delete it or use --fresh"
            ) from exc
        return {str(k): str(v) for k, v in dict(data).items()}

    def password(self, user: str) -> str:
        """``user``'s password, generated (and saved) the first time it is asked for."""
        data = self._read()
        if user not in data:
            data[user] = secrets.token_urlsafe(24)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=2, sort_keys=True)
            tmp.replace(self.path)
        return data[user]


def choose_port(directory: Path, *, fresh: bool = False) -> int:
    """The port of the server's last run when it is free (URLs stay the same), else a free one.

    ``fresh``: a free one in any case (the last one was taken). The choice is saved for
    the next run.
    """
    from trellis.local.emulator import free_port, port_in_use

    saved = directory / "port"
    try:
        port = 0 if fresh else int(saved.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        port = 0
    if not port or port_in_use(port):
        port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    saved.write_text(f"{port}\n", encoding="utf-8")
    return port


#: Starts tried on fresh ports when the chosen one was taken before the server bound it.
PORT_ATTEMPTS = 3


def port_was_taken(log: Path, since: int) -> bool:
    """Whether what the server logged after byte ``since`` says its port was taken."""
    try:
        with log.open("rb") as f:
            f.seek(since)
            return b"Address already in use" in f.read()
    except OSError:
        return False


def log_size(log: Path) -> int:
    try:
        return log.stat().st_size
    except OSError:
        return 0


def spawn(argv: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start a server process that dies with this one, its output appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=child_preexec,
        )


def log_tail(log: Path, lines: int = 8) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def stop_process(proc: subprocess.Popen[bytes] | None, sig: int, timeout_s: float = 15) -> None:
    """Ask a server to stop with ``sig``; kill it if it has not within ``timeout_s``."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)


def wait_until_ready(
    proc: subprocess.Popen[bytes], ready: Any, log: Path, what: str, timeout_s: float = 30
) -> None:
    """Poll ``ready()`` until it returns True; fail with the log's tail if the server exits."""
    deadline = time.monotonic() + timeout_s
    delay = 0.01
    while True:
        if proc.poll() is not None:
            raise ServerError(f"{what} exited with status {proc.returncode}:\n{log_tail(log)}")
        if ready():
            return
        if time.monotonic() > deadline:
            stop_process(proc, signal.SIGKILL)
            raise ServerError(f"{what} was not ready within {timeout_s:.0f} s (log: {log})")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.1)


class LaunchedServer(Protocol):
    """What :func:`wait_launched` needs of a server launcher (PostgreSQL, Valkey)."""

    directory: Path
    port: int
    #: True when the launcher chose the port (it may choose another), not its caller.
    port_chosen: bool
    #: The log's size when the last launch started: what follows is that run's.
    log_offset: int
    proc: subprocess.Popen[bytes] | None

    @property
    def log(self) -> Path: ...

    def launch(self) -> None: ...

    def _ready(self) -> bool: ...


def wait_launched(server: LaunchedServer, what: str, timeout_s: float) -> None:
    """Wait for the launched server; if it exited because its port was taken, relaunch.

    The port is free when chosen, but until the server binds it another process (a
    parallel test, another stack) may bind it first; the server then exits saying so,
    and it is launched again on a new port (from this thread, as ``launch`` must be).
    A port the caller gave is never changed.
    """
    for attempt in range(1, PORT_ATTEMPTS + 1):
        assert server.proc is not None, "launch() first"
        try:
            wait_until_ready(server.proc, server._ready, server.log, what, timeout_s)
            return
        except ServerError:
            taken = server.port_chosen and port_was_taken(server.log, server.log_offset)
            if not taken or attempt == PORT_ATTEMPTS:
                raise
        server.port = choose_port(server.directory, fresh=True)
        server.launch()
