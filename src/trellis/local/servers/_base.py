"""What the server launchers share: credentials kept beside the data, process handling."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

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


def choose_port(directory: Path) -> int:
    """The port of the server's last run when it is free (URLs stay the same), else a free one."""
    from trellis.local.emulator import free_port, port_in_use

    saved = directory / "port"
    try:
        port = int(saved.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        port = 0
    if not port or port_in_use(port):
        port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    saved.write_text(f"{port}\n", encoding="utf-8")
    return port


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
