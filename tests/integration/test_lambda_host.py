"""A Lambda service process: warm invocations, handler errors, timeouts and restarts."""

from __future__ import annotations

import asyncio
import os
import textwrap
from pathlib import Path

import pytest

from trellis.local.services import LambdaFunction

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
