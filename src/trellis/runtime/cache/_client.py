"""``client(name)``: one valkey-py client per cache per process, built on first use."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Final

from trellis.runtime._logging import get_logger
from trellis.runtime.cache._errors import translate_cache_error
from trellis.runtime.cache._iam import IamCredentialProvider
from trellis.runtime.cache._url import CacheUrl, parse_url, url_of

if TYPE_CHECKING:
    import valkey

__all__ = ["client", "client_for_url", "close_all", "ping"]

_log = get_logger("trellis.runtime.cache")

#: Seconds a command waits for the server: a cache slower than this is treated as down.
SOCKET_TIMEOUT_S: Final = 1.0
CONNECT_TIMEOUT_S: Final = 1.0
#: Seconds between PINGs on an idle connection before reuse (dropped connections are found early).
HEALTH_CHECK_INTERVAL_S: Final = 30

_clients: dict[str, valkey.Valkey] = {}
_lock = threading.Lock()


def client_for_url(url: CacheUrl, **options: Any) -> valkey.Valkey:
    """A new client for ``url``: TLS and an IAM credential provider when it has no password."""
    import valkey
    from valkey.backoff import ExponentialBackoff
    from valkey.retry import Retry

    kwargs: dict[str, Any] = {
        "host": url.host,
        "port": url.port,
        "db": url.db,
        "ssl": url.tls,
        "socket_timeout": SOCKET_TIMEOUT_S,
        "socket_connect_timeout": CONNECT_TIMEOUT_S,
        "health_check_interval": HEALTH_CHECK_INTERVAL_S,
        # One quick retry on a dropped connection (ElastiCache closes IAM
        # connections after 12 h; a failover closes them all): the retry
        # reconnects, with a fresh token.
        "retry": Retry(ExponentialBackoff(cap=0.2, base=0.02), 1),
        "retry_on_error": [valkey.exceptions.ConnectionError, valkey.exceptions.TimeoutError],
    }
    if url.iam:
        assert url.username is not None
        if not url.cache_name:
            raise ValueError(
                "an IAM cache URL needs the cache name: add ?cache_name=<name> to the URL"
            )
        kwargs["credential_provider"] = IamCredentialProvider(url.cache_name, url.username)
    else:
        kwargs["username"] = url.username
        kwargs["password"] = url.password
    kwargs.update(options)
    return valkey.Valkey(**kwargs)


def client(name: str) -> valkey.Valkey:
    """The process's client of cache ``name`` (from ``<NAME>_CACHE_URL``).

    Errors it raises are valkey-py's; the app's error handler renders an
    outage as a 503 with ``Retry-After``. For reads that should survive an
    outage use :func:`trellis.runtime.cache.get_or_set`.
    """
    existing = _clients.get(name)
    if existing is not None:
        return existing
    with _lock:
        existing = _clients.get(name)
        if existing is None:
            url = url_of(name)
            existing = _clients[name] = client_for_url(url)
            _log.info("cache.client_created", cache=name, target=url.redacted(), iam=url.iam)
        return existing


def close_all() -> None:
    """Close every client of this process (tests)."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
    for each in clients:
        each.close()  # type: ignore[no-untyped-call]


def ping(url: str) -> bool:
    """The readiness probe: authenticate to the cache at ``url`` and ``PING`` it, on a new connection."""
    import valkey

    own = client_for_url(parse_url(url), retry=None, health_check_interval=0)
    try:
        return bool(own.ping())
    except valkey.exceptions.ValkeyError as exc:
        raise translate_cache_error(exc) from exc
    finally:
        own.close()  # type: ignore[no-untyped-call]
