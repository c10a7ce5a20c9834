"""The embedded AWS emulator: moto's server, run from our own entry point.

It runs in a child process so that the gateway, the pollers and the services
don't share a GIL with it, and so that a test can stop and restart it to play
an outage. ``python -m trellis.local.emulator --port 4566`` serves it alone.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from trellis.local.processes import child_preexec

#: Credentials the emulator accepts; never real ones.
LOCAL_ACCESS_KEY = "testing"
LOCAL_SECRET_KEY = "testing"  # noqa: S105 - emulator-only placeholder
#: The key ``trellis dev`` tells people to export for the AWS CLI and boto3: the
#: conventional local one (LocalStack's, the AWS docs' examples).
CONVENTIONAL_ACCESS_KEY = "test"
CONVENTIONAL_SECRET_KEY = "test"  # noqa: S105 - emulator-only placeholder
#: Every key that is the emulator's administrator while IAM is enforced.
ADMIN_KEYS = (
    (LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY),
    (CONVENTIONAL_ACCESS_KEY, CONVENTIONAL_SECRET_KEY),
)
LOCAL_ACCOUNT_ID = "123456789012"
#: Where the emulator listens unless told otherwise (``trellis dev --emulator-port``).
EMULATOR_HOST = "127.0.0.1"
EMULATOR_PORT = 4566


def emulator_endpoint(port: int = EMULATOR_PORT, host: str = EMULATOR_HOST) -> str:
    """The emulator's URL: what ``AWS_ENDPOINT_URL`` points at."""
    return f"http://{host}:{port}"


class EmulatorError(RuntimeError):
    """The emulator did not start or stopped answering."""


#: Where :func:`free_port` looks first: below the kernel's ephemeral range, above well-known servers.
_PICKED_PORTS_FROM = 20_000
_random_ports = random.SystemRandom()


def _ephemeral_ports() -> tuple[int, int]:
    """The kernel's range for the local ports of outgoing connections (Linux's default if unknown)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as ports:
            low, high = (int(part) for part in ports.read().split())
    except (OSError, ValueError):
        return 32_768, 60_999
    return low, high


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing is bound to right now, outside the kernel's ephemeral range.

    A port the kernel hands out for ``bind(0)`` is an ephemeral one: until the server
    that was given it binds it, any outgoing connection (a client of the emulator,
    of PostgreSQL) may take it as its local port, and the server fails with "address
    already in use" (``trellis dev`` did, after starting its database). A port
    below that range is only ever taken by an explicit bind.
    """
    low, _ = _ephemeral_ports()
    if low - _PICKED_PORTS_FROM >= 1_000:
        for _ in range(64):
            port = _random_ports.randrange(_PICKED_PORTS_FROM, low)
            with socket.socket() as sock:
                try:
                    sock.bind((host, port))
                except OSError:
                    continue
                return port
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def reserve_port(host: str = "127.0.0.1") -> socket.socket:
    """A socket bound to a free port and not yet listening, for a child process to serve on.

    :func:`free_port` gives the port back at once, so until the child binds it anything
    else asking the kernel for a port may get the same one (parallel test workers did).
    A bound socket keeps it: the child inherits it (``pass_fds``) and listens on it, and
    until then a connection is refused as before. No ``SO_REUSEADDR``: a server that
    picked the same number earlier cannot bind it beside this one.
    """
    sock = socket.socket()
    sock.bind((host, 0))
    return sock


def bind_port(port: int, host: str = "127.0.0.1") -> socket.socket:
    """A socket bound to ``host:port`` (``0``: any free port) for a server, or OSError.

    Binding is the only honest check that a port is free (a connection test misses a
    socket bound and not yet listening, and another process may bind between the check
    and the server's start). ``SO_REUSEADDR`` as servers set it: the last run's closed
    connections (TIME_WAIT) do not block a restart on the same port.
    """
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


@dataclass
class Emulator:
    """A moto server child process on ``host:port`` (``port=0``: a free one, set at start).

    The parent binds the port and the server inherits the socket, so nothing else can
    take the port between the choice and the server's start.

    >>> emu = Emulator(port=free_port()).start()   # doctest: +SKIP
    >>> emu.client("sqs").list_queues()             # doctest: +SKIP
    >>> emu.stop()                                  # doctest: +SKIP
    """

    port: int = EMULATOR_PORT
    host: str = EMULATOR_HOST
    region: str = "us-east-1"
    #: Enforce IAM: every request is authorised against its caller's policies
    #: (the local key is the administrator). Off, any credentials may do anything.
    iam: bool = True
    #: Append each authorisation decision of a non-admin caller to this JSON-lines file.
    iam_log: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _shared: dict[tuple[str, str], Any] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _shared_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    @property
    def endpoint(self) -> str:
        return emulator_endpoint(self.port, self.host)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int:
        """The server's process id (benchmarks read its CPU time)."""
        if self._process is None:
            raise EmulatorError("the emulator is not running")
        return self._process.pid

    def start(self, timeout_s: float = 15.0, *, stdout: Any = subprocess.DEVNULL) -> Emulator:
        """Start the server and wait until it answers; raise :class:`EmulatorError` if not."""
        try:
            listener = bind_port(self.port, self.host)
        except OSError as exc:
            raise EmulatorError(
                f"port {self.port} is already in use ({exc.strerror}); stop what runs there "
                "or pick another with --emulator-port"
            ) from None
        with listener:
            self.port = int(listener.getsockname()[1])
            env = {**os.environ, **self.extra_env}
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "trellis.local.emulator",
                    "--host",
                    self.host,
                    "--port",
                    str(self.port),
                    "--fd",
                    str(listener.fileno()),
                    *(["--iam"] if self.iam else []),
                    *(["--iam-log", self.iam_log] if self.iam and self.iam_log else []),
                ],
                stdout=stdout,
                stderr=subprocess.STDOUT,
                env=env,
                preexec_fn=child_preexec,
                pass_fds=(listener.fileno(),),
            )
        self.wait_ready(timeout_s)
        return self

    def wait_ready(self, timeout_s: float = 15.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise EmulatorError(f"the emulator exited with status {self._process.returncode}")
            if self.healthy():
                return
            time.sleep(0.05)
        raise EmulatorError(
            f"the emulator did not answer on {self.endpoint} within {timeout_s:.0f} s"
        )

    def healthy(self) -> bool:
        try:
            status, _ = self.moto_api("/moto-api/config", timeout_s=1)
        except (urllib.error.URLError, OSError):
            return False
        return 200 <= status < 300

    def moto_api(
        self, path: str, *, method: str = "GET", body: bytes = b"", timeout_s: float = 10
    ) -> tuple[int, bytes]:
        """Call moto's own API (``/moto-api/...``) as the administrator: ``(status, body)``.

        With IAM enforced the emulator serves it only to requests signed with the
        admin key (it lists every key's secret, and can reset everything).
        """
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        url = self.endpoint + path
        signed = AWSRequest(method=method, url=url, data=body)
        S3SigV4Auth(Credentials(LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY), "s3", self.region).add_auth(
            signed
        )
        request = urllib.request.Request(  # noqa: S310 - loopback
            url, data=body or None, headers=dict(signed.headers), method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as resp:  # noqa: S310 - loopback
                return int(resp.status), bytes(resp.read())
        except urllib.error.HTTPError as exc:
            return int(exc.code), bytes(exc.read())

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the server; kill it if it does not exit in ``timeout_s``."""
        proc, self._process = self._process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def client(
        self,
        service: str,
        *,
        read_timeout_s: float = 30,
        max_attempts: int = 3,
        credentials: tuple[str, str] | None = None,
    ) -> Any:
        """A boto3 client for this emulator: administrative credentials unless given a key pair."""
        from botocore.config import Config

        from trellis.runtime._clients import new_session

        key, secret = credentials or (LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY)
        # A session of its own (boto3's default one is not thread-safe, and tests reset
        # it), over the process's one model loader.
        session = new_session(
            aws_access_key_id=key, aws_secret_access_key=secret, region_name=self.region
        )
        return session.client(
            service,
            endpoint_url=self.endpoint,
            config=Config(
                # Every call counted, the first included (botocore's "max_attempts" counts retries).
                retries={"mode": "standard", "total_max_attempts": max_attempts},
                connect_timeout=2,
                read_timeout=read_timeout_s,
                s3={"addressing_style": "path"},
                # S3 presigns SigV2 by default; the emulator, like S3 for new buckets, takes SigV4.
                signature_version="s3v4" if service == "s3" else None,
            ),
        )

    def shared_client(self, service: str) -> Any:
        """One administrative client per AWS service, made once and shared (thread-safe).

        For Trellis's own setup (provisioning, identities), which asks for a client per
        resource: making a boto3 client costs about as much as ten requests. Callers that
        register event hooks or change a client want their own, from :meth:`client`.
        """
        key = (self.endpoint, service)
        with self._shared_lock:
            found = self._shared.get(key)
            if found is None:
                found = self._shared[key] = self.client(service)
            return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the Trellis AWS emulator (moto).")
    parser.add_argument("--host", default=EMULATOR_HOST)
    parser.add_argument("--port", type=int, default=EMULATOR_PORT)
    parser.add_argument("--access-log", action="store_true", help="log every request on stderr")
    parser.add_argument("--fd", type=int, help="serve on this inherited socket, bound to --port")
    parser.add_argument(
        "--iam",
        action="store_true",
        help="enforce IAM (the local keys, testing/testing and test/test, are the administrator)",
    )
    parser.add_argument("--iam-log", help="append authorisation decisions to this JSON-lines file")
    args = parser.parse_args(argv)
    # moto builds queue URLs and the like from this.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    from moto import server

    _serialize_dynamodb()
    from trellis.local import _peek

    _peek.install()
    speedups = os.environ.get("TRELLIS_EMULATOR_SPEEDUPS", "1") != "0"
    if speedups:
        from trellis.local import _moto_speedups

        _moto_speedups.apply()
    if os.environ.get("TRELLIS_EMULATOR_FIDELITY", "1") != "0":
        # AWS's validation, semantics and shapes where moto differs (tests/conformance).
        from trellis.local import _fidelity

        _fidelity.apply()
    if not args.access_log:
        # One formatted line per AWS call, usually to /dev/null: about a tenth of the
        # emulator's time under load.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if args.iam:
        from trellis.local import iam_enforcement

        iam_enforcement.install(
            account_id=LOCAL_ACCOUNT_ID,
            admin_keys=ADMIN_KEYS,
            log_path=args.iam_log,
        )
    if not speedups:
        # moto's own server (werkzeug's), as moto runs it: the baseline of an A/B.
        if args.fd is None:
            server.main(["--host", args.host, "--port", str(args.port)])
        else:
            _serve_werkzeug_on(server, args.fd, args.host, args.port)
        return
    _serve(server, args.fd, args.host, args.port, access_log=args.access_log)


def _serve(moto_server: Any, fd: int | None, host: str, port: int, *, access_log: bool) -> None:
    """moto's application under the emulator's own HTTP server (``trellis.local._http``)."""
    from trellis.local import _http

    listening = socket.create_server((host, port)) if fd is None else socket.socket(fileno=fd)
    # An inherited socket is bound, not necessarily listening yet.
    listening.listen(128)
    if access_log:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    _http.serve(listening, _moto_app(moto_server), access_log=access_log)


def _serve_werkzeug_on(moto_server: Any, fd: int, host: str, port: int) -> None:
    """What ``moto.server.main`` runs, on a socket the parent bound (werkzeug's ``fd``)."""
    from werkzeug.serving import make_server

    with socket.socket(fileno=os.dup(fd)) as listening:
        # werkzeug takes an inherited socket as listening already (its reloader's is).
        listening.listen(128)
    make_server(
        host,
        port,
        _moto_app(moto_server),
        threaded=True,
        request_handler=moto_server.MotoRequestHandler,
        fd=fd,
    ).serve_forever()


def _moto_app(moto_server: Any) -> Any:
    """moto's WSGI application as ``moto.server.main`` builds it, with its signal handlers."""
    import signal

    signal.signal(signal.SIGINT, moto_server.signal_handler)
    signal.signal(signal.SIGTERM, moto_server.signal_handler)
    app = moto_server.DomainDispatcherApplication(moto_server.create_backend_app)
    app.debug = True
    return app


def _serialize_dynamodb() -> None:
    """Handle DynamoDB requests one at a time: DynamoDB applies each write atomically.

    moto's server is threaded and its DynamoDB backend takes no lock, so two
    conditional writes or transactions racing on one item could both pass
    their condition (measured: 2 of 100 rounds of four racing
    ``TransactWriteItems`` let two writers through, and some failed with a
    500). DynamoDB never allows that, and code that relies on conditions must
    be testable locally.
    """
    import threading

    from moto.dynamodb.responses import DynamoHandler

    lock = threading.Lock()
    handle = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with lock:
            return handle(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


if __name__ == "__main__":
    main()
