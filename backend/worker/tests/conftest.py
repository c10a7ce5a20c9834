"""Fixtures of the worker's tests: its resources and IAM identity in the emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from backend.worker.tests.helpers import WorkerStack, manifest_text
from fastapi.testclient import TestClient

from trellis.manifest import load_manifest_text
from trellis.testing import ServiceEnvironment
from worker.app import build_app
from worker.settings import Settings


@pytest.fixture
def worker_stack(
    trellis_service: Callable[..., ServiceEnvironment], monkeypatch: pytest.MonkeyPatch
) -> Iterator[WorkerStack]:
    """The worker's resources in the emulator (fresh names), its app wired to them by env."""
    service = trellis_service("worker", manifest=load_manifest_text(manifest_text("worker")))
    # A container would poll the queue itself; these tests drive the consumer explicitly.
    monkeypatch.delenv("TRELLIS_CONSUMES")
    settings = Settings()  # from the env trellis_service set, with the worker's own key
    app = build_app(settings)
    # A routed container answers only what came through the gateway (its origin secret).
    with TestClient(app, headers=service.gateway_headers()) as http:
        yield WorkerStack(manifest_text(service.project), service, settings, app, http)
