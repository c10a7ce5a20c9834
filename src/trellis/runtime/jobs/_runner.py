"""Running jobs from SQS records: claim, run, complete — or retry, fail and dead-letter.

The same runner serves Lambda (``lambda_handler(app, sqs=runner.process)``,
with the event source mapping's partial batch responses) and containers
(:class:`~trellis.runtime.consumer.QueueConsumer`). Raising from ``process``
leaves the message in the queue to be retried; returning acknowledges it.

On the last allowed receive (``ApproximateReceiveCount`` equal to the queue's
``maxReceiveCount``) a failed job is marked ``failed``, its message is copied
to the DLQ, the job is marked ``dead_lettered``, and the original is
acknowledged — so the job's status tells where its message is. If the copy
cannot be sent the message is left for the queue's own redrive policy, which
moves it on its next receive: nothing is dropped either way.

A job runs for at most the registry's ``max_run_s``, and never past the
record's :attr:`~trellis.runtime.SqsRecord.deadline` (on Lambda: the
invocation's, less a margin). The handler runs on its own thread; past the
limit the runner stops waiting, fails the attempt as ``timed_out`` and moves
on, so one stuck job cannot take the invocation down with the rest of its
batch. The abandoned thread cannot be killed: its result and its ``ctx``
writes are discarded (the lease guards completion), but side effects it
makes on its own still happen, so handlers that run long check
``ctx.remaining_s()``.

What a failed attempt stores, and ``GET /jobs/{id}`` shows, is a
:class:`JobError`: a code and a message safe for clients. The exception
itself (AWS's text, ARNs, internal names) goes to the log only.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from trellis.runtime._errors import TrellisError, aws_errors, is_aws_error, translate_aws_error
from trellis.runtime._lambda import SqsRecord
from trellis.runtime._logging import get_logger
from trellis.runtime.jobs._model import InvalidJob, JobEnvelope, JobError, decode_message, utcnow
from trellis.runtime.jobs._registry import JobContext, JobRegistry
from trellis.runtime.jobs._store import Claim, ClaimOutcome, JobStore, LeaseLost

_log = get_logger("trellis.jobs")

T = TypeVar("T")

#: What a client sees for a failure the platform has no safe words for.
JOB_FAILED = JobError(code="job_failed", message="the job failed")


class JobBusy(RuntimeError):
    """Another consumer holds this job's lease; the message is retried later."""


class JobFailed(RuntimeError):
    """A job's attempt failed; the message is retried.

    ``str()`` is the detail, for logs and the DLQ; ``error`` what clients may
    see; ``claim`` the lease it held.
    """

    def __init__(
        self, message: str, claim: Claim | None = None, error: JobError | None = None
    ) -> None:
        super().__init__(message)
        self.claim = claim
        self.error = error or JOB_FAILED


class JobTimedOut(RuntimeError):
    """The handler ran past its time limit and was abandoned."""

    def __init__(self, limit_s: float) -> None:
        super().__init__(f"the job ran past its {limit_s:g} s time limit")
        self.limit_s = limit_s


def job_error(exc: BaseException) -> JobError:
    """The client-safe error for what a handler raised (AWS errors are logged with their detail)."""
    if isinstance(exc, JobTimedOut):
        return JobError(code="timed_out", message=str(exc))
    if isinstance(exc, ValidationError):
        fields = sorted({".".join(str(p) for p in err["loc"]) or "payload" for err in exc.errors()})
        return JobError(
            code="invalid_payload",
            message=f"the payload is not valid for this job type ({', '.join(fields)})",
        )
    if is_aws_error(exc):
        exc = translate_aws_error(exc)
    if isinstance(exc, TrellisError):
        # Platform errors carry client-safe messages by contract.
        return JobError(code=exc.code, message=exc.message)
    return JOB_FAILED


class _Lane:
    """One thread that runs handlers, one at a time, until it is retired."""

    def __init__(self) -> None:
        self._tasks: queue.SimpleQueue[tuple[Callable[[], Any], _Outcome] | None] = (
            queue.SimpleQueue()
        )
        # A daemon: an abandoned handler must not keep the process from exiting.
        threading.Thread(target=self._loop, name="trellis-job", daemon=True).start()

    def submit(self, fn: Callable[[], Any]) -> _Outcome:
        outcome = _Outcome(contextvars.copy_context())  # request id, log fields, trace span
        self._tasks.put((fn, outcome))
        return outcome

    def retire(self) -> None:
        """End the thread once its current task is over (it is never given another)."""
        self._tasks.put(None)

    def _loop(self) -> None:
        while (task := self._tasks.get()) is not None:
            fn, outcome = task
            try:
                outcome.result = outcome.context.run(fn)
            except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
                outcome.error = exc
            finally:
                outcome.done.set()


class _Outcome:
    def __init__(self, context: contextvars.Context) -> None:
        self.context = context
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class _Lanes:
    """Threads for handlers, reused (a new thread per job costs ~6x a handover).

    A lane whose handler ran past its limit is retired, never reused: the
    abandoned handler keeps it until it returns.
    """

    def __init__(self) -> None:
        self._idle: list[_Lane] = []
        self._lock = threading.Lock()

    def run(self, fn: Callable[[], T], limit_s: float) -> T:
        """``fn()`` on a lane; :class:`JobTimedOut` if it is not done within ``limit_s``."""
        with self._lock:
            lane = self._idle.pop() if self._idle else None
        lane = lane or _Lane()
        outcome = lane.submit(fn)
        if not outcome.done.wait(max(0.0, limit_s)):
            lane.retire()
            raise JobTimedOut(limit_s)
        with self._lock:
            self._idle.append(lane)
        if outcome.error is not None:
            raise outcome.error
        result: T = outcome.result
        return result


@dataclass(frozen=True)
class QueueInfo:
    """What the runner needs to know about its queue, read from SQS once."""

    url: str
    visibility_timeout_s: int
    max_receive_count: int | None
    dlq_url: str | None

    @classmethod
    def load(cls, sqs: Any, url: str) -> QueueInfo:
        with aws_errors("GetQueueAttributes", url):
            attrs = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["VisibilityTimeout", "RedrivePolicy"]
            )["Attributes"]
        redrive = json.loads(attrs["RedrivePolicy"]) if attrs.get("RedrivePolicy") else None
        dlq_url = None
        if redrive:
            # Same account and region as the source queue: swap the last path segment.
            dlq_name = str(redrive["deadLetterTargetArn"]).rsplit(":", 1)[-1]
            dlq_url = url.rsplit("/", 1)[0] + "/" + dlq_name
        return cls(
            url=url,
            visibility_timeout_s=int(attrs.get("VisibilityTimeout", 30)),
            max_receive_count=int(redrive["maxReceiveCount"]) if redrive else None,
            dlq_url=dlq_url,
        )


class JobRunner:
    """Runs the jobs carried by SQS records against a :class:`JobRegistry`."""

    def __init__(
        self,
        registry: JobRegistry,
        store: JobStore,
        sqs: Any,
        queue_url: str,
        *,
        clock: Callable[[], datetime] = utcnow,
        queue_info: QueueInfo | None = None,
    ) -> None:
        self.registry = registry
        self.store = store
        self.sqs = sqs
        self.queue_url = queue_url
        self.clock = clock
        self._info = queue_info
        self._lock = threading.Lock()
        self._claims: dict[str, list[Claim]] = {}
        self._lanes = _Lanes()

    @property
    def info(self) -> QueueInfo:
        if self._info is None:
            with self._lock:
                if self._info is None:
                    self._info = QueueInfo.load(self.sqs, self.queue_url)
        return self._info

    def process(self, record: SqsRecord) -> None:
        """Run every job in ``record``; raise to have SQS deliver it again."""
        info = self.info
        final = (
            info.max_receive_count is not None and record.receive_count >= info.max_receive_count
        )
        try:
            envelopes = decode_message(record.body, record.message_id, _sent_at(record))
        except InvalidJob as exc:
            _log.warning(
                "job.invalid",
                message_id=record.message_id,
                error=str(exc),
                receive_count=record.receive_count,
            )
            if final and self._dead_letter(record, [], f"invalid_message: {exc}"):
                return
            raise
        if envelopes is None:
            _log.info("job.message_ignored", message_id=record.message_id, reason="s3:TestEvent")
            return
        failed: list[JobFailed] = []
        contended = False  # another consumer owns one of the jobs: never dead-letter its message
        for envelope in envelopes:
            try:
                self._run(envelope, record, final)
            except JobFailed as exc:
                failed.append(exc)
            except (JobBusy, LeaseLost) as exc:
                contended = True
                failed.append(JobFailed(str(exc)))
        if not failed:
            return
        if final and not contended:
            claims = [exc.claim for exc in failed if exc.claim is not None]
            for failure in failed:
                if failure.claim is not None:
                    with contextlib.suppress(LeaseLost):
                        self.store.fail(failure.claim, failure.error)
            first = failed[0]
            if self._dead_letter(
                record, [c.job_id for c in claims], f"{first.error.code}: {first}"
            ):
                return
        raise JobFailed(
            f"{len(failed)} of {len(envelopes)} job(s) failed: {failed[0]}", error=failed[0].error
        )

    def _limit_s(self, record: SqsRecord) -> float:
        """How long the next job of ``record`` may run: the time limit, or less near the deadline."""
        limit = self.registry.max_run_s
        remaining = record.remaining_s()
        return limit if remaining is None else min(limit, remaining)

    def _run(self, envelope: JobEnvelope, record: SqsRecord, final: bool) -> None:
        info = self.info
        job = self.registry.get(envelope.type)
        limit_s = self._limit_s(record)
        if limit_s <= 0:
            # Out of time before it started (a message carrying several jobs): not claimed,
            # so the job is simply delivered again.
            raise JobFailed(
                f"job {envelope.job_id} not started: the record's time is spent",
                error=JobError(code="timed_out", message="the job was not started in time"),
            )
        claim = self.store.claim(
            envelope, lease_s=info.visibility_timeout_s, message_id=record.message_id
        )
        if claim.outcome is ClaimOutcome.DUPLICATE:
            _log.info("job.duplicate_skipped", job_id=envelope.job_id, message_id=record.message_id)
            return
        if claim.outcome is ClaimOutcome.BUSY:
            raise JobBusy(f"job {envelope.job_id} is being run by another consumer")
        self._hold(record.message_id, claim)
        started = time.perf_counter()
        try:
            if job is None:
                error = JobError(
                    code="unknown_job_type", message=f"no handler for job type {envelope.type!r}"
                )
                self._attempt_failed(envelope, record, final, claim, error, error.message)
                raise JobFailed(error.message, claim, error)
            ctx = JobContext(
                job_id=envelope.job_id,
                type=envelope.type,
                attempt=record.receive_count,
                max_attempts=info.max_receive_count or 1,
                enqueued_at=envelope.enqueued_at,
                deadline=time.monotonic() + limit_s,
            )
            try:
                payload = job.model.model_validate(envelope.payload, context=self.registry.context)
                handler = job.handler
                result = self._lanes.run(lambda: handler(payload, ctx), limit_s)
            except Exception as exc:
                error = job_error(exc)
                detail = f"{type(exc).__name__}: {exc}"
                self._attempt_failed(envelope, record, final, claim, error, detail)
                raise JobFailed(detail, claim, error) from exc
            self.store.complete(claim, result, ctx.writes)
            _log.info(
                "job.succeeded",
                job_id=envelope.job_id,
                job_type=envelope.type,
                message_id=record.message_id,
                attempt=record.receive_count,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
        finally:
            self._drop(record.message_id, claim)

    def _attempt_failed(
        self,
        envelope: JobEnvelope,
        record: SqsRecord,
        final: bool,
        claim: Claim,
        error: JobError,
        detail: str,
    ) -> None:
        """Log the detail (operators only) and, unless it was the last try, release the job."""
        _log.warning(
            "job.attempt_failed",
            job_id=envelope.job_id,
            job_type=envelope.type,
            attempt=record.receive_count,
            final=final,
            code=error.code,
            error=detail,
        )
        if not final:
            with contextlib.suppress(LeaseLost):
                self.store.release(claim, error)

    def _dead_letter(self, record: SqsRecord, job_ids: list[str], error: str) -> bool:
        """Copy the message to the DLQ and mark its jobs; False leaves it to the redrive policy."""
        dlq = self.info.dlq_url
        if dlq is None:
            return False
        attributes = {
            name: {
                k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")
            }
            for name, value in _message_attributes(record).items()
        }
        attributes["trellis-error"] = {
            "DataType": "String",
            "StringValue": error[:1000] or "failed",
        }
        attributes["trellis-source-message-id"] = {
            "DataType": "String",
            "StringValue": record.message_id,
        }
        try:
            with aws_errors("SendMessage", dlq):
                self.sqs.send_message(
                    QueueUrl=dlq, MessageBody=record.body, MessageAttributes=attributes
                )
        except Exception as exc:  # noqa: BLE001 - the redrive policy is the fallback
            _log.error(
                "job.dead_letter_failed",
                message_id=record.message_id,
                error=f"{type(exc).__name__}: {exc}",
            )
            return False
        for job_id in job_ids:
            try:
                self.store.mark_dead_lettered(job_id)
            except Exception as exc:  # noqa: BLE001 - the message is safe in the DLQ already
                _log.error(
                    "job.dead_letter_status_failed",
                    job_id=job_id,
                    error=f"{type(exc).__name__}: {exc}",
                )
        _log.error("job.dead_lettered", message_id=record.message_id, job_ids=job_ids, error=error)
        return True

    def extend_leases(self, message_id: str, seconds: int) -> None:
        """Keep the leases of a long-running message's jobs alive (called by the container consumer)."""
        with self._lock:
            claims = list(self._claims.get(message_id, []))
        for claim in claims:
            try:
                self.store.extend(claim, seconds)
            except LeaseLost:
                _log.warning("job.lease_lost", job_id=claim.job_id)

    def _hold(self, message_id: str, claim: Claim) -> None:
        with self._lock:
            self._claims.setdefault(message_id, []).append(claim)

    def _drop(self, message_id: str, claim: Claim) -> None:
        with self._lock:
            held = self._claims.get(message_id, [])
            if claim in held:
                held.remove(claim)
            if not held:
                self._claims.pop(message_id, None)


def _message_attributes(record: SqsRecord) -> dict[str, dict[str, Any]]:
    """Message attributes in the SendMessage shape (the Lambda event spells them in camelCase)."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in record.message_attributes.items():
        if name.startswith("trellis-"):
            continue
        data_type = value.get("dataType") or value.get("DataType") or "String"
        string = value.get("stringValue", value.get("StringValue"))
        binary = value.get("binaryValue", value.get("BinaryValue"))
        entry: dict[str, Any] = {"DataType": data_type}
        if string is not None:
            entry["StringValue"] = string
        elif binary is not None:
            entry["BinaryValue"] = binary
        else:
            continue
        out[name] = entry
    return out


def _sent_at(record: SqsRecord) -> datetime | None:
    sent = record.attributes.get("SentTimestamp")
    if not sent:
        return None
    return datetime.fromtimestamp(int(sent) / 1000, UTC)
