"""`trellis dev` routes a published event to its rule's targets: a queue and a Lambda service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import emulator_clients
from trellis.testing import DevProcess, wait_until

pytestmark = pytest.mark.e2e

STACK = Path(__file__).parent / "stacks" / "events" / "trellis.toml"


def test_a_published_event_reaches_the_rules_queue_and_lambda_targets() -> None:
    with DevProcess(STACK) as dev:
        sqs, _ddb = emulator_clients(dev.emulator_endpoint)
        published = httpx.post(f"{dev.base_url}/shop/orders/o-1/paid", timeout=15)
        assert published.status_code == 202, published.text
        event_id = published.json()["event_id"]

        def first(queue: str) -> dict[str, Any] | None:
            url = sqs.get_queue_url(QueueName=f"evdev-dev-{queue}")["QueueUrl"]
            got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
            return json.loads(got[0]["Body"]) if got else None

        # The queue target gets the event itself, as EventBridge sends it.
        event = wait_until(lambda: first("audit"), what="the event on the audit queue")
        assert (event["id"], event["detail-type"], event["source"]) == (
            event_id,
            "OrderPaid",
            "evdev.shop",
        )
        assert event["detail"] == {"order_id": "o-1"}
        # The Lambda target ran its @events.on("paid") handler with the typed detail.
        seen = wait_until(lambda: first("seen"), what="the ledger's record of the event")
        assert seen == {"order_id": "o-1", "event_id": event_id, "rule": "paid", "bus": "orders"}
