"""Read-through caching that degrades: the cache down means slower, never failing.

:func:`get_or_set` answers from the cache when it can and from the source of
truth (``load``) when the entry is missing or the cache is unreachable. An
outage is logged as ``cache.unavailable`` at most once per
:data:`LOG_INTERVAL_S` per cache, so a dead cache does not flood the logs.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Final, TypeVar, cast

from trellis.runtime._logging import get_logger
from trellis.runtime.cache._client import client
from trellis.runtime.cache._errors import is_outage, translate_cache_error

__all__ = ["get_or_set", "invalidate"]

_log = get_logger("trellis.runtime.cache")

LOG_INTERVAL_S: Final = 60.0

T = TypeVar("T")

_last_logged: dict[str, float] = {}
_log_lock = threading.Lock()


def _outage(cache: str, exc: BaseException, operation: str) -> None:
    now = time.monotonic()
    with _log_lock:
        last = _last_logged.get(cache)
        if last is not None and now - last < LOG_INTERVAL_S:
            return
        _last_logged[cache] = now
    _log.warning(
        "cache.unavailable",
        cache=cache,
        operation=operation,
        exc_type=type(exc).__name__,
        message=str(exc),
        fallback=True,
    )


def get_or_set(
    cache: str,
    key: str,
    load: Callable[[], T],
    *,
    ttl_s: int,
    encode: Callable[[T], str | bytes] = json.dumps,
    decode: Callable[[bytes], T] = json.loads,
) -> T:
    """The value of ``key`` in ``cache``, or ``load()`` (stored for ``ttl_s`` seconds).

    When the cache is unreachable ``load()`` answers and nothing is stored;
    any other cache error is raised as a platform error. A ``load()`` error
    propagates as is (a ``NotFound`` stays a 404). ``None`` from ``load`` is
    not cached.
    """
    if ttl_s <= 0:
        raise ValueError(
            "ttl_s must be positive: an entry without expiry outlives a missed invalidation"
        )
    try:
        raw = cast("bytes | None", client(cache).get(key))
    except Exception as exc:
        if not _is_cache_error(exc):
            raise
        if not is_outage(exc):
            raise translate_cache_error(exc, cache=cache) from exc
        _outage(cache, exc, "get")
        return load()
    if raw is not None:
        return decode(raw)
    value = load()
    if value is None:
        return value
    try:
        client(cache).set(key, encode(value), ex=ttl_s)
    except Exception as exc:
        if not _is_cache_error(exc):
            raise
        if not is_outage(exc):
            raise translate_cache_error(exc, cache=cache) from exc
        _outage(cache, exc, "set")
    return value


def invalidate(cache: str, *keys: str) -> int:
    """Delete ``keys`` from ``cache``; returns how many existed.

    Unlike a read, a failed invalidation cannot be ignored (the stale entry
    would be served until it expires), so an outage raises a 503
    (``DependencyUnavailable``): the client retries the write.
    """
    if not keys:
        return 0
    try:
        return int(cast("int", client(cache).delete(*keys)))
    except Exception as exc:
        if not _is_cache_error(exc):
            raise
        raise translate_cache_error(exc, cache=cache) from exc


def _is_cache_error(exc: BaseException) -> bool:
    from valkey.exceptions import ValkeyError

    return isinstance(exc, ValkeyError)
