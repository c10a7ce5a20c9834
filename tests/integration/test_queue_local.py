"""`trellis queue stats --local` finds the running `trellis dev`'s emulator from its state file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from trellis.cli import main as cli
from trellis.local.emulator import LOCAL_ACCOUNT_ID, Emulator, free_port
from trellis.local.provision import provision
from trellis.local.state import DevState, read_state
from trellis.manifest import load_manifest

pytestmark = pytest.mark.integration

MANIFEST = """
[project]
name = "qloc"
region = "eu-west-1"
github_repository = "acme/backend"
environments = ["dev"]

[services.worker]
runtime = "lambda"
uses = { jobs = "consume" }

[queues.jobs]
visibility_timeout_s = 180
"""


@pytest.mark.timeout(120)
def test_queue_stats_local_reads_the_ports_trellis_dev_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "trellis.toml"
    path.write_text(MANIFEST)
    manifest = load_manifest(str(path))
    port = free_port()  # not 4566: only the state file can lead the command here
    emulator = Emulator(port=port, region="eu-west-1").start()
    try:
        addresses = provision(manifest, "dev", emulator.client, account_id=LOCAL_ACCOUNT_ID)
        emulator.client("sqs").send_message(
            QueueUrl=addresses.address("queue", "jobs"), MessageBody="{}"
        )
        state = DevState(
            env="dev", pid=os.getpid(), gateway_port=1, emulator_port=port, region="eu-west-1"
        )
        state.write(tmp_path)
        assert read_state(tmp_path, "dev") == state

        status = cli(["queue", "stats", "jobs", "--local", "--json", "--manifest", str(path)])

        stats = json.loads(capsys.readouterr().out)
        assert status == 0
        assert stats["queue"] == "jobs" and stats["url"].endswith("/qloc-dev-jobs")
        assert f":{port}/" in stats["url"]
        assert (stats["visible"], stats["in_flight"], stats["dlq"]["visible"]) == (1, 0, 0)
        state.remove(tmp_path)
        assert not DevState.path(tmp_path, "dev").exists()
    finally:
        emulator.stop()


def test_a_state_file_of_a_process_that_is_gone_is_ignored(tmp_path: Path) -> None:
    import subprocess
    import sys

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    DevState(
        env="dev", pid=int(gone.stdout), gateway_port=1, emulator_port=2, region="us-east-1"
    ).write(tmp_path)
    assert read_state(tmp_path, "dev") is None
    assert read_state(tmp_path, "dev", alive_only=False) is not None


@pytest.mark.timeout(120)
def test_the_consumer_s_long_polls_end_before_the_client_s_read_timeout(
    trellis_emulator: Emulator,
) -> None:
    """A wait as long as the read timeout made every empty poll time out and be retried."""
    import threading

    from trellis.runtime.consumer import QueueConsumer

    sqs = trellis_emulator.client("sqs", read_timeout_s=3, max_attempts=3)
    url = sqs.create_queue(QueueName=f"poll-{os.getpid()}")["QueueUrl"]
    attempts: list[str] = []
    sqs.meta.events.register(
        "before-send.sqs.ReceiveMessage", lambda **_: attempts.append("receive")
    )
    consumer = QueueConsumer(sqs, url, lambda record: None, wait_s=3, visibility_s=30)
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,))
    thread.start()
    # Long enough for the first empty poll to end and a second to begin.
    threading.Event().wait(4.0)
    stop.set()
    thread.join(30)
    assert not thread.is_alive()
    assert consumer.stats.aws_errors == 0
    assert consumer.stats.receive_calls >= 2
    # Each receive was one HTTP attempt: none timed out and was sent again.
    assert len(attempts) == consumer.stats.receive_calls
