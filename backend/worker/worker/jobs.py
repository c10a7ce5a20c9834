"""Job messages from the ``jobs`` queue.

A job is a JSON object ``{"type": ..., "payload": {...}}`` (the guide's
``{"job_type": ..., "data": ...}`` is accepted too). A body that is not such an
object cannot succeed on retry either: it raises, so the event source retries it
``max_receive_count`` times and the queue moves it to the DLQ, where it can be
inspected, instead of being dropped.
"""

from __future__ import annotations

import json
from typing import Any

from trellis.runtime import SqsRecord, get_logger

log = get_logger("worker.jobs")


class InvalidJob(ValueError):
    """The message is not a job this worker can run."""


def parse_job(body: str) -> tuple[str, dict[str, Any]]:
    """``(type, payload)`` of a job message; raise :class:`InvalidJob` otherwise."""
    try:
        message = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidJob(f"body is not JSON: {exc.msg}") from exc
    if not isinstance(message, dict):
        raise InvalidJob("body is not a JSON object")
    job_type = message.get("type", message.get("job_type"))
    payload = message.get("payload", message.get("data", {}))
    if not isinstance(job_type, str) or not job_type:
        raise InvalidJob("job has no 'type'")
    if not isinstance(payload, dict):
        raise InvalidJob("job 'payload' is not an object")
    return job_type, payload


def is_s3_test_event(body: str) -> bool:
    """S3 sends ``{"Event": "s3:TestEvent"}`` once when a notification is configured."""
    try:
        message = json.loads(body)
    except json.JSONDecodeError:
        return False
    return isinstance(message, dict) and message.get("Event") == "s3:TestEvent"


def handle_record(record: SqsRecord) -> None:
    """Run one job from an SQS record; raising marks just this record as failed."""
    if is_s3_test_event(record.body):
        log.info("s3_test_event_ignored", message_id=record.message_id)
        return
    job_type, payload = parse_job(record.body)
    log.info(
        "job_processed",
        message_id=record.message_id,
        job_type=job_type,
        payload_keys=sorted(payload),
        receive_count=record.receive_count,
    )
