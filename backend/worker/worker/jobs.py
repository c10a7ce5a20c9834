"""The worker's job types.

- ``process_data``: the job the guide's curl example sends. It summarises its
  payload and counts itself in a per-type statistics item — an increment that
  commits in one transaction with the job's completion, so a redelivered
  message can never count twice.
- ``s3_object_created`` (internal: only the bucket notification submits it;
  ``POST /jobs`` refuses it with 422): an upload finished. The file's
  metadata (size, SHA-256, stored content type) is recorded in the ``files``
  table, after checking the object against what the api allowed when it
  signed the upload (the size and type limits of a presigned POST are
  enforced by S3, but not by the local emulator, and a bucket can receive
  objects by other routes). The check reads exactly the object version the
  event names (``GetObject`` with ``VersionId``) and records that version, so
  the api's download link serves the bytes that were checked even if the key
  is overwritten afterwards (a leaked upload form can be used again until it
  expires).

Every job runs within the worker's job time limit (``JOB_MAX_RUN_S``); the
``sleep_ms`` knob of ``process_data`` is bounded by it (422 when over).
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

import file_records
from trellis.runtime import AwsClients, get_logger
from trellis.runtime.jobs import MAX_RUN_S_CONTEXT, JobContext, JobRegistry
from worker.settings import Settings

log = get_logger("worker.jobs")

#: The ``job_records`` item that counts processed ``process_data`` jobs.
STATS_KEY = "stats#process_data"


class ProcessData(BaseModel):
    """Any JSON object; ``sleep_ms`` simulates work (tests and benchmarks use it).

    ``sleep_ms`` is at most the job time limit: a longer sleep could only time out.
    """

    model_config = ConfigDict(extra="allow")
    sleep_ms: int = Field(default=0, ge=0, le=900_000)

    @field_validator("sleep_ms")
    @classmethod
    def _within_the_time_limit(cls, value: int, info: ValidationInfo) -> int:
        limit_s = (info.context or {}).get(MAX_RUN_S_CONTEXT)
        if limit_s is not None and value > limit_s * 1000:
            raise ValueError(f"at most {int(limit_s * 1000)} (the job time limit)")
        return value


class S3ObjectCreated(BaseModel):
    event_name: str
    bucket: str
    key: str
    size: int | None = None
    etag: str | None = None
    version_id: str | None = None


def build_registry(settings: Settings, clients: AwsClients) -> JobRegistry:
    """The job types this worker runs, bound to its settings and clients."""
    jobs = JobRegistry(max_run_s=settings.job_max_run_s)

    @jobs.job("process_data")
    def process_data(payload: ProcessData, ctx: JobContext) -> dict[str, Any]:
        if payload.sleep_ms:
            time.sleep(payload.sleep_ms / 1000)
        data = payload.model_dump(exclude={"sleep_ms"})
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
        ctx.add_write(
            {
                "Update": {
                    "TableName": settings.job_records_table_name,
                    "Key": {"job_id": {"S": STATS_KEY}},
                    "UpdateExpression": "ADD #processed :one",
                    "ExpressionAttributeNames": {"#processed": "processed"},
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            }
        )
        return {"keys": len(data), "digest": f"sha256:{digest}"}

    @jobs.job("s3_object_created", internal=True)
    def record_upload(payload: S3ObjectCreated, ctx: JobContext) -> dict[str, Any]:
        file_id = file_records.file_id_of(payload.key)
        if payload.bucket != settings.uploads_bucket_name or file_id is None:
            return {"ignored": "not an upload"}
        table = settings.files_table_name
        found = file_records.pending(
            clients.dynamodb.get_item(
                TableName=table, Key=file_records.key(file_id), ConsistentRead=True
            ).get("Item")
        )
        if found is None:
            # No upload was signed for it, or it was recorded already (a duplicate event).
            return {"ignored": "no pending file", "file_id": file_id}
        checked = _digest_object(clients, payload.bucket, payload.key, payload.version_id)
        reason = None
        if found.max_bytes is not None and checked.size > found.max_bytes:
            reason = f"object is {checked.size} bytes, over the {found.max_bytes} bytes allowed"
        elif found.content_type and checked.stored_content_type != found.content_type:
            reason = (
                f"object has content type {checked.stored_content_type!r}, "
                f"not the declared {found.content_type!r}"
            )
        now = datetime.now(UTC).isoformat()
        # Committed with the job's completion, only while the file is still pending.
        if reason is None:
            ctx.add_write(file_records.mark_ready(table, file_id, checked, at=now))
        else:
            ctx.add_write(
                file_records.mark_rejected(table, file_id, reason=reason, size=checked.size, at=now)
            )
        status = file_records.REJECTED if reason else file_records.READY
        log.info(
            "file.recorded",
            file_id=file_id,
            size=checked.size,
            version_id=checked.version_id,
            status=status,
        )
        return {"file_id": file_id, "status": status, "size": checked.size}

    return jobs


def _digest_object(
    clients: AwsClients, bucket: str, key: str, version_id: str | None
) -> file_records.Checked:
    """Size, ``sha256:<hex>``, content type and version of an object, streamed (never all in memory).

    With ``version_id`` (S3 puts it in the event of a versioned bucket) exactly that
    version is read; without it (the local emulator's events carry none) the current
    one, whose version the response names: either way the version returned is the
    one hashed.
    """
    request: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id:
        request["VersionId"] = version_id
    response = clients.s3.get_object(**request)
    digest = hashlib.sha256()
    size = 0
    for chunk in response["Body"].iter_chunks(1024 * 1024):
        digest.update(chunk)
        size += len(chunk)
    read_version = response.get("VersionId")
    return file_records.Checked(
        size=size,
        checksum=f"sha256:{digest.hexdigest()}",
        stored_content_type=str(response.get("ContentType", "binary/octet-stream")),
        # "null" is the version of an object written while versioning was off.
        version_id=str(read_version) if read_version and read_version != "null" else None,
    )
