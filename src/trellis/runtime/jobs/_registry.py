"""Job handlers, registered with a decorator and a typed payload model."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, get_type_hints

from pydantic import BaseModel, ValidationError

from trellis.runtime._errors import Unprocessable

P = TypeVar("P", bound=BaseModel)
Handler = Callable[[Any, "JobContext"], dict[str, Any] | None]


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

    @property
    def last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts

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


class JobRegistry:
    """Maps job types to handlers.

    >>> jobs = JobRegistry()
    >>> class Resize(BaseModel):
    ...     key: str
    >>> @jobs.job("resize")
    ... def resize(payload: Resize, ctx: JobContext) -> dict:
    ...     return {"resized": payload.key}
    >>> jobs.validate("resize", {"key": "a.png"})
    Resize(key='a.png')
    """

    def __init__(self) -> None:
        self._jobs: dict[str, RegisteredJob] = {}

    def job(
        self, name: str
    ) -> Callable[
        [Callable[[P, JobContext], dict[str, Any] | None]],
        Callable[[P, JobContext], dict[str, Any] | None],
    ]:
        """Register ``handler(payload: Model, ctx: JobContext)`` for jobs of type ``name``."""

        def register(
            handler: Callable[[P, JobContext], dict[str, Any] | None],
        ) -> Callable[[P, JobContext], dict[str, Any] | None]:
            if name in self._jobs:
                raise ValueError(f"job type {name!r} is registered twice")
            params = list(inspect.signature(handler).parameters)
            model = get_type_hints(handler).get(params[0]) if params else None
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                raise TypeError(
                    f"the first parameter of the {name!r} handler must be annotated with a pydantic model"
                )
            self._jobs[name] = RegisteredJob(name, model, handler)
            return handler

        return register

    @property
    def types(self) -> list[str]:
        return sorted(self._jobs)

    def get(self, name: str) -> RegisteredJob | None:
        return self._jobs.get(name)

    def validate(self, name: str, payload: dict[str, Any]) -> BaseModel:
        """The typed payload; :class:`Unprocessable` for an unknown type or an invalid payload."""
        job = self._jobs.get(name)
        if job is None:
            raise Unprocessable(
                f"unknown job type {name!r}; known types: {', '.join(self.types) or 'none'}",
                detail={"fields": [{"loc": ["body", "type"], "message": "unknown job type"}]},
            )
        try:
            return job.model.model_validate(payload)
        except ValidationError as exc:
            fields = [
                {"loc": ["body", "payload", *[str(p) for p in err["loc"]]], "message": err["msg"]}
                for err in exc.errors(include_url=False)
            ]
            raise Unprocessable(
                f"invalid payload for job type {name!r}", detail={"fields": fields}
            ) from None
