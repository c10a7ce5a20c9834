"""Handlers registered by name whose first parameter's model validates what they receive.

The one registry under :class:`~trellis.runtime.schedules.Schedules` (a firing's payload)
and :class:`~trellis.runtime.events.Events` (a rule delivery's ``detail``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, get_type_hints

from pydantic import BaseModel

R = TypeVar("R")

__all__ = ["Registered", "TypedHandlers", "first_parameter_model", "parse_time"]


def first_parameter_model(handler: Callable[..., Any], label: str) -> type[BaseModel]:
    """The pydantic model ``handler``'s first parameter is annotated with.

    Raises ``TypeError`` naming the handler by ``label`` (``"'nightly' schedule"``) when
    there is none: its payload could not be validated.
    """
    params = list(inspect.signature(handler).parameters)
    model = get_type_hints(handler).get(params[0]) if params else None
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model
    raise TypeError(
        f"the first parameter of the {label} handler must be annotated with a pydantic model"
    )


@dataclass(frozen=True)
class Registered:
    """A handler, the model of its first parameter, and whether it takes a context second."""

    model: type[BaseModel]
    handler: Callable[..., Any]
    takes_context: bool


class TypedHandlers:
    """``what`` (``"schedule"``, ``"rule"``) names in the errors; one handler per name."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._handlers: dict[str, Registered] = {}

    def on(self, name: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
        """The decorator that registers its function as ``name``'s handler."""

        def register(handler: Callable[..., R]) -> Callable[..., R]:
            if name in self._handlers:
                raise ValueError(f"{self.what} {name!r} has two handlers")
            model = first_parameter_model(handler, f"{name!r} {self.what}")
            takes_context = len(inspect.signature(handler).parameters) > 1
            self._handlers[name] = Registered(model, handler, takes_context)
            return handler

        return register

    def get(self, name: str) -> Registered | None:
        return self._handlers.get(name)

    @property
    def names(self) -> list[str]:
        return sorted(self._handlers)


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time of an event, or None (absent, or a template left unfilled: ``<aws...>``)."""
    if not isinstance(value, str) or value.startswith("<"):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
