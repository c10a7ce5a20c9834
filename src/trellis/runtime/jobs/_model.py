"""The job envelope on the wire and the job record at rest."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any, Final, Literal
from urllib.parse import unquote_plus

from pydantic import BaseModel, Field

JobStatus = Literal["queued", "running", "succeeded", "failed", "dead_lettered"]

#: What a job id may look like: letters, digits and ``_ . : -``, up to 128 characters.
#: Never ``#``: the job records table keeps other items (``stats#process_data``) beside
#: the jobs, and an id must not be able to name them.
JOB_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
_JOB_ID: Final = re.compile(JOB_ID_PATTERN)


def is_job_id(value: str) -> bool:
    """True if ``value`` can be a job id (see :data:`JOB_ID_PATTERN`)."""
    return _JOB_ID.fullmatch(value) is not None


def utcnow() -> datetime:
    return datetime.now(UTC)


class JobEnvelope(BaseModel):
    """What a job message carries: id, type, payload, enqueue time and trace context."""

    v: Literal[1] = 1
    job_id: str = Field(min_length=1, max_length=128, pattern=JOB_ID_PATTERN)
    type: str = Field(min_length=1, max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict)
    enqueued_at: datetime
    #: W3C trace context (``traceparent``/``tracestate``) of the request that enqueued it.
    trace: dict[str, str] = Field(default_factory=dict)

    def to_body(self) -> str:
        return self.model_dump_json()


class JobError(BaseModel):
    """Why a job's last attempt failed, as clients may see it.

    ``code`` is stable (``timed_out``, ``invalid_payload``, ``access_denied``,
    ``job_failed``, or the code of the platform error the handler raised);
    ``message`` is safe to show: never AWS's text, an ARN or an account id.
    The details are in the worker's log (``job.attempt_failed``).
    """

    code: str
    message: str


class JobRecord(BaseModel):
    """A job's status as the job records table holds it."""

    job_id: str
    type: str
    status: JobStatus
    attempts: int = 0
    enqueued_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    failed_at: datetime | None = None
    dead_lettered_at: datetime | None = None
    result: dict[str, Any] | None = None
    error: JobError | None = None


class InvalidJob(ValueError):
    """A message that is not a job this worker knows how to read."""


def decode_message(
    body: str, message_id: str, sent_at: datetime | None = None
) -> list[JobEnvelope] | None:
    """The jobs a message carries, or None for a message to ignore (S3's test event).

    Accepted shapes: a Trellis envelope; the guide's ``{"job_type", "data"}`` or
    ``{"type", "payload"}`` without an id (the job id then derives from the
    SQS message id, so a redelivery is recognised); an S3 event notification
    (one ``s3_object_created`` job per record, its id derived from the object
    and the event's sequencer, so a duplicate notification is recognised).
    """
    try:
        message = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidJob(f"body is not JSON: {exc.msg}") from exc
    if not isinstance(message, dict):
        raise InvalidJob("body is not a JSON object")
    if message.get("Event") == "s3:TestEvent":
        return None
    now = sent_at or utcnow()
    records = message.get("Records")
    if (
        isinstance(records, list)
        and records
        and all(isinstance(r, dict) and r.get("eventSource") == "aws:s3" for r in records)
    ):
        return [_s3_job(r, now) for r in records]
    if "job_id" in message:
        try:
            return [JobEnvelope.model_validate(message)]
        except ValueError as exc:
            raise InvalidJob(f"malformed job envelope: {exc}") from exc
    job_type = message.get("type", message.get("job_type"))
    payload = message.get("payload", message.get("data", {}))
    if not isinstance(job_type, str) or not job_type:
        raise InvalidJob("job has no 'type'")
    if not isinstance(payload, dict):
        raise InvalidJob("job 'payload' is not an object")
    return [
        JobEnvelope(job_id=f"msg-{message_id}", type=job_type, payload=payload, enqueued_at=now)
    ]


def _s3_job(record: dict[str, Any], now: datetime) -> JobEnvelope:
    s3 = record.get("s3") or {}
    bucket = (s3.get("bucket") or {}).get("name", "")
    obj = dict(s3.get("object") or {})
    # S3 URL-encodes object keys in event notifications (a space arrives as "+").
    obj["key"] = unquote_plus(str(obj.get("key", "")))
    identity = (
        f"{bucket}/{obj.get('key', '')}/{obj.get('versionId', '')}/{obj.get('sequencer', '')}"
    )
    job_id = "s3-" + hashlib.sha256(identity.encode()).hexdigest()[:32]
    payload = {
        "event_name": record.get("eventName", ""),
        "bucket": bucket,
        "key": obj.get("key", ""),
        "size": obj.get("size"),
        "etag": obj.get("eTag"),
        "version_id": obj.get("versionId"),
    }
    return JobEnvelope(job_id=job_id, type="s3_object_created", payload=payload, enqueued_at=now)
