"""Enqueueing jobs: validate, record as ``queued``, send — one job or many."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trellis.runtime._errors import TrellisError
from trellis.runtime._logging import get_logger
from trellis.runtime.jobs._model import JobEnvelope, utcnow
from trellis.runtime.jobs._registry import JobRegistry
from trellis.runtime.jobs._store import JobStore
from trellis.runtime.queues import OutgoingMessage, Publisher

_log = get_logger("trellis.jobs")


@dataclass(frozen=True)
class JobRequest:
    type: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Submitted:
    """One job of a batch: queued with an id, or rejected with the error that stopped it."""

    index: int
    job_id: str | None = None
    error: TrellisError | None = None


def _trace_context() -> dict[str, str]:
    from trellis.runtime._tracing import tracing_enabled

    if not tracing_enabled():
        return {}
    from opentelemetry import propagate

    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


class JobClient:
    """Submits jobs to the jobs queue.

    A job is recorded as ``queued`` before its message is sent, so a worker
    never meets a job the API has not recorded; if the send fails the record
    is removed and the error (503 for an outage) reaches the caller.

    Internal job types are refused (422) unless ``allow_internal``: a client
    serving a public API must not let callers forge the platform's jobs.
    """

    def __init__(
        self,
        registry: JobRegistry,
        store: JobStore,
        publisher: Publisher,
        *,
        clock: Callable[[], datetime] = utcnow,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
        allow_internal: bool = False,
    ) -> None:
        self.registry = registry
        self.store = store
        self.publisher = publisher
        self.clock = clock
        self.new_id = new_id
        self.allow_internal = allow_internal

    def envelope(self, request: JobRequest) -> JobEnvelope:
        """Validate ``request`` and wrap it; :class:`Unprocessable` / :class:`PayloadTooLarge` if it can't go."""
        model = self.registry.validate(
            request.type, request.payload, allow_internal=self.allow_internal
        )
        envelope = JobEnvelope(
            job_id=self.new_id(),
            type=request.type,
            payload=model.model_dump(mode="json"),
            enqueued_at=self.clock(),
            trace=_trace_context(),
        )
        self.publisher.check_size(self._message(envelope))
        return envelope

    def submit(self, request: JobRequest) -> JobEnvelope:
        envelope = self.envelope(request)
        self.store.create(envelope)
        try:
            self.publisher.send(envelope.to_body(), {"job-type": envelope.type})
        except Exception:
            self._forget([envelope.job_id])
            raise
        _log.info("job.queued", job_id=envelope.job_id, job_type=envelope.type)
        return envelope

    def submit_many(self, requests: Sequence[JobRequest]) -> list[Submitted]:
        """Queue many jobs with TransactWriteItems + SendMessageBatch; a result per job, in order."""
        results: dict[int, Submitted] = {}
        ready: list[tuple[int, JobEnvelope]] = []
        for index, request in enumerate(requests):
            try:
                ready.append((index, self.envelope(request)))
            except TrellisError as exc:
                results[index] = Submitted(index, error=exc)
        if ready:
            self.store.create_many([env for _, env in ready])
            sent = self.publisher.send_batch([self._message(env) for _, env in ready])
            lost = []
            for (index, env), outcome in zip(ready, sent, strict=True):
                if outcome.ok:
                    results[index] = Submitted(index, job_id=env.job_id)
                else:
                    results[index] = Submitted(index, error=outcome.error)
                    lost.append(env.job_id)
            self._forget(lost)
        return [results[i] for i in range(len(requests))]

    def _message(self, envelope: JobEnvelope) -> OutgoingMessage:
        return OutgoingMessage(envelope.to_body(), {"job-type": envelope.type})

    def _forget(self, job_ids: list[str]) -> None:
        for job_id in job_ids:
            try:
                self.store.delete(job_id)
            except TrellisError:
                _log.warning("job.record_orphaned", job_id=job_id)


__all__ = ["JobClient", "JobRequest", "Submitted"]
