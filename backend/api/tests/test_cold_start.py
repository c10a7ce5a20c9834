"""A cold api Lambda answers /health without loading boto3; the first table call loads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from trellis.infra.addresses import AwsAddresses
from trellis.manifest import load_manifest
from trellis.wiring import service_environment

ROOT = Path(__file__).resolve().parents[3]


def api_environment() -> dict[str, str]:
    """The api's env vars as deployed (from the manifest), pointed at a closed local port."""
    manifest = load_manifest(ROOT / "trellis.toml")
    env = manifest.project.environments[0]
    return {
        **service_environment(manifest, "api", env, AwsAddresses(manifest, env, "123456789012")),
        "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "TRELLIS_AWS_CONNECT_TIMEOUT_S": "0.2",
        "TRELLIS_AWS_MAX_ATTEMPTS": "1",
    }


ENV = api_environment()

SCRIPT = """
import json, sys
from api.handler import handler

def event(path):
    # As API Gateway sends it after the JWT authorizer allowed the caller.
    context = {"requestId": "r1", "stage": "dev", "authorizer": {"principalId": "u-1"}}
    return {"resource": "/{proxy+}", "path": path, "httpMethod": "GET", "headers": {},
            "multiValueHeaders": {}, "queryStringParameters": None,
            "multiValueQueryStringParameters": None, "pathParameters": None,
            "stageVariables": None, "requestContext": context,
            "body": None, "isBase64Encoded": False}

health = handler(event("/health"), None)["statusCode"]
after_health = "boto3" in sys.modules
user = handler(event("/users/ada"), None)["statusCode"]
print(json.dumps([health, after_health, user, "boto3" in sys.modules]))
"""


def test_health_on_a_cold_start_never_loads_boto3_and_a_user_read_does() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TRELLIS_", "OTEL_"))}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**env, **ENV},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    health, boto3_after_health, user, boto3_after_user = json.loads(
        result.stdout.strip().splitlines()[-1]
    )
    assert (health, boto3_after_health) == (200, False)
    assert (user, boto3_after_user) == (503, True)  # nothing listens on the endpoint
