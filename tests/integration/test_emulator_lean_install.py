"""The emulator runs in an environment that holds only `trellis[cli]`'s locked dependencies.

moto[server] would install cfn-lint, sympy, networkx, aws-xray-sdk, graphql-core and the
OpenAPI validators (about 86 MB) for services Trellis does not emulate: the `cli` extra
names the moto extras the emulator serves instead. This test builds a fresh virtual
environment from the lock file (no dev group), starts the emulator from it with IAM
enforced, and calls every service the emulator serves.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from trellis.local.emulator import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, free_port
from trellis.packaging._lambda import find_uv

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
#: What moto[server] would have brought, that no emulated service imports.
NOT_INSTALLED = (
    "cfnlint",
    "sympy",
    "networkx",
    "aws_xray_sdk",
    "graphql",
    "openapi_spec_validator",
)


@pytest.fixture(scope="module")
def lean_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    uv = find_uv()
    tmp = tmp_path_factory.mktemp("lean")
    requirements = tmp / "requirements.txt"
    subprocess.run(
        [
            uv,
            "export",
            "--frozen",
            "--no-dev",
            "--extra",
            "cli",
            "--no-emit-project",
            "--no-emit-workspace",
            "--no-header",
            "--output-file",
            str(requirements),
            "--quiet",
        ],
        cwd=ROOT,
        check=True,
    )
    venv = tmp / "venv"
    subprocess.run([uv, "venv", "--python", sys.executable, "--quiet", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--python",
            str(python),
            "--no-deps",
            "--quiet",
            "-r",
            str(requirements),
        ],
        cwd=ROOT,
        check=True,
    )
    return python


def test_the_lean_environment_lacks_what_moto_server_would_bring(lean_python: Path) -> None:
    probe = "import importlib.util as u, sys; print([m for m in sys.argv[1:] if u.find_spec(m)])"
    result = subprocess.run(
        [str(lean_python), "-c", probe, *NOT_INSTALLED, "moto", "flask"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "['moto', 'flask']"


def test_the_emulator_serves_every_service_from_the_lean_environment(
    lean_python: Path, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VIRTUAL_ENV", "PYTHON"))
    }
    env["PYTHONPATH"] = str(ROOT / "src")  # trellis itself, from the checkout
    log = (tmp_path / "emulator.log").open("wb")
    process = subprocess.Popen(
        [str(lean_python), "-m", "trellis.local.emulator", "--port", str(port), "--iam"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        session = boto3.session.Session(
            aws_access_key_id=LOCAL_ACCESS_KEY,
            aws_secret_access_key=LOCAL_SECRET_KEY,
            region_name="us-east-1",
        )
        endpoint = f"http://127.0.0.1:{port}"

        def client(service: str):  # type: ignore[no-untyped-def]
            return session.client(service, endpoint_url=endpoint)

        deadline = time.monotonic() + 30
        while True:
            try:
                client("sts").get_caller_identity()
                break
            except Exception:  # not up yet
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        url = client("sqs").create_queue(QueueName="lean-q")["QueueUrl"]
        client("sqs").send_message(QueueUrl=url, MessageBody="x")
        client("dynamodb").create_table(
            TableName="lean-t",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client("dynamodb").put_item(TableName="lean-t", Item={"k": {"S": "1"}})
        client("s3").create_bucket(Bucket="lean-b")
        client("s3").put_object(Bucket="lean-b", Key="k", Body=b"x")
        topic = client("sns").create_topic(Name="lean-topic")["TopicArn"]
        client("sns").publish(TopicArn=topic, Message="x")
        client("ssm").put_parameter(Name="/lean/p", Value="v", Type="SecureString")
        client("secretsmanager").create_secret(Name="lean/s", SecretString="v")
        client("iam").create_user(UserName="lean-user")
        client("events").put_events(Entries=[{"Source": "lean", "DetailType": "t", "Detail": "{}"}])
        assert client("s3").get_object(Bucket="lean-b", Key="k")["Body"].read() == b"x"
        assert process.poll() is None
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
    output = (tmp_path / "emulator.log").read_text(errors="replace")
    assert "Traceback" not in output, output[-3000:]
