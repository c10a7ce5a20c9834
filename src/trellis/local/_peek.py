"""Look at a queue's messages without receiving them (runs in the emulator process).

``ReceiveMessage`` is the only way SQS shows a message, and every receive
counts toward the queue's ``maxReceiveCount``: peeking the way the AWS console
polls would push messages toward the DLQ. The emulator can do better, so
``trellis dev``'s dashboard asks it here:

    GET /moto-api/trellis/sqs-peek?queue=<name>&limit=10

answers ``{"queue", "count", "oldest_sent_ms", "messages": [{"id", "body",
"sent_ms", "receive_count", "visible", "attributes"}]}``, oldest first. It is
under ``/moto-api/``: with IAM enforced only the administrator's key gets it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlparse

PATH = "/moto-api/trellis/sqs-peek"


def peek(queue_name: str, limit: int) -> dict[str, Any] | None:
    """The queue's messages (oldest first, at most ``limit``) from moto's backend; None if unknown."""
    from moto.sqs.models import sqs_backends

    for _account, regions in list(sqs_backends.items()):
        for _region, backend in list(regions.items()):
            queue = backend.queues.get(queue_name)
            if queue is None:
                continue
            messages = sorted(list(queue._messages), key=lambda m: m.sent_timestamp or 0)
            return {
                "queue": queue_name,
                "count": len(messages),
                "oldest_sent_ms": messages[0].sent_timestamp if messages else None,
                "messages": [
                    {
                        "id": m.id,
                        "body": m.body,
                        "sent_ms": m.sent_timestamp,
                        "receive_count": m.approximate_receive_count,
                        "visible": bool(m.visible),
                        "attributes": {
                            k: v.get("string_value") or v.get("StringValue")
                            for k, v in (m.message_attributes or {}).items()
                            if isinstance(v, dict)
                        },
                    }
                    for m in messages[:limit]
                ],
            }
    return None


def _respond(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    query = parse_qs(urlparse(full_url).query)
    name = (query.get("queue") or [""])[0]
    try:
        limit = max(0, min(100, int((query.get("limit") or ["10"])[0])))
    except ValueError:
        limit = 10
    found = peek(name, limit)
    if found is None:
        return 404, {"Content-Type": "application/json"}, json.dumps({"error": f"no queue {name}"})
    return 200, {"Content-Type": "application/json"}, json.dumps(found)


def install() -> None:
    """Add the peek path to moto's own API (before the server builds its apps)."""
    from moto.moto_api._internal import urls

    urls.url_paths["{0}" + PATH + "$"] = _respond
