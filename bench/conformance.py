"""How an emulator does on the conformance suite: cases passed per service, and the operations covered.

    uv run python bench/conformance.py                       # the Trellis emulator (IAM on)
    uv run python bench/conformance.py --endpoint http://127.0.0.1:4566   # another emulator
    TRELLIS_EMULATOR_FIDELITY=0 uv run python bench/conformance.py        # without the patch set

The service of a case is the one whose documentation it cites. Operations are
the SDK calls the cases made (raw HTTP cases count under their service, not as
an operation). ``--json FILE`` also writes every case's outcome.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {
    "AWSSimpleQueueService": "SQS",
    "amazondynamodb": "DynamoDB",
    "AmazonS3": "S3",
    "sns": "SNS",
    "eventbridge": "EventBridge",
    "secretsmanager": "Secrets Manager",
    "systems-manager": "SSM",
}
SDK_NAMES = {
    "sqs": "SQS",
    "dynamodb": "DynamoDB",
    "s3": "S3",
    "sns": "SNS",
    "events": "EventBridge",
    "secretsmanager": "Secrets Manager",
    "ssm": "SSM",
}


def service_of(url: str) -> str:
    path = url.removeprefix("https://docs.aws.amazon.com/").split("/", 1)[0]
    return SERVICES.get(path, path)


class Recorder:
    """A pytest plugin: each case's service and outcome, and the operations the SDK called."""

    def __init__(self) -> None:
        self.cases: dict[str, dict[str, Any]] = {}
        self.operations: dict[str, set[str]] = defaultdict(set)
        self._current: str | None = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        import boto3

        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-call", self._called)

    def _called(self, model: Any, **_: Any) -> None:
        service = SDK_NAMES.get(model.service_model.service_name)
        if service is not None:
            self.operations[service].add(model.name)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        marker = item.get_closest_marker("aws_doc")
        entry = self.cases.setdefault(
            item.nodeid,
            {"service": service_of(marker.kwargs["url"]) if marker else "?", "outcome": "passed"},
        )
        if report.failed:
            entry["outcome"] = "failed"
            entry["error"] = str(report.longrepr).splitlines()[-1][:300] if report.longrepr else ""
        elif report.skipped and report.when != "teardown":
            entry["outcome"] = "skipped"
        return report


def table(recorder: Recorder) -> str:
    per: dict[str, dict[str, int]] = defaultdict(lambda: {"cases": 0, "passed": 0})
    for entry in recorder.cases.values():
        per[entry["service"]]["cases"] += 1
        per[entry["service"]]["passed"] += entry["outcome"] == "passed"
    lines = ["| service | operations | cases | passed |", "| --- | ---: | ---: | ---: |"]
    order = [s for s in SERVICES.values() if s in per] + sorted(set(per) - set(SERVICES.values()))
    for service in order:
        counts = per[service]
        lines.append(
            f"| {service} | {len(recorder.operations.get(service, ()))} | {counts['cases']} | {counts['passed']} |"
        )
    total_cases = sum(c["cases"] for c in per.values())
    total_passed = sum(c["passed"] for c in per.values())
    total_ops = sum(len(v) for v in recorder.operations.values())
    lines.append(f"| **all** | {total_ops} | {total_cases} | {total_passed} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--endpoint", help="an emulator already running (default: start the Trellis emulator)"
    )
    parser.add_argument("--json", type=Path, help="write each case's outcome to this file")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args()
    if args.endpoint:
        os.environ["TRELLIS_CONFORMANCE_ENDPOINT"] = args.endpoint
    os.chdir(ROOT)
    recorder = Recorder()
    pytest.main(
        [
            "tests/conformance",
            "-q",
            "-p",
            "no:cacheprovider",
            "--no-header",
            "-rN",
            *args.pytest_args,
        ],
        plugins=[recorder],
    )
    print()
    print(table(recorder))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "cases": recorder.cases,
                    "operations": {k: sorted(v) for k, v in recorder.operations.items()},
                },
                indent=1,
                sort_keys=True,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
