"""Typed service settings, read once from the environment.

Every value a service needs at run time arrives as an env var derived from the
manifest (``USERS_TABLE_NAME``, ``JOBS_QUEUE_URL``, ...). Reading them through
one typed class means a missing variable fails at start-up with its name,
instead of as a ``KeyError`` on the first request that happens to need it.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any, TypeVar

from pydantic import AliasChoices, BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["ServiceSettings", "SettingsError", "load_settings"]


def _names(value: Any) -> Any:
    """``"jobs,tasks"`` (an env var) → ``{"jobs", "tasks"}``; a set given in code stays."""
    if isinstance(value, str):
        return frozenset(part.strip() for part in value.split(",") if part.strip())
    return value


#: Manifest names, comma-separated in their env var (``TRELLIS_CONSUMES=jobs,tasks``).
Names = Annotated[frozenset[str], NoDecode, BeforeValidator(_names)]


class SettingsError(RuntimeError):
    """A required setting is missing or invalid; the message names the env var(s)."""


class ServiceSettings(BaseSettings):
    """Settings every Trellis service gets, read from env vars (case-insensitive).

    Subclass it to add the resources a service uses; a field reads the env var
    of the same name, so ``users_table_name: str`` reads ``USERS_TABLE_NAME``::

        class ApiSettings(ServiceSettings):
            users_table_name: str
            jobs_queue_url: str
    """

    # Fields may also be passed by name in code (tests, tools); the env var
    # names below stay the contract with the deployment.
    model_config = SettingsConfigDict(
        extra="ignore",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
    )

    trellis_project: str
    trellis_env: str
    trellis_service: str
    trellis_route: str | None = None
    #: Buckets (manifest names; comma-separated in the env var) the service may only write:
    #: no read-only call (``HeadBucket`` needs ``s3:ListBucket``) is allowed on them, so
    #: ``/ready`` does not probe them. Set from the manifest by ``wiring``.
    trellis_write_only_buckets: Names = frozenset()
    # Lambda sets AWS_REGION itself; AWS_DEFAULT_REGION is what CLIs and
    # containers commonly carry.
    aws_region: str = Field(
        default="us-east-1",
        validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"),
    )
    aws_endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    #: Queues a container service consumes with its own loop (comma-separated in the env var).
    trellis_consumes: Names = Field(default=frozenset(), validation_alias="TRELLIS_CONSUMES")
    #: Handler threads of a container's queue consumer.
    consumer_concurrency: int = Field(
        default=4, ge=1, le=64, validation_alias="TRELLIS_CONSUMER_CONCURRENCY"
    )
    #: Name of the gateway's origin secret (routed container services): requests without it
    #: are refused (see ``trellis.runtime._auth``). Lambda services have none: only the
    #: gateway can invoke them.
    trellis_origin_secret_id: str | None = Field(
        default=None, validation_alias="TRELLIS_ORIGIN_SECRET_ID"
    )
    max_body_bytes: int = Field(default=1_048_576, gt=0, validation_alias="TRELLIS_MAX_BODY_BYTES")
    aws_connect_timeout_s: float = Field(
        default=2.0, gt=0, validation_alias="TRELLIS_AWS_CONNECT_TIMEOUT_S"
    )
    aws_read_timeout_s: float = Field(
        default=10.0, gt=0, validation_alias="TRELLIS_AWS_READ_TIMEOUT_S"
    )
    aws_max_attempts: int = Field(default=3, ge=1, validation_alias="TRELLIS_AWS_MAX_ATTEMPTS")


S = TypeVar("S", bound=ServiceSettings)

_cache: dict[type[ServiceSettings], ServiceSettings] = {}
_cache_lock = threading.Lock()


def load_settings(cls: type[S], *, reload: bool = False) -> S:
    """Read ``cls`` from the environment once and return the same instance afterwards.

    Raises :class:`SettingsError` with a one-line message naming every missing
    or invalid env var, e.g. ``missing required setting USERS_TABLE_NAME``.
    ``reload=True`` reads the environment again (tests).
    """
    with _cache_lock:
        cached = _cache.get(cls)
        if cached is not None and not reload:
            return cached  # type: ignore[return-value]  # keyed by its own class
        try:
            settings = cls()
        except ValidationError as exc:
            raise SettingsError(_describe(cls, exc)) from None
        _cache[cls] = settings
        return settings


def _env_var(cls: type[BaseSettings], key: str) -> str:
    """The env var a validation error's location refers to."""
    field = cls.model_fields.get(key)
    if field is None:
        return key.upper()  # already an alias, i.e. an env var name
    alias: Any = field.validation_alias
    if isinstance(alias, AliasChoices):
        alias = alias.choices[0]
    if isinstance(alias, str):
        return alias.upper()
    prefix = str(cls.model_config.get("env_prefix") or "")
    return (prefix + key).upper()


def _describe(cls: type[BaseSettings], exc: ValidationError) -> str:
    missing: list[str] = []
    invalid: list[str] = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = error.get("loc") or ("?",)
        name = _env_var(cls, str(loc[0]))
        if error.get("type") == "missing":
            missing.append(name)
        else:
            # The pydantic message never contains the value (it may be a secret).
            invalid.append(f"{name} ({error.get('msg', 'invalid value')})")
    parts: list[str] = []
    if missing:
        noun = "setting" if len(missing) == 1 else "settings"
        parts.append(f"missing required {noun} {', '.join(dict.fromkeys(missing))}")
    if invalid:
        noun = "setting" if len(invalid) == 1 else "settings"
        parts.append(f"invalid {noun} {', '.join(invalid)}")
    return "; ".join(parts) or f"invalid settings for {cls.__name__}"
