from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

from trellis.local.emulator import free_port
from trellis.local.processes import child_preexec


class DevProcess:
    """``trellis dev`` in a subprocess on free ports, for end-to-end tests.

    >>> with DevProcess("trellis.toml") as dev:          # doctest: +SKIP
    ...     httpx.get(f"{dev.base_url}/api/health")
    """

    def __init__(
        self,
        manifest: str | Path,
        *,
        env: dict[str, str] | None = None,
        iam: bool = True,
        ready_timeout_s: float = 30.0,
    ) -> None:
        self.manifest = Path(manifest).resolve()
        self.port = free_port()
        self.emulator_port = free_port()
        self.ready_timeout_s = ready_timeout_s
        self.extra_env = env or {}
        #: IAM enforcement (``trellis dev``'s default); False passes ``--no-iam``.
        self.iam = iam
        self.lines: list[str] = []
        self.ready_s: float | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._ready = threading.Event()
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

    def start(self) -> DevProcess:
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
        if not self._ready.wait(self.ready_timeout_s) or self._proc.poll() is not None:
            output = "\n".join(self.lines[-40:])
            self.stop()
            raise AssertionError(
                f"trellis dev was not ready within {self.ready_timeout_s:.0f} s:\n{output}"
            )
        self.ready_s = time.monotonic() - started
        return self

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if "ready in" in line and line.startswith("trellis"):
                self._ready.set()
        self._ready.set()

    def output(self) -> str:
        return "\n".join(self.lines)

    def stop(self, timeout_s: float = 20.0) -> int:
        """SIGTERM and wait; return the exit status (kill if it hangs)."""
        proc = self._proc
        if proc is None:
            return 0
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

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if exc is not None:
            # pytest shows the captured output of a failed test: the stack's log explains most failures.
            print("---- trellis dev output (last 200 lines) ----")
            print("\n".join(self.lines[-200:]))
