"""Where a cache is: ``<NAME>_CACHE_URL``, parsed with the standard library."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs, unquote, urlsplit

from trellis.runtime._errors import InternalError
from trellis.runtime._logging import get_logger

__all__ = ["CacheUrl", "env_var", "parse_url", "url_of"]

_log = get_logger("trellis.runtime.cache")

# A serverless endpoint is `<cache name>-<6 character id>.serverless.<region>.cache.amazonaws.com`.
_SERVERLESS_HOST_RE: Final = re.compile(r"^(?P<name>[a-z0-9-]+)-[a-z0-9]{6}\.serverless\.")


@dataclass(frozen=True)
class CacheUrl:
    """A parsed ``redis://`` / ``rediss://`` URL. No password (AWS) means IAM authentication."""

    host: str
    port: int
    username: str | None
    password: str | None
    db: int
    tls: bool
    #: The ElastiCache cache name the IAM token is signed for (``?cache_name=`` or the host's).
    cache_name: str | None

    @property
    def iam(self) -> bool:
        """True when connections authenticate with an ElastiCache IAM token."""
        return self.password is None and self.username is not None and self.tls

    def redacted(self) -> str:
        """The URL without its password, for logs."""
        scheme = "rediss" if self.tls else "redis"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}/{self.db}"


def env_var(name: str) -> str:
    """The env var of cache ``name``: ``sessions`` → ``SESSIONS_CACHE_URL``."""
    return f"{name.replace('-', '_').upper()}_CACHE_URL"


def url_of(name: str) -> CacheUrl:
    """The parsed URL of cache ``name``; a missing or bad one is logged by name, a 500 to clients."""
    var = env_var(name)
    raw = os.environ.get(var)
    if not raw:
        _log.error(
            "cache.not_configured",
            cache=name,
            env_var=var,
            hint=f'declare uses = {{ {name} = "readwrite" }} on the service',
        )
        raise InternalError()
    try:
        return parse_url(raw)
    except ValueError as exc:
        _log.error("cache.bad_url", cache=name, env_var=var, reason=str(exc))
        raise InternalError() from None


def parse_url(raw: str) -> CacheUrl:
    """Parse ``redis[s]://[user[:password]@]host[:port][/db][?cache_name=...]``.

    The ElastiCache cache name (what an IAM token is signed for) is the
    ``cache_name`` query parameter when present, else read from a serverless
    endpoint's host (``acme-dev-sessions-abc123.serverless.use1.cache.amazonaws.com``
    → ``acme-dev-sessions``).
    """
    parts = urlsplit(raw)
    if parts.scheme not in {"redis", "rediss"}:
        raise ValueError("a cache URL starts with redis:// or rediss://")
    if not parts.hostname:
        raise ValueError("a cache URL needs a host")
    try:
        port = parts.port or 6379
    except ValueError:
        raise ValueError("a cache URL's port must be a number") from None
    path = parts.path.lstrip("/")
    if path and not path.isdigit():
        raise ValueError("a cache URL's path is a database number")
    query = parse_qs(parts.query)
    names = query.get("cache_name")
    cache_name: str | None = names[0] if names else None
    if cache_name is None:
        match = _SERVERLESS_HOST_RE.match(parts.hostname)
        cache_name = match.group("name") if match else None
    return CacheUrl(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        db=int(path) if path else 0,
        tls=parts.scheme == "rediss",
        cache_name=cache_name,
    )
