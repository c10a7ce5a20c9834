from __future__ import annotations

import fcntl
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from trellis.local.emulator import free_port
from trellis.local.processes import child_preexec
from trellis.manifest import load_manifest
from trellis.testing._auth import SigV4, dev_token

#: ``trellis | ready in 2.1 s (...)``; an error's "already in use" also holds "ready in".
_READY_LINE = re.compile(r"^trellis\s*\|\s*ready in \d")


#: Held by a running DevProcess, under its project's ``.trellis/``.
LOCK_FILE = "dev-process.lock"


class DevProcess:
    """``trellis dev`` in a subprocess on free ports, for end-to-end tests.

    >>> with DevProcess("trellis.toml") as dev:          # doctest: +SKIP
    ...     httpx.get(f"{dev.base_url}/api/health")

    One project directory runs one stack at a time: ``trellis dev`` keeps its ports,
    auth material and local data under the project's ``.trellis/``, so a second
    DevProcess on the same project (another pytest-xdist worker, say) waits for the
    first to stop, up to ``lock_timeout_s``, instead of taking its files over.
    """

    def __init__(
        self,
        manifest: str | Path,
        *,
        env: dict[str, str] | None = None,
        iam: bool = True,
        ready_timeout_s: float = 30.0,
        args: Iterable[str] = (),
        lock_timeout_s: float = 600.0,
    ) -> None:
        self.manifest = Path(manifest).resolve()
        self.lock_timeout_s = lock_timeout_s
        self._lock_fd: int | None = None
        self.port = free_port()
        self.emulator_port = free_port()
        self.ready_timeout_s = ready_timeout_s
        self.extra_env = env or {}
        #: IAM enforcement (``trellis dev``'s default); False passes ``--no-iam``.
        self.iam = iam
        #: More ``trellis dev`` options, e.g. ``["--no-reload"]``.
        self.args = list(args)
        self.lines: list[str] = []
        self.ready_s: float | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._ready = threading.Event()
        #: True once the ready line was printed; `_ready` is also set at EOF, when it died first.
        self._saw_ready_line = False
        self._stopping = False
        self._reader: threading.Thread | None = None

    @property
    def pid(self) -> int:
        """The ``trellis dev`` process (its services and emulator run below it)."""
        assert self._proc is not None, "start() first"
        return self._proc.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def emulator_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    #: Starts tried on fresh ports when the chosen ones were taken meanwhile.
    PORT_ATTEMPTS = 3

    def start(self) -> DevProcess:
        """Start ``trellis dev`` and wait for its ready line (AssertionError with its output if not).

        The ports are free when chosen, but another process (a parallel test) may bind
        one before ``trellis dev`` does; it then exits saying so, and this tries again
        on other ports.
        """
        self._lock_project()
        try:
            return self._start_on_free_ports()
        except BaseException:
            self._unlock_project()
            raise

    def _lock_project(self) -> None:
        if self._lock_fd is not None:
            return
        path = self.manifest.parent / ".trellis" / LOCK_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.lock_timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise AssertionError(
                        f"another DevProcess kept {path} for {self.lock_timeout_s:.0f} s: "
                        "one project directory runs one trellis dev at a time"
                    ) from None
                time.sleep(0.2)
        self._lock_fd = fd

    def _unlock_project(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the lock

    def _start_on_free_ports(self) -> DevProcess:
        for _ in range(self.PORT_ATTEMPTS - 1):
            try:
                return self._start_once()
            except AssertionError:
                if "already in use" not in self.output():
                    raise
            self.port, self.emulator_port = free_port(), free_port()
        return self._start_once()

    def _start_once(self) -> DevProcess:
        self.lines = []
        self._ready.clear()
        self._saw_ready_line = False
        self._stopping = False
        argv = [
            sys.executable,
            "-m",
            "trellis",
            "--manifest",
            str(self.manifest),
            "dev",
            "--port",
            str(self.port),
            "--emulator-port",
            str(self.emulator_port),
            "--color",
            "never",
            *([] if self.iam else ["--no-iam"]),
            *self.args,
        ]
        started = time.monotonic()
        self._proc = subprocess.Popen(
            argv,
            cwd=self.manifest.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **self.extra_env},
            preexec_fn=child_preexec,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        # EOF also sets `_ready`: a stack that exits at start-up may not be reaped yet, so
        # poll() alone would take it for a ready one and every test would meet a closed port.
        woke = self._ready.wait(self.ready_timeout_s)
        if not woke or not self._saw_ready_line:
            # Woken without the ready line: its output ended, so it exited (or is exiting).
            exited = woke
            status = self._terminate()
            output = "\n".join(self.lines[-60:])
            why = (
                f"exited with status {status} before it was ready"
                if exited
                else f"was not ready within {self.ready_timeout_s:.0f} s"
            )
            raise AssertionError(f"trellis dev {why}:\n{output}")
        self.ready_s = time.monotonic() - started
        return self

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if _READY_LINE.match(line):
                self._saw_ready_line = True
                self._ready.set()
        self._ready.set()

    def output(self) -> str:
        return "\n".join(self.lines)

    # --- calling the routes as their auth requires ----------------------------------------

    def token(self, *, sub: str = "dev-user", scopes: Iterable[str] = (), ttl_s: int = 3600) -> str:
        """A bearer token this stack's gateway accepts on its jwt routes."""
        return dev_token(
            self.manifest, gateway_url=self.base_url, sub=sub, scopes=scopes, ttl_s=ttl_s
        )

    def bearer(self, **token_options: Any) -> dict[str, str]:
        """``{"authorization": "Bearer <token>"}`` for jwt routes (options as :meth:`token`)."""
        return {"authorization": f"Bearer {self.token(**token_options)}"}

    def _auth_state(self) -> Any:
        from trellis.local.auth import DevAuthState

        env = load_manifest(self.manifest).project.environments[0]
        state = DevAuthState.read(self.manifest.parent, env)
        assert state is not None, "trellis dev has not written its auth state (start() first)"
        return state

    def api_key(self, service: str | None = None) -> str:
        """The local ``x-api-key`` of an api_key service (the first one by default)."""
        keys: dict[str, str] = self._auth_state().api_keys
        assert keys, 'no service of this stack uses auth = "api_key"'
        return keys[service] if service is not None else next(iter(keys.values()))

    def invoker(self) -> SigV4:
        """httpx auth signing as the local invoker, which may call every iam route."""
        invoker = self._auth_state().invoker
        region = load_manifest(self.manifest).project.region
        return SigV4(invoker["access_key_id"], invoker["secret_access_key"], region)

    def stop(self, timeout_s: float = 20.0) -> int:
        """SIGTERM and wait; return the exit status (kill if it hangs). Frees the project."""
        try:
            return self._terminate(timeout_s)
        finally:
            self._unlock_project()

    def _terminate(self, timeout_s: float = 20.0) -> int:
        proc = self._proc
        if proc is None:
            return 0
        self._stopping = True
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._reader is not None:
            self._reader.join(5)
        return proc.returncode

    def __enter__(self) -> DevProcess:
        return self.start()

    def exited_on_its_own(self) -> bool:
        """True when ``trellis dev`` ended before :meth:`stop` asked it to."""
        return self._proc is not None and not self._stopping and self._proc.poll() is not None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        died = self.exited_on_its_own()
        status = self.stop()
        if exc is not None or died:
            # pytest shows the captured output of a failed test: the stack's log explains most failures.
            print("---- trellis dev output (last 200 lines) ----")
            print("\n".join(self.lines[-200:]))
        if died and exc is None:
            # A module-scoped stack that dies fails every later test with a refused connection
            # and no log; failing its teardown shows why it died.
            raise AssertionError(f"trellis dev exited on its own (status {status}) under its tests")
