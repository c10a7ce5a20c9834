"""Job handlers, registered with a decorator and a typed payload model."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ValidationError

from trellis.runtime._errors import Unprocessable
from trellis.runtime._typed_handlers import first_parameter_model

P = TypeVar("P", bound=BaseModel)
Handler = Callable[[Any, "JobContext"], dict[str, Any] | None]

#: The job time limit when the registry is given none. A Lambda consumer also stops a job
#: before the invocation's deadline; set a limit well below the function's timeout.
DEFAULT_MAX_RUN_S: Final = 60.0
#: The key under which payload models find the job time limit in their validation context.
MAX_RUN_S_CONTEXT: Final = "max_run_s"


@dataclass
class JobContext:
    """What a handler knows about the run it is in.

    ``add_write`` lets a handler make its DynamoDB side effects part of the
    job's completion: they commit in one transaction with the ``succeeded``
    status, so a job redelivered after a crash can never apply them twice.
    """

    job_id: str
    type: str
    attempt: int
    max_attempts: int
    enqueued_at: datetime
    writes: list[dict[str, Any]] = field(default_factory=list)
    #: ``time.monotonic()`` at which the run is abandoned (its time limit); None: no limit.
    deadline: float | None = None

    @property
    def last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts

    def remaining_s(self) -> float | None:
        """Seconds left before the run is abandoned: a long handler checks it and stops early."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def add_write(self, item: dict[str, Any]) -> None:
        """Add a ``TransactWriteItems`` entry (``{"Update": {...}}``, ``{"Put": {...}}``, ...)."""
        if len(self.writes) >= 99:  # one slot of the 100-item transaction is the job record
            raise ValueError("a job commits at most 99 writes with its completion")
        self.writes.append(item)


@dataclass(frozen=True)
class RegisteredJob:
    name: str
    model: type[BaseModel]
    handler: Handler
    #: Internal jobs come from the platform (an S3 notification, another job), never an API.
    internal: bool = False


class JobRegistry:
    """Maps job types to handlers, and bounds how long a job may run.

    >>> jobs = JobRegistry(max_run_s=10)
    >>> class Resize(BaseModel):
    ...     key: str
    >>> @jobs.job("resize")
    ... def resize(payload: Resize, ctx: JobContext) -> dict:
    ...     return {"resized": payload.key}
    >>> jobs.validate("resize", {"key": "a.png"})
    Resize(key='a.png')

    ``max_run_s`` is the job time limit: a run that takes longer is abandoned
    and fails as ``timed_out`` (the runner stops waiting for it; Python
    cannot kill the thread, so its result and ``ctx`` writes are discarded).
    Payload models see the limit in their validation context
    (``info.context["max_run_s"]``), so a knob such as a sleep or a page
    count can be bounded by it and refused with a 422 when the job is
    submitted.
    """

    def __init__(self, *, max_run_s: float = DEFAULT_MAX_RUN_S) -> None:
        if not max_run_s > 0:
            raise ValueError(f"max_run_s must be positive, got {max_run_s}")
        self.max_run_s = float(max_run_s)
        self._jobs: dict[str, RegisteredJob] = {}

    @property
    def context(self) -> dict[str, Any]:
        """The validation context payload models are validated with."""
        return {MAX_RUN_S_CONTEXT: self.max_run_s}

    def job(
        self, name: str, *, internal: bool = False
    ) -> Callable[
        [Callable[[P, JobContext], dict[str, Any] | None]],
        Callable[[P, JobContext], dict[str, Any] | None],
    ]:
        """Register ``handler(payload: Model, ctx: JobContext)`` for jobs of type ``name``.

        An ``internal`` type runs like any other but cannot be submitted through
        :meth:`validate` (and so through :class:`JobClient` and the jobs API):
        its payload comes from the platform, e.g. ``s3_object_created``.
        """

        def register(
            handler: Callable[[P, JobContext], dict[str, Any] | None],
        ) -> Callable[[P, JobContext], dict[str, Any] | None]:
            if name in self._jobs:
                raise ValueError(f"job type {name!r} is registered twice")
            model = first_parameter_model(handler, repr(name))
            self._jobs[name] = RegisteredJob(name, model, handler, internal)
            return handler

        return register

    @property
    def types(self) -> list[str]:
        """Every registered type, internal ones included."""
        return sorted(self._jobs)

    @property
    def public_types(self) -> list[str]:
        """The types an API may submit."""
        return sorted(name for name, job in self._jobs.items() if not job.internal)

    def get(self, name: str) -> RegisteredJob | None:
        return self._jobs.get(name)

    def validate(
        self, name: str, payload: dict[str, Any], *, allow_internal: bool = False
    ) -> BaseModel:
        """The typed payload; :class:`Unprocessable` for an unknown or internal type or an invalid payload."""
        job = self._jobs.get(name)
        if job is None:
            raise Unprocessable(
                f"unknown job type {name!r}; known types: {', '.join(self.public_types) or 'none'}",
                detail={"fields": [{"loc": ["body", "type"], "message": "unknown job type"}]},
            )
        if job.internal and not allow_internal:
            raise Unprocessable(
                f"job type {name!r} is internal: only the platform submits it",
                detail={"fields": [{"loc": ["body", "type"], "message": "internal job type"}]},
            )
        try:
            return job.model.model_validate(payload, context=self.context)
        except ValidationError as exc:
            fields = [
                {"loc": ["body", "payload", *[str(p) for p in err["loc"]]], "message": err["msg"]}
                for err in exc.errors(include_url=False)
            ]
            raise Unprocessable(
                f"invalid payload for job type {name!r}", detail={"fields": fields}
            ) from None
