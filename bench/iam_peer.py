"""Run Trellis's local-IAM tests against another emulator's IAM enforcement, and a few probes of its own.

    AUTH=true AWS_ACCESS_KEY_ID=testing MINISTACK_ACCOUNT_ID=123456789012 GATEWAY_PORT=4581 \\
        uv tool run --from ministack==1.5.33 ministack &
    uv run python bench/iam_peer.py --endpoint http://127.0.0.1:4581

The tests are ``tests/integration/test_emulator_iam.py`` (the operation map
and resource scoping, DynamoDB indexes included) and
``tests/integration/test_emulator_iam_bypasses.py`` (every known way around
the check, and the look-alike requests that must keep working), copied to a
temporary directory with the emulator fixture pointed at ``--endpoint``. The
rows about moto's own API (``/moto-api/``) do not apply to another engine and
are left out; the peer's equivalents are probed below instead. Decisions are
not logged by the peer, so ``trellis iam verify`` has nothing to read: that is
reported, not tested.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TESTS = ["test_emulator_iam.py", "test_emulator_iam_bypasses.py"]

CLASSIFY = '''

def test_zz_classify_every_refusal(world):
    """Not a pass/fail: what each row got (refused with any 4xx, or let through)."""
    import json

    rows = {{}}
    for row, case in REFUSALS.items():
        if "moto-api" in row:
            continue
        response = case.send(world)
        side = None
        if case.unchanged is not None:
            try:
                case.unchanged(world)
                side = "intact"
            except AssertionError:
                side = "CHANGED"
        rows[row] = (response.status_code, response.text[:200], side)
    with open({out!r}, "w") as f:
        json.dump(rows, f)
'''

CONFTEST = """
import sys
from typing import Any

import pytest

sys.path.insert(0, {bench!r})
from _peer import Peer  # noqa: E402

PEER = Peer({endpoint!r})


@pytest.fixture(scope="session")
def trellis_emulator() -> Any:
    return PEER
"""


def probes(endpoint: str) -> list[tuple[str, bool, str]]:
    """(what, refused, detail) for requests around the check that our tests cannot express."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    results = []

    def sqs_as(key: str) -> tuple[bool, str]:
        client = boto3.client(
            "sqs",
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id=key,
            aws_secret_access_key="anything",
            config=Config(retries={"max_attempts": 1}),
        )
        try:
            client.list_queues()
        except ClientError as exc:
            return True, exc.response["Error"]["Code"]
        return False, "ListQueues answered"

    refused, detail = sqs_as("123456789012")
    results.append(("a made-up key that looks like an account id (any secret)", refused, detail))
    refused, detail = sqs_as("test")
    results.append(("the key 'test' with a wrong secret", refused, detail))
    response = httpx.get(f"{endpoint}/_ministack/health")
    results.append(
        (
            "unsigned GET /_ministack/health (state listing)",
            response.status_code >= 400,
            str(response.status_code),
        )
    )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--show", action="store_true", help="print pytest's whole report")
    parser.add_argument(
        "--reset-probe",
        action="store_true",
        help="also POST /_ministack/reset unsigned (wipes the peer)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in TESTS:
            text = (ROOT / "tests/integration" / name).read_text()
            # The bypass tests start an emulator of their own; the peer stands in for it.
            text = text.replace("emulator = Emulator(port=free_port()).start()", "emulator = PEER")
            text = text.replace(
                "from trellis.local.emulator import",
                "from conftest import PEER\nfrom trellis.local.emulator import",
                1,
            )
            if name == "test_emulator_iam_bypasses.py":
                text += CLASSIFY.format(out=str(work / "classified.json"))
            (work / name).write_text(text)
        (work / "conftest.py").write_text(
            CONFTEST.format(bench=str(ROOT / "bench"), endpoint=args.endpoint)
        )
        shutil.copy(ROOT / "pyproject.toml", work / "pyproject.toml")
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(work),
            "-o",
            "pythonpath=.",
            "-k",
            "not moto_api and not moto-api and not admin_reset",
            str(work),
        ]
        run = subprocess.run(command, cwd=work, capture_output=True, text=True, check=False)
        print(run.stdout if args.show else run.stdout.splitlines()[-1])
        summary = re.findall(
            r"(\d+) (passed|failed|error)", run.stdout.splitlines()[-1] if run.stdout else ""
        )
        print("tests:", summary)
        classified_path = work / "classified.json"
        if classified_path.exists():
            rows = json.loads(classified_path.read_text())
            through = {k: v for k, v in rows.items() if v[0] < 400 or v[2] == "CHANGED"}
            print(
                f"bypass rows: {len(rows)}; refused (any 4xx, no side effect): {len(rows) - len(through)}; let through: {len(through)}"
            )
            for row, (status, text, side) in through.items():
                print(f"  LET THROUGH: {row}: HTTP {status} {side or ''} {text[:100]!r}")
    print()
    print("| probe | refused | answer |")
    print("| --- | --- | --- |")
    for what, refused, detail in probes(args.endpoint):
        print(f"| {what} | {'yes' if refused else '**no**'} | {detail} |")
    if args.reset_probe:
        response = httpx.post(f"{args.endpoint}/_ministack/reset")
        print(
            f"| unsigned POST /_ministack/reset | {'yes' if response.status_code >= 400 else '**no**'} | {response.status_code} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
