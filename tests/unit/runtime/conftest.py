"""Fakes and fixtures shared by the runtime's unit tests (no network, no emulator)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from trellis.runtime import ServiceSettings

# Env vars that would leak the developer's shell (or CI) into what the tests read.
_ENV_PREFIXES = ("TRELLIS_", "AWS_", "OTEL_")
_ENV_SUFFIXES = ("_TABLE_NAME", "_QUEUE_URL", "_BUCKET_NAME", "_TOPIC_ARN", "_SECRET_ARN")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES) or name.endswith(_ENV_SUFFIXES) or name == "LOG_LEVEL":
            monkeypatch.delenv(name)


@pytest.fixture
def base_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variables every deployed service gets."""
    monkeypatch.setenv("TRELLIS_PROJECT", "acme")
    monkeypatch.setenv("TRELLIS_ENV", "test")
    monkeypatch.setenv("TRELLIS_SERVICE", "api")


def make_settings(cls: type[ServiceSettings] = ServiceSettings, **values: Any) -> Any:
    defaults: dict[str, Any] = {
        "trellis_project": "acme",
        "trellis_env": "test",
        "trellis_service": "api",
    }
    return cls(**{**defaults, **values})


@pytest.fixture
def settings_factory() -> Callable[..., Any]:
    return make_settings


class FakeClient:
    """Records calls; an operation answers from ``responses`` or raises from ``errors``."""

    def __init__(self, service_name: str, kwargs: dict[str, Any]) -> None:
        self.service_name = service_name
        self.kwargs = kwargs
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.errors: dict[str, BaseException] = {}
        self.hooks: dict[str, Callable[[], None]] = {}

    def __getattr__(self, operation: str) -> Callable[..., Any]:
        if operation.startswith("_"):
            raise AttributeError(operation)

        def call(**params: Any) -> dict[str, Any]:
            self.calls.append((operation, params))
            if operation in self.hooks:
                self.hooks[operation]()
            if operation in self.errors:
                raise self.errors[operation]
            return {}

        return call


class FakeSession:
    """Stands in for ``boto3.session.Session``: builds :class:`FakeClient` objects."""

    def __init__(self) -> None:
        self.created: list[tuple[str, dict[str, Any]]] = []
        self.clients: dict[str, FakeClient] = {}
        self._lock = threading.Lock()
        self.before_create: Callable[[], None] | None = None

    def client(self, service_name: str, **kwargs: Any) -> FakeClient:
        if self.before_create is not None:
            self.before_create()
        with self._lock:
            self.created.append((service_name, kwargs))
            client = FakeClient(service_name, kwargs)
            # The latest client per service is the one tests configure.
            self.clients.setdefault(service_name, client)
            return self.clients[service_name]


@pytest.fixture
def fake_session() -> FakeSession:
    return FakeSession()


def client_error(
    code: str, *, status: int = 400, operation: str = "GetItem", message: str = "boom", **extra: Any
) -> ClientError:
    """A botocore ClientError exactly as botocore builds one from a response."""
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **extra,
    }
    return ClientError(response, operation)


@pytest.fixture
def make_client_error() -> Callable[..., ClientError]:
    return client_error


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """An event that blocked fakes wait on; set at teardown so no thread is left hanging."""
    event = threading.Event()
    yield event
    event.set()
