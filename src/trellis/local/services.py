"""Service processes under ``trellis dev``: Lambda functions and containers.

Each service runs in its own process with its own env vars, exactly as it
would be isolated in AWS. Output lines are prefixed with the service's name.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from trellis.local.emulator import free_port
from trellis.local.lambda_host import INVOKE_PATH
from trellis.local.processes import child_preexec

LogSink = Callable[[str, str], None]


class ServiceStartError(RuntimeError):
    """A service process exited or never became healthy."""


class ManagedProcess:
    """A child process whose output is forwarded line by line to a log sink."""

    def __init__(
        self, name: str, argv: list[str], env: dict[str, str], cwd: Path, log: LogSink
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.log = log
        self._proc: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            *self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=child_preexec,
            limit=2**20,
        )
        self._pump = asyncio.create_task(self._forward(self._proc))

    async def _forward(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while line := await proc.stdout.readline():
            self.log(self.name, line.decode(errors="replace").rstrip("\n"))

    async def wait(self) -> int | None:
        """Wait for the current child to exit; its status (None if none is running)."""
        proc = self._proc
        if proc is None:
            return None
        return await proc.wait()

    async def stop(self, grace_s: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after ``grace_s``; always reaps the child."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), grace_s)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self._pump is not None:
            await asyncio.wait([self._pump], timeout=1)
            self._pump.cancel()


@dataclass(frozen=True)
class InvokeResult:
    """What a Lambda invocation returned: a payload, or the error that replaced it."""

    payload: Any = None
    error: str | None = None
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


class LambdaFunction:
    """One warm Lambda instance of a service, invoked with events over loopback.

    Invocations run one at a time (one instance). One that outlives the
    function's timeout is ended like Lambda ends it: the instance is killed and
    the next invocation gets a fresh cold start.
    """

    def __init__(
        self,
        name: str,
        *,
        handler: str,
        function_name: str,
        env: dict[str, str],
        cwd: Path,
        timeout_s: int,
        memory_mb: int,
        log: LogSink,
    ) -> None:
        self.name = name
        self.handler = handler
        self.timeout_s = timeout_s
        self.port = free_port()
        argv = [
            sys.executable,
            "-m",
            "trellis.local.lambda_host",
            "--handler",
            handler,
            "--port",
            str(self.port),
            "--function-name",
            function_name,
            "--memory",
            str(memory_mb),
            "--timeout",
            str(timeout_s),
        ]
        self.process = ManagedProcess(name, argv, env, cwd, log)
        self._lock = asyncio.Lock()
        self._http = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.port}", timeout=timeout_s + 1.0
        )

    async def start(self, timeout_s: float = 20.0) -> None:
        await self.process.start()
        await _wait_healthy(self.process, self._http, "/ping", timeout_s)

    async def stop(self) -> None:
        await self.process.stop()
        await self._http.aclose()

    async def invoke(self, event: dict[str, Any]) -> InvokeResult:
        async with self._lock:
            if not self.process.running:
                await self._restart()
            try:
                resp = await self._http.post(INVOKE_PATH, content=json.dumps(event))
            except httpx.TimeoutException:
                self.process.log(self.name, f"Task timed out after {self.timeout_s:.2f} seconds")
                await self._restart()
                return InvokeResult(error="timeout", timed_out=True)
            except httpx.TransportError as exc:
                await self._restart()
                return InvokeResult(error=f"runtime exited: {exc}")
            payload = resp.json()
            if resp.headers.get("X-Amz-Function-Error"):
                return InvokeResult(
                    payload=payload, error=str(payload.get("errorType", "Unhandled"))
                )
            return InvokeResult(payload=payload)

    async def _restart(self) -> None:
        await self.process.stop(grace_s=0.5)
        await self.process.start()
        await _wait_healthy(self.process, self._http, "/ping", 20.0)


class ContainerService:
    """A container-runtime service (App Runner, ECS Express) under uvicorn."""

    def __init__(
        self, name: str, *, app: str, env: dict[str, str], cwd: Path, log: LogSink
    ) -> None:
        self.name = name
        self.port = free_port()
        env = {**env, "PORT": str(self.port)}
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "10",
        ]
        self.process = ManagedProcess(name, argv, env, cwd, log)
        self.base_url = f"http://127.0.0.1:{self.port}"

    async def start(self, timeout_s: float = 20.0) -> None:
        await self.process.start()
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2.0) as client:
            await _wait_healthy(self.process, client, "/health", timeout_s)

    async def supervise(self, stop: asyncio.Event, restart_delay_s: float = 1.0) -> None:
        """Start the container again when it dies, as ECS and App Runner replace a failed task."""
        while not stop.is_set():
            exited = asyncio.ensure_future(self.process.wait())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if stop.is_set() or not exited.done():
                exited.cancel()
                return
            status = exited.result()
            if status is None:
                return
            self.process.log(
                self.name, f"exited with status {status}; restarting in {restart_delay_s:.0f} s"
            )
            await asyncio.sleep(restart_delay_s)
            if stop.is_set():
                return
            try:
                await self.start()
            except ServiceStartError as exc:
                self.process.log(self.name, f"restart failed: {exc}")

    async def stop(self) -> None:
        await self.process.stop(grace_s=12.0)


async def _wait_healthy(
    process: ManagedProcess, client: httpx.AsyncClient, path: str, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not process.running:
            raise ServiceStartError(
                f"service {process.name} exited during start-up (see its log above)"
            )
        try:
            if (await client.get(path, timeout=1.0)).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise ServiceStartError(f"service {process.name} was not healthy within {timeout_s:.0f} s")
