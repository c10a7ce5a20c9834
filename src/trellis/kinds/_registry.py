"""The registry: every resource kind Trellis knows, in the order manifests, Terraform and
policies list them. Adding a kind is adding its entry module and one line here."""

from __future__ import annotations

from typing import Any, Final

from trellis.kinds._bucket import BUCKET
from trellis.kinds._bus import BUS
from trellis.kinds._cache import CACHE
from trellis.kinds._database import DATABASE
from trellis.kinds._kind import Kind, ResourceKind
from trellis.kinds._parameter import PARAMETER
from trellis.kinds._queue import QUEUE
from trellis.kinds._schedule import SCHEDULE
from trellis.kinds._secret import SECRET
from trellis.kinds._table import TABLE
from trellis.kinds._topic import TOPIC

__all__ = [
    "BUCKET",
    "BUS",
    "CACHE",
    "DATABASE",
    "KINDS",
    "PARAMETER",
    "QUEUE",
    "SCHEDULE",
    "SECRET",
    "TABLE",
    "TOPIC",
    "UnknownKind",
    "kind",
    "kind_names",
]

#: Every kind, in registry order: queues come first (other kinds deliver to them).
KINDS: Final[tuple[Kind[Any], ...]] = (
    QUEUE,
    TABLE,
    BUCKET,
    TOPIC,
    SECRET,
    PARAMETER,
    DATABASE,
    CACHE,
    SCHEDULE,
    BUS,
)

_BY_NAME: Final[dict[str, Kind[Any]]] = {k.name: k for k in KINDS}


class UnknownKind(ValueError):
    """A kind the registry has no entry for."""


def kind(name: ResourceKind | str) -> Kind[Any]:
    """The registry entry of the kind called ``name``; :class:`UnknownKind` if there is none."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownKind(
            f"unknown resource kind {name!r} (kinds: {', '.join(_BY_NAME)})"
        ) from None


def kind_names() -> tuple[ResourceKind, ...]:
    """The names of every kind, in registry order."""
    return tuple(k.name for k in KINDS)
