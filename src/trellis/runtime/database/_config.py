"""Pool sizes and timeouts, from env vars (read when a pool is created)."""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["PoolConfig", "pool_config"]


@dataclass(frozen=True)
class PoolConfig:
    """How many connections a process keeps per database, and how long it waits for one."""

    #: Connections kept open (``TRELLIS_DB_POOL_MIN``): 1 keeps the warm Lambda's connection.
    min_size: int
    #: Connections at most (``TRELLIS_DB_POOL_MAX``).
    max_size: int
    #: Seconds a request waits for a connection before a 503 (``TRELLIS_DB_POOL_TIMEOUT_S``).
    timeout_s: float
    #: Seconds libpq waits for the server to answer a new connection (``TRELLIS_DB_CONNECT_TIMEOUT_S``).
    connect_timeout_s: int


def _int(var: str, default: int, minimum: int) -> int:
    raw = os.environ.get(var)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{var} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{var} must be at least {minimum}, got {value}")
    return value


def _float(var: str, default: float) -> float:
    raw = os.environ.get(var)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{var} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{var} must be positive, got {value}")
    return value


def pool_config() -> PoolConfig:
    """The pool settings of this process.

    A Lambda instance serves one request at a time, so one connection is
    enough; a container serves many concurrently and defaults to 5.
    """
    in_lambda = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))
    max_size = _int("TRELLIS_DB_POOL_MAX", 1 if in_lambda else 5, 1)
    min_size = min(_int("TRELLIS_DB_POOL_MIN", 1, 0), max_size)
    return PoolConfig(
        min_size=min_size,
        max_size=max_size,
        timeout_s=_float("TRELLIS_DB_POOL_TIMEOUT_S", 5.0),
        connect_timeout_s=_int("TRELLIS_DB_CONNECT_TIMEOUT_S", 3, 1),
    )
