"""valkey-py errors → the platform's error taxonomy."""

from __future__ import annotations

from trellis.runtime._errors import AccessDenied, DependencyUnavailable, InternalError, TrellisError
from trellis.runtime._logging import get_logger

__all__ = ["is_outage", "translate_cache_error"]

_log = get_logger("trellis.runtime.cache")


def is_outage(exc: BaseException) -> bool:
    """True when the cache could not be reached or did not answer (a fallback applies)."""
    from valkey import exceptions

    if isinstance(exc, (exceptions.AuthenticationError, exceptions.AuthorizationError)):
        return False
    return isinstance(
        exc, (exceptions.ConnectionError, exceptions.TimeoutError, exceptions.BusyLoadingError)
    )


def translate_cache_error(exc: BaseException, *, cache: str | None = None) -> TrellisError:
    """The platform error a client should see for a valkey-py error."""
    if isinstance(exc, TrellisError):
        return exc
    from valkey import exceptions

    fields = {"cache": cache, "exc_type": type(exc).__name__, "message": str(exc)}
    if isinstance(
        exc,
        (
            exceptions.AuthenticationError,
            exceptions.AuthorizationError,
            exceptions.NoPermissionError,
        ),
    ):
        _log.error("cache.login_refused", **fields)
        return AccessDenied()
    if is_outage(exc):
        _log.warning("cache.unavailable", **fields)
        return DependencyUnavailable()
    _log.error("cache.error", **fields)
    return InternalError()
