"""Where a database is: ``<NAME>_DATABASE_URL``, parsed into libpq parameters.

No driver is imported here: the URL is parsed with the standard library, so the
admin function and the probes can read it before psycopg loads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl, unquote, urlsplit

from trellis.runtime._errors import InternalError
from trellis.runtime._logging import get_logger

__all__ = ["DatabaseUrl", "env_var", "parse_url", "url_of"]

_log = get_logger("trellis.runtime.database")

_SCHEMES: Final = frozenset({"postgresql", "postgres"})


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed libpq URL. ``password`` is ``None`` in AWS: the runtime signs an IAM token."""

    host: str
    port: int
    user: str
    dbname: str
    password: str | None
    options: tuple[tuple[str, str], ...] = ()

    @property
    def iam(self) -> bool:
        """True when the URL carries no password: connections authenticate with an IAM token."""
        return self.password is None

    def connect_kwargs(self) -> dict[str, str | int]:
        """libpq parameters (without a password when ``iam``): psycopg's ``connect(**kwargs)``."""
        kwargs: dict[str, str | int] = dict(self.options)
        kwargs.update(host=self.host, port=self.port, user=self.user, dbname=self.dbname)
        if self.password is not None:
            kwargs["password"] = self.password
        # RDS accepts an IAM token only over TLS; a URL asking for less is not honoured.
        if self.iam and kwargs.get("sslmode") not in {"require", "verify-ca", "verify-full"}:
            kwargs["sslmode"] = "require"
        return kwargs

    def redacted(self) -> str:
        """The URL without its password, for logs."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"


def env_var(name: str) -> str:
    """The env var of database ``name``: ``audit-log`` → ``AUDIT_LOG_DATABASE_URL``."""
    return f"{name.replace('-', '_').upper()}_DATABASE_URL"


def url_of(name: str) -> DatabaseUrl:
    """The parsed URL of database ``name`` from its env var; a missing one names the variable."""
    var = env_var(name)
    raw = os.environ.get(var)
    if not raw:
        # The client gets a generic 500; the log names the variable and the fix.
        _log.error(
            "database.not_configured",
            database=name,
            env_var=var,
            hint=f'declare uses = {{ {name} = "connect" }} on the service',
        )
        raise InternalError()
    try:
        return parse_url(raw)
    except ValueError as exc:
        _log.error("database.bad_url", database=name, env_var=var, reason=str(exc))
        raise InternalError() from None


def parse_url(raw: str) -> DatabaseUrl:
    """Parse ``postgresql://user[:password]@host[:port]/dbname[?options]``.

    A malformed URL raises ``ValueError`` naming the missing part, never echoing
    the password.
    """
    parts = urlsplit(raw)
    if parts.scheme not in _SCHEMES:
        raise ValueError("a database URL starts with postgresql://")
    if not parts.hostname or not parts.username:
        raise ValueError("a database URL needs a user and a host: postgresql://user@host/db")
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        raise ValueError("a database URL names its database: postgresql://user@host/db")
    try:
        port = parts.port or 5432
    except ValueError:
        raise ValueError("a database URL's port must be a number") from None
    password = unquote(parts.password) if parts.password is not None else None
    return DatabaseUrl(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username),
        dbname=dbname,
        password=password or None,
        options=tuple(parse_qsl(parts.query)),
    )
