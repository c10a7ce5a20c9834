"""A Lambda service process: warm invocations, handler errors, timeouts and restarts."""

from __future__ import annotations

import asyncio
import os
import textwrap
from pathlib import Path

import pytest

from trellis.local.emulator import port_in_use
from trellis.local.services import LambdaFunction, ServiceStartError

pytestmark = pytest.mark.integration

HANDLER = textwrap.dedent(
    """
    import os, time
    STARTED = time.time()

    def handler(event, context):
        if event.get("raise"):
            raise ValueError("bad input")
        time.sleep(event.get("sleep", 0))
        return {
            "pid": os.getpid(),
            "started": STARTED,
            "function": context.function_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "task_root": os.environ.get("LAMBDA_TASK_ROOT"),
        }
    """
)


def test_invocations_reuse_the_instance_until_a_timeout_kills_it(tmp_path: Path) -> None:
    (tmp_path / "fn.py").write_text(HANDLER)
    lines: list[str] = []

    async def scenario() -> None:
        fn = LambdaFunction(
            "fn",
            handler="fn.handler",
            function_name="acme-dev-fn",
            env={"PATH": os.environ["PATH"], "LAMBDA_TASK_ROOT": str(tmp_path)},
            cwd=tmp_path,
            timeout_s=1,
            memory_mb=128,
            log=lambda _name, line: lines.append(line),
        )
        await fn.start()
        try:
            first = await fn.invoke({})
            second = await fn.invoke({})
            assert first.ok and second.ok
            assert first.payload["pid"] == second.payload["pid"]  # warm: same instance
            assert first.payload["started"] == second.payload["started"]  # imported once
            assert first.payload["function"] == "acme-dev-fn"
            assert 0 < first.payload["remaining_ms"] <= 1000
            assert first.payload["task_root"] == str(tmp_path)

            failed = await fn.invoke({"raise": True})
            assert failed.error == "ValueError"
            assert failed.payload["errorMessage"] == "bad input"

            timed_out = await fn.invoke({"sleep": 3})
            assert timed_out.timed_out

            after = await fn.invoke({})
            assert after.ok
            assert after.payload["pid"] != first.payload["pid"]  # a fresh cold start
        finally:
            await fn.stop()

    asyncio.run(scenario())
    assert any("Task timed out after 1.00 seconds" in line for line in lines)
    assert any("ValueError: bad input" in line for line in lines)


def _function(tmp_path: Path, lines: list[str], **options: object) -> LambdaFunction:
    return LambdaFunction(
        "fn",
        handler="fn.handler",
        function_name="acme-dev-fn",
        env={"PATH": os.environ["PATH"], "LAMBDA_TASK_ROOT": str(tmp_path)},
        cwd=tmp_path,
        timeout_s=5,
        memory_mb=128,
        log=lambda _name, line: lines.append(line),
        **options,  # type: ignore[arg-type]
    )


def test_overlapping_invocations_start_instances_up_to_the_cap_and_idle_ones_retire(
    tmp_path: Path,
) -> None:
    (tmp_path / "fn.py").write_text(HANDLER)
    lines: list[str] = []

    async def scenario() -> None:
        fn = _function(tmp_path, lines, max_instances=3, idle_s=0.5)
        await fn.start()
        try:
            # Five overlapping invocations of 0.5 s: three instances (the cap), each a cold start.
            results = await asyncio.gather(*(fn.invoke({"sleep": 0.5}) for _ in range(5)))
            assert all(r.ok for r in results)
            pids = {r.payload["pid"] for r in results}
            assert len(pids) == 3
            assert fn.cold_starts == 3
            # One at a time, the warm instances are reused: no new cold start.
            again = [await fn.invoke({}) for _ in range(3)]
            assert {r.payload["pid"] for r in again} <= pids
            assert fn.cold_starts == 3
            # Idle past idle_s, all but one are retired.
            deadline = asyncio.get_running_loop().time() + 10
            while fn.instances > 1:
                assert asyncio.get_running_loop().time() < deadline, fn.instances
                await asyncio.sleep(0.05)
            assert (await fn.invoke({})).ok
        finally:
            await fn.stop()

    asyncio.run(scenario())


def test_a_reload_runs_the_new_code_a_broken_save_fails_until_fixed(tmp_path: Path) -> None:
    (tmp_path / "fn.py").write_text("def handler(event, context):\n    return {'v': 1}\n")
    lines: list[str] = []

    async def scenario() -> None:
        fn = _function(tmp_path, lines)
        await fn.start()
        try:
            fn.prepare_reload()
            assert (await fn.invoke({})).payload == {"v": 1}
            (tmp_path / "fn.py").write_text("def handler(event, context):\n    return {'v': 2}\n")
            await fn.reload([tmp_path / "fn.py"])
            assert (await fn.invoke({})).payload == {"v": 2}

            (tmp_path / "fn.py").write_text("def handler(event, context):\n    return {'v':\n")
            with pytest.raises(ServiceStartError, match="SyntaxError"):
                await fn.reload([tmp_path / "fn.py"])
            failed = await fn.invoke({})
            assert failed.init_error and failed.error is not None
            assert "SyntaxError" in failed.error and fn.broken is not None

            (tmp_path / "fn.py").write_text("def handler(event, context):\n    return {'v': 3}\n")
            await fn.reload([tmp_path / "fn.py"])
            assert fn.broken is None
            assert (await fn.invoke({})).payload == {"v": 3}
        finally:
            await fn.stop()

    asyncio.run(scenario())
    assert any("SyntaxError" in line for line in lines)  # the traceback is in the log


def _bind_fails(port: int) -> bool:
    import socket

    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            other.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def test_a_spares_port_is_held_from_the_start_until_it_serves_and_freed_at_stop(
    tmp_path: Path,
) -> None:
    # Its port was only a number until the spare bound it, seconds later: a parallel test
    # (or another service) asking for a free port could get it first, and the gateway then
    # spoke to whatever had it.
    (tmp_path / "fn.py").write_text(HANDLER)

    async def scenario() -> None:
        fn = _function(tmp_path, [])
        await fn.prestart()
        spare = fn._prestarted
        assert spare is not None
        port = spare.port
        assert _bind_fails(port), "the port is free while the spare imports"
        await fn.start()
        try:
            assert (await fn.invoke({})).ok
            assert _bind_fails(port)
        finally:
            await fn.stop()
        # Closed (a TIME_WAIT of the last connection may keep the number a minute longer).
        assert not port_in_use(port), "something still listens after the function stopped"

    asyncio.run(scenario())


def test_a_container_task_serves_on_the_port_held_for_it(tmp_path: Path) -> None:
    from trellis.local.services import ContainerService

    (tmp_path / "web.py").write_text(
        "async def app(scope, receive, send):\n"
        "    if scope['type'] != 'http':\n"
        "        return\n"
        "    await send({'type': 'http.response.start', 'status': 200, 'headers': []})\n"
        "    await send({'type': 'http.response.body', 'body': b'ok'})\n"
    )

    async def scenario() -> None:
        import httpx

        service = ContainerService(
            "web",
            app="web:app",
            env={"PATH": os.environ["PATH"], "PYTHONPATH": str(tmp_path)},
            cwd=tmp_path,
            log=lambda _name, _line: None,
        )
        held = service.port
        assert _bind_fails(held), "the task's port is free before it starts"
        await service.start()
        try:
            async with httpx.AsyncClient() as client:
                assert (await client.get(f"{service.base_url}/health")).text == "ok"
        finally:
            await service.stop()
        assert not port_in_use(service.port)

    asyncio.run(scenario())
