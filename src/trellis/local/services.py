"""Service processes under ``trellis dev``: Lambda functions and containers.

Each service runs in its own process (a Lambda function in one process per
instance) with its own env vars, exactly as it would be isolated in AWS.
Output lines are prefixed with the service's name.

A Lambda function scales as Lambda does: an invocation takes a warm idle
instance if there is one, otherwise starts a new instance (a cold start) up to
the function's cap, otherwise waits for one to free up; instances idle for
longer than ``idle_s`` are retired, down to one kept warm.

Both kinds reload: :meth:`LambdaFunction.reload` and
:meth:`ContainerService.reload` replace the service's processes with ones
running the code now on disk, started from a spare process that has the
libraries imported already (see :mod:`trellis.local._warm`). An edit that
breaks the start-up leaves the service *broken*: its error is kept in
:attr:`broken` (the gateway answers 502 with it) until the next reload works.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import re
import socket
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from trellis.local.emulator import reserve_port
from trellis.local.lambda_host import INVOKE_PATH
from trellis.local.processes import child_preexec

LogSink = Callable[[str, str], None]

#: Lines of a process's output kept to explain why it exited.
_TAIL_LINES = 60
#: The last line of a Python traceback: ``SomeError: message`` (or a bare ``SomeError``).
_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning))(:.*)?$")
#: Instances one Lambda function may run at once when the manifest sets no cap.
DEFAULT_LOCAL_INSTANCES = 10
#: Seconds an idle instance stays warm before it is retired (Lambda keeps them minutes).
DEFAULT_IDLE_S = 300.0


class ServiceStartError(RuntimeError):
    """A service process exited or never became healthy."""


class ManagedProcess:
    """A child process whose output is forwarded line by line to a log sink.

    With ``warm=True`` the child is a spare (:mod:`trellis.local._warm`): it
    imports the libraries and waits; :meth:`go` lets it run ``argv``. A
    ``listener`` (from :func:`~trellis.local.emulator.reserve_port`) is passed to
    the child under its own descriptor number and closed here by :meth:`stop`.
    """

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        cwd: Path,
        log: LogSink,
        *,
        warm: bool = False,
        announce: bool = False,
        listener: socket.socket | None = None,
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.log = log
        self.warm = warm
        #: A spare that shows what it will run on its command line (it will run it soon).
        self.announce = announce
        self.listener = listener
        #: The last lines the process printed, to say why it exited.
        self.tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
        self._proc: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def start(self) -> None:
        argv = self.argv
        if self.warm:
            # A spare: what it will run (argv is `python -m MODULE ARGS`) comes with `go`;
            # an announced one shows it already, for `ps` and whoever looks for the service.
            argv = [argv[0], "-m", "trellis.local._warm", *(argv[1:] if self.announce else [])]
        self.tail.clear()
        self._proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=self.cwd,
            env=self.env,
            stdin=asyncio.subprocess.PIPE if self.warm else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=child_preexec,
            pass_fds=() if self.listener is None else (self.listener.fileno(),),
            limit=2**20,
        )
        self._pump = asyncio.create_task(self._forward(self._proc))

    def take_over(self, argv: list[str], env: dict[str, str]) -> bool:
        """Make this running spare the process of ``argv`` with ``env`` (sent by :meth:`go`).

        False, and nothing changes, when it cannot be: it is not a running spare, or
        ``env`` differs in what an interpreter reads only when it starts (``PYTHON*``,
        ``LD_*``), which only a new process would honour.
        """
        if not (self.warm and self.running) or _startup_vars(env) != _startup_vars(self.env):
            return False
        self.argv, self.env = argv, env
        return True

    async def go(self) -> None:
        """Let a spare run its module (it has been importing the libraries meanwhile)."""
        proc = self._proc
        if proc is None or proc.stdin is None:
            raise ServiceStartError(f"service {self.name}: no spare process to start")
        order = {"argv": self.argv[2:], "env": self.env}
        proc.stdin.write(json.dumps(order).encode() + b"\n")
        with contextlib.suppress(ConnectionError):
            await proc.stdin.drain()

    async def _forward(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while line := await proc.stdout.readline():
            text = line.decode(errors="replace").rstrip("\n")
            self.tail.append(text)
            self.log(self.name, text)

    def exit_reason(self) -> str:
        """The exception that ended the process, from its last lines (or its exit status)."""
        for line in reversed(self.tail):
            match = _EXCEPTION_LINE.match(line.strip())
            if match:
                return line.strip()
        status = self._proc.returncode if self._proc is not None else None
        return f"exited with status {status}" if status is not None else "did not start"

    async def wait(self) -> int | None:
        """Wait for the current child to exit; its status (None if none is running)."""
        proc = self._proc
        if proc is None:
            return None
        return await proc.wait()

    def release(self) -> None:
        """Close the listener: its port is free once no child holds it either."""
        if self.listener is not None:
            self.listener.close()

    async def stop(self, grace_s: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after ``grace_s``; always reaps the child."""
        proc, self._proc = self._proc, None
        self.release()
        if proc is None:
            return
        if proc.returncode is None:
            if proc.stdin is not None:
                proc.stdin.close()
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
    #: The function could not start (its code does not import): nothing ran.
    init_error: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def _startup_vars(env: dict[str, str]) -> dict[str, str]:
    """The variables a Python process reads once, as it starts."""
    return {k: v for k, v in env.items() if k.startswith(("PYTHON", "LD_"))}


class _Instance:
    """One Lambda execution environment: a ``lambda_host`` process on its own port."""

    def __init__(
        self,
        fn: LambdaFunction,
        generation: int,
        *,
        warm: bool,
        announce: bool = False,
    ) -> None:
        listener = reserve_port()
        self.port = int(listener.getsockname()[1])
        self.generation = generation
        self.process = ManagedProcess(
            fn.name,
            fn.argv(self.port, fd=listener.fileno()),
            fn.env,
            fn.cwd,
            fn.log,
            warm=warm,
            announce=announce,
            listener=listener,
        )
        self.http = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.port}", timeout=fn.timeout_s + 1.0
        )
        self.last_used = time.monotonic()

    async def stop(self) -> None:
        await self.process.stop(grace_s=0.5)
        await self.http.aclose()


class LambdaFunction:
    """The local instances of one Lambda function, invoked with events over loopback.

    Each instance runs one invocation at a time, as on Lambda. An invocation
    that outlives the function's timeout is ended like Lambda ends it: its
    instance is killed, and a later invocation gets a fresh cold start.
    ``max_instances`` caps the instances (the function's reserved concurrency,
    else a local cap); ``idle_s`` retires instances unused that long, keeping
    one warm.
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
        max_instances: int = 1,
        idle_s: float = DEFAULT_IDLE_S,
    ) -> None:
        self.name = name
        self.handler = handler
        self.function_name = function_name
        self.env = env
        self.cwd = cwd
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.log = log
        self.max_instances = max(1, max_instances)
        self.idle_s = idle_s
        #: Why the function cannot start (its code does not import); None when it can.
        self.broken: str | None = None
        #: Cold starts so far (the first instance, scale-outs, replacements, reloads).
        self.cold_starts = 0
        self._generation = 0
        self._idle: list[_Instance] = []
        self._busy: set[_Instance] = set()
        self._starting = 0
        self._changed = asyncio.Condition()
        self._spare: _Instance | None = None
        self._spare_task: asyncio.Task[None] | None = None
        self._prestarted: _Instance | None = None
        self._reaper: asyncio.Task[None] | None = None
        self._reloading = False
        self._closed = False

    def argv(self, port: int, *, fd: int | None = None) -> list[str]:
        """The Lambda host's command on ``port`` (served on the inherited socket ``fd``)."""
        return [
            sys.executable,
            "-m",
            "trellis.local.lambda_host",
            "--handler",
            self.handler,
            "--port",
            str(port),
            "--function-name",
            self.function_name,
            "--memory",
            str(self.memory_mb),
            "--timeout",
            str(self.timeout_s),
            *([] if fd is None else ["--fd", str(fd)]),
        ]

    @property
    def concurrency(self) -> int:
        """Invocations that can run at once (what the event source may have in flight)."""
        return self.max_instances

    @property
    def instances(self) -> int:
        """Instances running now (idle, busy and starting)."""
        return len(self._idle) + len(self._busy) + self._starting

    @property
    def busy(self) -> int:
        return len(self._busy)

    @property
    def pids(self) -> list[int]:
        """Process ids of the running instances (tests watch them across reloads)."""
        return [pid for inst in [*self._idle, *self._busy] if (pid := inst.process.pid) is not None]

    async def prestart(self) -> None:
        """Start the first instance's process now, with :attr:`env` as it is so far.

        It loads the libraries (:mod:`trellis.local._warm`) until :meth:`start` hands
        it the final :attr:`env`; ``trellis dev`` calls this before the resources
        (whose addresses and keys the environment holds) exist.
        """
        if self._prestarted is None:
            instance = _Instance(self, self._generation, warm=True, announce=True)
            await instance.process.start()
            self._prestarted = instance

    async def start(self, timeout_s: float = 20.0) -> None:
        """Start the first instance (raise :class:`ServiceStartError` if it cannot start).

        A :meth:`prestart` process becomes that instance when it can
        (:meth:`ManagedProcess.take_over`); otherwise it is stopped and a new one starts.
        """
        instance = None
        candidate, self._prestarted = self._prestarted, None
        if candidate is not None:
            if candidate.process.take_over(candidate.process.argv, self.env):
                instance = await self._start_spare(candidate, timeout_s)
            else:
                await candidate.stop()
        if instance is None:
            instance = await self._cold_start(warm=False, timeout_s=timeout_s)
        self._idle.append(instance)
        if self._reaper is None:
            self._reaper = asyncio.create_task(self._retire_idle())

    async def stop(self) -> None:
        self._closed = True
        for task in (self._reaper, self._spare_task):
            if task is not None:
                task.cancel()
        spare, self._spare = self._spare, None
        early, self._prestarted = self._prestarted, None
        instances = [*self._idle, *self._busy, *(i for i in (spare, early) if i is not None)]
        self._idle.clear()
        self._busy.clear()
        await asyncio.gather(*(i.stop() for i in instances))

    async def invoke(self, event: dict[str, Any]) -> InvokeResult:
        if self.broken is not None:
            return InvokeResult(error=self.broken, init_error=True)
        try:
            instance = await self._acquire()
        except ServiceStartError as exc:
            return InvokeResult(error=str(exc), init_error=True)
        try:
            return await self._invoke_on(instance, event)
        finally:
            await self._release(instance)

    async def _invoke_on(self, instance: _Instance, event: dict[str, Any]) -> InvokeResult:
        try:
            resp = await instance.http.post(INVOKE_PATH, content=json.dumps(event))
        except httpx.TimeoutException:
            self.log(self.name, f"Task timed out after {self.timeout_s:.2f} seconds")
            await instance.process.stop(grace_s=0)
            return InvokeResult(error="timeout", timed_out=True)
        except httpx.TransportError as exc:
            await instance.process.stop(grace_s=0)
            return InvokeResult(error=f"runtime exited: {exc}")
        payload = resp.json()
        if resp.headers.get("X-Amz-Function-Error"):
            return InvokeResult(payload=payload, error=str(payload.get("errorType", "Unhandled")))
        return InvokeResult(payload=payload)

    async def _acquire(self) -> _Instance:
        """A warm idle instance of the current code, else a new one, else wait for one."""
        async with self._changed:
            while True:
                if self._reloading:
                    # A save was noticed: no invocation runs the old code from here on.
                    await self._changed.wait()
                    continue
                while self._idle:
                    # The most recently used first, as Lambda reuses the warmest environment.
                    instance = self._idle.pop()
                    if instance.process.running and instance.generation == self._generation:
                        self._busy.add(instance)
                        return instance
                    asyncio.create_task(instance.stop())  # noqa: RUF006 - stopping it needs no watching
                if self.broken is not None:
                    raise ServiceStartError(self.broken)
                if self.instances < self.max_instances:
                    self._starting += 1
                    break
                await self._changed.wait()
        try:
            instance = await self._cold_start(warm=False)
        except ServiceStartError:
            async with self._changed:
                self._starting -= 1
                self._changed.notify_all()
            raise
        async with self._changed:
            self._starting -= 1
            self._busy.add(instance)
        return instance

    async def _release(self, instance: _Instance) -> None:
        async with self._changed:
            self._busy.discard(instance)
            current = instance.generation == self._generation and not self._closed
            if current and instance.process.running:
                instance.last_used = time.monotonic()
                self._idle.append(instance)
            self._changed.notify_all()
        if not (current and instance.process.running):
            await instance.stop()

    async def _cold_start(self, *, warm: bool, timeout_s: float = 20.0) -> _Instance:
        instance = _Instance(self, self._generation, warm=warm)
        self.cold_starts += 1
        await instance.process.start()
        if warm:
            await instance.process.go()
        try:
            await _wait_healthy(instance.process, instance.http, "/ping", timeout_s)
        except ServiceStartError:
            reason = instance.process.exit_reason()
            await instance.stop()
            raise ServiceStartError(f"{self.name} failed to start: {reason}") from None
        return instance

    async def _retire_idle(self) -> None:
        while True:
            await asyncio.sleep(max(0.05, min(self.idle_s / 4, 5.0)))
            now = time.monotonic()
            retired: list[_Instance] = []
            async with self._changed:
                # Oldest first; the most recently used instance always stays warm.
                for instance in list(self._idle[:-1]):
                    if now - instance.last_used > self.idle_s:
                        self._idle.remove(instance)
                        retired.append(instance)
            for instance in retired:
                await instance.stop()

    # --- hot reload -----------------------------------------------------------------------

    def prepare_reload(self) -> None:
        """Start a spare instance in the background, so that the next reload is quick.

        ``trellis dev`` calls it when the stack is quiet: a spare importing the
        libraries takes CPU the running services would miss.
        """
        if self._closed or self._spare is not None or self._spare_task is not None:
            return
        self._spare_task = asyncio.create_task(self._make_spare())

    async def _make_spare(self) -> None:
        spare = _Instance(self, -1, warm=True)
        try:
            await spare.process.start()
            self._spare = spare
        finally:
            self._spare_task = None

    async def reload(self, changed: Iterable[Path] = ()) -> None:
        """Replace every instance with one running the code on disk now.

        ``changed`` are the files saved: their cached bytecode is dropped first.

        Busy instances finish their invocation first (they are retired when it
        ends). If the new code does not start, the function is broken until a
        later reload starts it: :attr:`broken` says why.
        """
        forget_bytecode(changed)
        if self._spare_task is not None:
            await asyncio.shield(self._spare_task)
        spare, self._spare = self._spare, None
        async with self._changed:
            self._generation += 1
            old, self._idle = self._idle, []
            self._reloading = True
            self._starting += 1
        await asyncio.gather(*(i.stop() for i in old))
        try:
            instance = await self._start_spare(spare)
        except ServiceStartError as exc:
            async with self._changed:
                self._starting -= 1
                self._reloading = False
                self.broken = str(exc)
                self._changed.notify_all()
            raise
        async with self._changed:
            self._starting -= 1
            self._reloading = False
            self.broken = None
            self._idle.append(instance)
            self._changed.notify_all()

    async def _start_spare(self, spare: _Instance | None, timeout_s: float = 20.0) -> _Instance:
        if spare is None or not spare.process.running:
            if spare is not None:
                await spare.stop()
            return await self._cold_start(warm=False, timeout_s=timeout_s)
        spare.generation = self._generation
        self.cold_starts += 1
        await spare.process.go()
        try:
            await _wait_healthy(spare.process, spare.http, "/ping", timeout_s)
        except ServiceStartError:
            reason = spare.process.exit_reason()
            await spare.stop()
            raise ServiceStartError(f"{self.name} failed to start: {reason}") from None
        return spare


class ContainerService:
    """A container-runtime service (App Runner, ECS Express) under uvicorn: one task."""

    def __init__(
        self, name: str, *, app: str, env: dict[str, str], cwd: Path, log: LogSink
    ) -> None:
        self.name = name
        self.app = app
        self.env = env
        self.cwd = cwd
        self.log = log
        #: Why the service cannot start (its code does not import); None when it can.
        self.broken: str | None = None
        self.process, self.port = self._new_process(warm=False)
        self._spare: tuple[ManagedProcess, int] | None = None
        self._spare_task: asyncio.Task[None] | None = None
        self._prestarted: tuple[ManagedProcess, int] | None = None
        self._reloaded = asyncio.Event()

    @property
    def base_url(self) -> str:
        """Where the current process listens (it changes when the service reloads)."""
        return f"http://127.0.0.1:{self.port}"

    def _new_process(self, *, warm: bool, announce: bool = False) -> tuple[ManagedProcess, int]:
        listener = reserve_port()
        port = int(listener.getsockname()[1])
        argv, env = self._command(port, listener.fileno())
        process = ManagedProcess(
            self.name,
            argv,
            env,
            self.cwd,
            self.log,
            warm=warm,
            announce=announce,
            listener=listener,
        )
        return process, port

    def _command(self, port: int, fd: int) -> tuple[list[str], dict[str, str]]:
        """uvicorn on the socket ``fd``, which its parent bound to ``port`` for it."""
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            self.app,
            "--fd",
            str(fd),
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "10",
        ]
        return argv, {**self.env, "PORT": str(port)}

    async def prestart(self) -> None:
        """Start the task's process now, with :attr:`env` as it is so far (as for Lambda)."""
        if self._prestarted is None:
            process, port = self._new_process(warm=True, announce=True)
            await process.start()
            self._prestarted = (process, port)

    async def start(self, timeout_s: float = 20.0) -> None:
        """Start the task with :attr:`env`, in the :meth:`prestart` process when it can be."""
        early, self._prestarted = self._prestarted, None
        if early is not None:
            process, port = early
            assert process.listener is not None
            if process.take_over(*self._command(port, process.listener.fileno())):
                self.process, self.port = process, port
                await process.go()
                await self._wait(process, port, timeout_s)
                return
            await process.stop()
        if not self.process.running:
            # Built with the environment of its time; :attr:`env` may have changed since.
            self.process.release()
            self.process, self.port = self._new_process(warm=False)
        await self.process.start()
        await self._wait(self.process, self.port, timeout_s)

    async def _wait(self, process: ManagedProcess, port: int, timeout_s: float) -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2.0) as client:
            try:
                await _wait_healthy(process, client, "/health", timeout_s)
            except ServiceStartError:
                if process.running:
                    raise
                raise ServiceStartError(
                    f"{self.name} failed to start: {process.exit_reason()}"
                ) from None

    async def supervise(self, stop: asyncio.Event, restart_delay_s: float = 1.0) -> None:
        """Start the container again when it dies, as ECS and App Runner replace a failed task.

        A process replaced by a reload is not restarted; while the code is
        broken, the next reload (not a timer) starts it again.
        """
        while not stop.is_set():
            process = self.process
            exited = asyncio.ensure_future(process.wait())
            stopping = asyncio.ensure_future(stop.wait())
            reloaded = asyncio.ensure_future(self._reloaded.wait())
            await asyncio.wait({exited, stopping, reloaded}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            reloaded.cancel()
            if stop.is_set():
                exited.cancel()
                return
            if self._reloaded.is_set():
                self._reloaded.clear()
                exited.cancel()
                continue
            status = exited.result()
            if process is not self.process or self.broken is not None or status is None:
                # Replaced, or broken until the next save: wait for the reload.
                await _first(stop.wait(), self._reloaded.wait())
                continue
            self.log(
                self.name, f"exited with status {status}; restarting in {restart_delay_s:.0f} s"
            )
            await _first(stop.wait(), asyncio.sleep(restart_delay_s))
            if stop.is_set():
                return
            try:
                await self.start()
            except ServiceStartError as exc:
                self.log(self.name, f"restart failed: {exc}")

    def prepare_reload(self) -> None:
        """Start a spare process in the background, so that the next reload is quick."""
        if self._spare is not None or self._spare_task is not None:
            return
        self._spare_task = asyncio.create_task(self._make_spare())

    async def _make_spare(self) -> None:
        process, port = self._new_process(warm=True)
        try:
            await process.start()
            self._spare = (process, port)
        finally:
            self._spare_task = None

    async def reload(self, changed: Iterable[Path] = ()) -> None:
        """Replace the process with one running the code on disk now (``changed``: as above).

        As an ECS deployment does, the new process starts first and the old
        one keeps serving until the new one is healthy; then the old one
        stops. If the new code does not start, the old process stops too and
        the service is broken until a later reload starts it.
        """
        forget_bytecode(changed)
        if self._spare_task is not None:
            await asyncio.shield(self._spare_task)
        spare, self._spare = self._spare, None
        old = self.process
        if spare is not None and spare[0].running:
            process, port = spare
        else:
            if spare is not None:
                await spare[0].stop()
            process, port = self._new_process(warm=False)
        try:
            if process.warm:
                await process.go()
            else:
                await process.start()
            await self._wait(process, port, 20.0)
        except ServiceStartError as exc:
            self.broken = str(exc)
            self.process, self.port = process, port
            await process.stop(grace_s=1.0)
            await old.stop(grace_s=5.0)
            self._reloaded.set()
            raise
        self.broken = None
        self.process, self.port = process, port
        self._reloaded.set()
        await old.stop(grace_s=10.0)

    async def stop(self) -> None:
        if self._spare_task is not None:
            self._spare_task.cancel()
        if self._spare is not None:
            await self._spare[0].stop()
        early, self._prestarted = self._prestarted, None
        if early is not None:
            await early[0].stop()
        await self.process.stop(grace_s=12.0)


def forget_bytecode(paths: Iterable[Path]) -> None:
    """Delete the cached bytecode of saved ``.py`` files.

    Python trusts a ``.pyc`` whose recorded mtime (whole seconds) and size
    match the source, so a save within the second of the last compile that
    keeps the size (``1`` → ``2``) would import the old code.
    """
    for path in paths:
        if path.suffix != ".py":
            continue
        cache = path.parent / "__pycache__"
        for stale in cache.glob(f"{path.stem}.*.pyc"):
            with contextlib.suppress(OSError):
                stale.unlink()


async def _first(*aws: Any) -> None:
    """Wait until the first of ``aws`` completes; cancel the others."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


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
        await asyncio.sleep(0.02)
    raise ServiceStartError(f"service {process.name} was not healthy within {timeout_s:.0f} s")
