"""`trellis dev`'s ready summary: tables sized to their content, the AWS CLI's exports."""

from __future__ import annotations

from pathlib import Path

from trellis.local.dev import ConsoleLog, DevOptions, DevStack, label_width
from trellis.local.emulator import Emulator
from trellis.local.provision import LocalAddresses
from trellis.manifest import load_manifest_text

MANIFEST = load_manifest_text(
    """
[project]
name = "acme"
region = "eu-west-3"
github_repository = "acme/backend"
environments = ["dev"]

[services.notification]
runtime = "lambda"
route = "/notifications-v2ab"
auth = "none"
uses = { jobs = "send" }

[services.api]
runtime = "lambda"
route = "/api"
auth = "none"
uses = { jobs = "consume" }

[queues.jobs]
visibility_timeout_s = 180
"""
)


def _stack(tmp_path: Path) -> DevStack:
    import io

    stack = DevStack(
        MANIFEST,
        DevOptions(root=tmp_path, env="dev", port=8000, emulator_port=4599),
        ConsoleLog(io.StringIO(), color=False),
    )
    stack.emulator = Emulator(port=4599, region="eu-west-3")
    stack.addresses = LocalAddresses(
        values={("queue", "jobs"): "http://127.0.0.1:4599/123456789012/acme-dev-jobs"}
    )
    return stack


def test_the_service_table_is_as_wide_as_its_longest_cells(tmp_path: Path) -> None:
    lines = _stack(tmp_path).summary().splitlines()
    header = next(line for line in lines if line.strip().startswith("SERVICE"))
    row = next(line for line in lines if line.strip().startswith("notification "))
    url = "http://127.0.0.1:8000/notifications-v2ab"
    assert len(url) == 40 and len("notification") == 12
    # Every column starts where its heading does, two spaces after the widest cell before it.
    for heading, cell in [("RUNTIME", "lambda"), ("URL", url), ("AUTH", "none"), ("USES", "jobs:")]:
        assert header.index(heading) == row.index(cell), heading
    assert row.index("lambda") == len("  notification  ")
    assert row.index("none") == row.index(url) + len(url) + 2
    api = next(line for line in lines if line.strip().startswith("api "))
    assert api.index("lambda") == row.index("lambda")


def test_the_summary_prints_what_to_export_for_the_aws_cli(tmp_path: Path) -> None:
    summary = _stack(tmp_path).summary()
    assert (
        "export AWS_ENDPOINT_URL=http://127.0.0.1:4599 AWS_ACCESS_KEY_ID=test "
        "AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=eu-west-3"
    ) in summary


def test_the_log_labels_are_as_wide_as_the_longest_name() -> None:
    import io

    out = io.StringIO()
    log = ConsoleLog(out, color=False, width=label_width(MANIFEST))
    log("notification", "hello")
    log("api", "hi")
    first, second = out.getvalue().splitlines()
    assert first == "notification| hello"
    assert second.index("|") == first.index("|")
