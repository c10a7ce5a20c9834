"""`trellis dev` enforces each service's derived IAM policy: a missing permission fails here."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from trellis.testing import DevProcess, wait_until

pytestmark = pytest.mark.e2e

STACK = Path(__file__).parent / "stacks" / "denied" / "trellis.toml"


def test_a_write_to_a_table_declared_read_is_denied_with_a_clear_log_line() -> None:
    with (
        DevProcess(STACK) as dev,
        httpx.Client(base_url=f"{dev.base_url}/api", timeout=15, headers=dev.bearer()) as api,
    ):
        # What `read` grants works: readiness (DescribeTable) and reads.
        assert api.get("/ready").status_code == 200
        assert api.get("/users/nobody").status_code == 404

        created = api.post(
            "/users", json={"user_id": "u1", "name": "Ada", "email": "ada@example.com"}
        )

        assert created.status_code == 500
        body = created.json()
        assert body["error"]["code"] == "access_denied"
        assert body["error"]["request_id"] == created.headers["x-request-id"]
        # The client learns nothing about the policy or the stack's ARNs.
        assert "arn:" not in created.text and "dynamodb" not in created.text

        def denied_line() -> dict[str, object] | None:
            for line in dev.lines:
                name, _, text = line.partition("|")
                if name.strip() == "api" and '"aws.access_denied"' in text:
                    return dict(json.loads(text))
            return None

        logged = wait_until(denied_line, what="the api's access-denied log line")
        assert logged["action"] == "dynamodb:PutItem"
        assert (
            logged["resource"] == "arn:aws:dynamodb:us-east-1:123456789012:table/denied-dev-users"
        )
        assert logged["request_id"] == created.headers["x-request-id"]


def test_without_iam_the_same_write_succeeds() -> None:
    with DevProcess(STACK, iam=False) as dev:
        created = httpx.post(
            f"{dev.base_url}/api/users",
            json={"user_id": "u1", "name": "Ada", "email": "ada@example.com"},
            headers=dev.bearer(),
            timeout=15,
        )
        assert created.status_code == 201, created.text
        assert "IAM not enforced (--no-iam)" in dev.output()
