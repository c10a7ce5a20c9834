"""Job records in DynamoDB: status, attempts, and the lease that makes delivery idempotent.

Every transition is a conditional write, so two deliveries of one message
(SQS is at-least-once) cannot both run it: the first claims a lease, the
second sees ``running`` (and is retried later) or ``succeeded`` (and is
dropped as a duplicate). Completion and the handler's own DynamoDB writes
commit in one transaction guarded by the lease, so a consumer that crashed
after its side effects but before acknowledging cannot apply them twice.

The SDK retries a call whose answer was lost (a read timeout, a dropped
connection) although DynamoDB may have applied it; the retry then fails its own
condition. Each conditional write therefore asks for the item as it was
(``ReturnValuesOnConditionCheckFailure``) and tells its own earlier write from
someone else's: the record it created, its lease owner, or ``settled_by`` (the
owner whose completion, release or failure removed the lease).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from trellis.runtime._errors import (
    Conflict,
    NotFound,
    aws_errors,
    is_aws_error,
    translate_aws_error,
)
from trellis.runtime.jobs._model import JobEnvelope, JobError, JobRecord, is_job_id, utcnow
from trellis.runtime.tables._dynamodb import item_as_it_was, put_new_item

#: How long a finished job's record is kept (DynamoDB TTL), beyond the queue and DLQ retention.
RECORD_TTL = timedelta(days=30)


class ClaimOutcome(Enum):
    CLAIMED = "claimed"
    DUPLICATE = "duplicate"  # already succeeded: acknowledge without running
    BUSY = "busy"  # another consumer holds a live lease: retry later


@dataclass(frozen=True)
class Claim:
    outcome: ClaimOutcome
    job_id: str
    owner: str = ""
    attempts: int = 0


class LeaseLost(RuntimeError):
    """The lease expired and another consumer took the job over; this run's result is discarded."""


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int | float) -> dict[str, str]:
    return {"N": str(int(value))}


def _settled_by(item: dict[str, Any] | None, owner: str) -> bool:
    """Whether ``owner``'s own transition (an earlier attempt of this call) is what the item shows."""
    return item is not None and item.get("settled_by") == _s(owner)


def _error(error: JobError) -> dict[str, Any]:
    return {"M": {"code": _s(error.code), "message": _s(error.message[:1000])}}


class JobStore:
    """Reads and moves job records in the ``job_records`` table (hash key ``job_id``)."""

    def __init__(
        self, dynamodb: Any, table_name: str, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.dynamodb = dynamodb
        self.table = table_name
        self.clock = clock

    def _now(self) -> tuple[str, int]:
        now = self.clock()
        return now.isoformat(), int(now.timestamp())

    def _expiry(self) -> dict[str, str]:
        return _n((self.clock() + RECORD_TTL).timestamp())

    def new_record(self, envelope: JobEnvelope) -> dict[str, Any]:
        now_iso, _ = self._now()
        return {
            "job_id": _s(envelope.job_id),
            "type": _s(envelope.type),
            "status": _s("queued"),
            "attempts": _n(0),
            "enqueued_at": _s(envelope.enqueued_at.isoformat()),
            "updated_at": _s(now_iso),
            "expires_at": self._expiry(),
        }

    def create(self, envelope: JobEnvelope) -> None:
        """Record a new job as ``queued``; :class:`Conflict` if the id exists.

        An id that exists with exactly this record is this call's own write, its
        answer lost and the call retried by the SDK: not a conflict.
        """
        put_new_item(self.dynamodb, self.table, self.new_record(envelope), key="job_id")

    def create_many(self, envelopes: list[JobEnvelope]) -> None:
        """Record fresh jobs as ``queued``, 25 per ``TransactWriteItems``.

        Each record is a conditional put (``attribute_not_exists``), so a repeated
        id is a :class:`Conflict` instead of a silent overwrite, and a chunk is
        recorded whole or not at all. It needs only ``dynamodb:PutItem``, which
        the ``write`` level grants (``BatchWriteItem`` can carry no condition and
        would be one more action to grant).
        """
        for start in range(0, len(envelopes), 25):
            records = [self.new_record(e) for e in envelopes[start : start + 25]]
            items = [
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": record,
                        "ConditionExpression": "attribute_not_exists(job_id)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
                for record in records
            ]
            try:
                with aws_errors("TransactWriteItems", self.table):
                    self.dynamodb.transact_write_items(TransactItems=items)
            except Conflict as exc:
                if not _all_written_before(exc, records):
                    raise

    def delete(self, job_id: str) -> None:
        with aws_errors("DeleteItem", self.table):
            self.dynamodb.delete_item(TableName=self.table, Key={"job_id": _s(job_id)})

    def get(self, job_id: str) -> JobRecord:
        """The job's record; :class:`NotFound` for an unknown id or one that cannot be a job's."""
        if not is_job_id(job_id):
            # Other items share the table (``stats#process_data``): such keys are never looked up.
            raise NotFound("no such job")
        with aws_errors("GetItem", self.table):
            item = self.dynamodb.get_item(
                TableName=self.table, Key={"job_id": _s(job_id)}, ConsistentRead=True
            ).get("Item")
        if item is None or "status" not in item:
            raise NotFound(f"no job {job_id}")
        return _to_record(item)

    def claim(self, envelope: JobEnvelope, *, lease_s: int, message_id: str) -> Claim:
        """Take the job for ``lease_s`` seconds, unless it is done or leased by someone else.

        Type and enqueue time are written plainly: every delivery of a job carries the
        same envelope, so they never change (and a message sent without a record first,
        as the guide's curl example does, gets a complete record).
        """
        now_iso, now_ts = self._now()
        owner = f"{message_id}/{uuid.uuid4().hex[:12]}"
        try:
            with aws_errors("UpdateItem", self.table):
                item = self.dynamodb.update_item(
                    TableName=self.table,
                    Key={"job_id": _s(envelope.job_id)},
                    UpdateExpression=(
                        "SET #s = :running, started_at = if_not_exists(started_at, :now), updated_at = :now,"
                        " lease_owner = :owner, lease_until = :lease, #t = :type, enqueued_at = :enq,"
                        " expires_at = :exp ADD attempts :one"
                    ),
                    ConditionExpression=(
                        "attribute_not_exists(job_id) OR #s IN (:queued, :failed, :dead)"
                        " OR (#s = :running AND lease_until < :now_ts)"
                    ),
                    ExpressionAttributeNames={"#s": "status", "#t": "type"},
                    ExpressionAttributeValues={
                        ":running": _s("running"),
                        ":queued": _s("queued"),
                        ":failed": _s("failed"),
                        ":dead": _s("dead_lettered"),
                        ":now": _s(now_iso),
                        ":now_ts": _n(now_ts),
                        ":owner": _s(owner),
                        ":lease": _n(now_ts + lease_s),
                        ":type": _s(envelope.type),
                        ":enq": _s(envelope.enqueued_at.isoformat()),
                        ":exp": self._expiry(),
                        ":one": _n(1),
                    },
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )["Attributes"]
        except Conflict as exc:
            seen = item_as_it_was(exc)
            if seen is not None and seen.get("lease_owner") == _s(owner):
                # This call's own claim, its answer lost and the call retried.
                return Claim(
                    ClaimOutcome.CLAIMED, envelope.job_id, owner, int(seen["attempts"]["N"])
                )
            if seen is not None and "status" in seen:
                status = seen["status"]["S"]
            else:
                status = self.get(envelope.job_id).status
            if status == "succeeded":
                return Claim(ClaimOutcome.DUPLICATE, envelope.job_id)
            return Claim(ClaimOutcome.BUSY, envelope.job_id)
        return Claim(ClaimOutcome.CLAIMED, envelope.job_id, owner, int(item["attempts"]["N"]))

    def extend(self, claim: Claim, lease_s: int) -> None:
        """Push the lease further while a long job is still running."""
        _, now_ts = self._now()
        self._guarded(claim, "SET lease_until = :lease", {":lease": _n(now_ts + lease_s)})

    def complete(
        self, claim: Claim, result: dict[str, Any] | None, writes: list[dict[str, Any]]
    ) -> None:
        """``succeeded``, atomically with the handler's writes; :class:`LeaseLost` if the lease is gone."""
        now_iso, _ = self._now()
        update = {
            "TableName": self.table,
            "Key": {"job_id": _s(claim.job_id)},
            "UpdateExpression": (
                "SET #s = :ok, completed_at = :now, updated_at = :now, #r = :result, expires_at = :exp,"
                " settled_by = :owner REMOVE lease_owner, lease_until, #e"
            ),
            "ConditionExpression": "lease_owner = :owner",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            "ExpressionAttributeNames": {"#s": "status", "#r": "result", "#e": "error"},
            "ExpressionAttributeValues": {
                ":ok": _s("succeeded"),
                ":now": _s(now_iso),
                ":result": _s(json.dumps(result if result is not None else {}, default=str)),
                ":exp": self._expiry(),
                ":owner": _s(claim.owner),
            },
        }
        if not writes:
            try:
                with aws_errors("UpdateItem", self.table):
                    self.dynamodb.update_item(**update)
            except Conflict as exc:
                if _settled_by(item_as_it_was(exc), claim.owner):
                    return
                raise LeaseLost(claim.job_id) from exc
            return
        try:
            self.dynamodb.transact_write_items(TransactItems=[{"Update": update}, *writes])
        except Exception as exc:
            if not is_aws_error(exc):
                raise
            reasons = getattr(exc, "response", {}).get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                if _settled_by(reasons[0].get("Item"), claim.owner):
                    # The transaction committed and its retry found the job settled by this
                    # very claim (the handler's writes went with it, all or nothing).
                    return
                raise LeaseLost(claim.job_id) from exc
            raise translate_aws_error(
                exc, operation="TransactWriteItems", resource=self.table
            ) from exc

    def release(self, claim: Claim, error: JobError) -> None:
        """Back to ``queued`` after a failed attempt that will be retried."""
        now_iso, _ = self._now()
        self._guarded(
            claim,
            "SET #s = :queued, #e = :error, updated_at = :now, settled_by = :owner"
            " REMOVE lease_owner, lease_until",
            {":queued": _s("queued"), ":error": _error(error), ":now": _s(now_iso)},
        )

    def fail(self, claim: Claim, error: JobError) -> None:
        """``failed``: the last allowed attempt failed."""
        now_iso, _ = self._now()
        self._guarded(
            claim,
            "SET #s = :failed, #e = :error, failed_at = :now, updated_at = :now, settled_by = :owner"
            " REMOVE lease_owner, lease_until",
            {":failed": _s("failed"), ":error": _error(error), ":now": _s(now_iso)},
        )

    def mark_dead_lettered(self, job_id: str) -> None:
        """``dead_lettered``: the message now sits in the DLQ."""
        now_iso, _ = self._now()
        with aws_errors("UpdateItem", self.table):
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"job_id": _s(job_id)},
                UpdateExpression="SET #s = :dead, dead_lettered_at = :now, updated_at = :now",
                ConditionExpression="attribute_exists(job_id)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":dead": _s("dead_lettered"), ":now": _s(now_iso)},
            )

    def _guarded(self, claim: Claim, expression: str, values: dict[str, Any]) -> None:
        names = {k: v for k, v in {"#s": "status", "#e": "error"}.items() if k in expression}
        request: dict[str, Any] = {
            "TableName": self.table,
            "Key": {"job_id": _s(claim.job_id)},
            "UpdateExpression": expression,
            "ConditionExpression": "lease_owner = :owner",
            "ExpressionAttributeValues": {**values, ":owner": _s(claim.owner)},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if names:
            request["ExpressionAttributeNames"] = names
        try:
            with aws_errors("UpdateItem", self.table):
                self.dynamodb.update_item(**request)
        except Conflict as exc:
            seen = item_as_it_was(exc)
            if seen is not None and _settled_by(seen, claim.owner) and "lease_owner" not in seen:
                return  # this call's own release or failure, retried after its answer was lost
            raise LeaseLost(claim.job_id) from exc


def _all_written_before(conflict: BaseException, records: list[dict[str, Any]]) -> bool:
    """Whether a cancelled batch of puts failed only on the records it had itself written."""
    response = getattr(conflict.__cause__, "response", None) or {}
    reasons = response.get("CancellationReasons") or []
    return len(reasons) == len(records) and all(
        isinstance(reason, dict)
        and reason.get("Code") == "ConditionalCheckFailed"
        and reason.get("Item") == record
        for reason, record in zip(reasons, records, strict=True)
    )


def _to_record(item: dict[str, Any]) -> JobRecord:
    def text(name: str) -> str | None:
        value = item.get(name)
        return value["S"] if value else None

    result = text("result")
    error = item.get("error")
    stored_error = None
    if error is not None:
        fields = error.get("M")
        if fields is not None:
            stored_error = JobError(code=fields["code"]["S"], message=fields["message"]["S"])
        else:
            # Written before errors had codes, as exception text: never shown.
            stored_error = JobError(code="job_failed", message="the job failed")
    return JobRecord(
        job_id=item["job_id"]["S"],
        type=text("type") or "",
        status=item["status"]["S"],
        attempts=int(item.get("attempts", {"N": "0"})["N"]),
        enqueued_at=text("enqueued_at"),
        started_at=text("started_at"),
        completed_at=text("completed_at"),
        failed_at=text("failed_at"),
        dead_lettered_at=text("dead_lettered_at"),
        result=json.loads(result) if result else None,
        error=stored_error,
    )
