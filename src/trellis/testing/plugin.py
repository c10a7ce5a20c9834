"""pytest fixtures for Trellis projects (registered through the ``pytest11`` entry point)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from trellis.local.emulator import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, Emulator, free_port


@pytest.fixture(scope="session")
def trellis_emulator() -> Iterator[Emulator]:
    """A moto server on a free loopback port, shared by the test session."""
    emulator = Emulator(port=free_port()).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """Names that no other test uses: ``unique_name("jobs")`` → ``"jobs-1f2e3d4c"``."""

    def make(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:8]}"

    return make


@pytest.fixture
def emulator_env(trellis_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """Point boto3 and the runtime's settings at the emulator, with emulator-only credentials."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", trellis_emulator.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", LOCAL_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", LOCAL_SECRET_KEY)
    monkeypatch.setenv("AWS_REGION", trellis_emulator.region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", trellis_emulator.region)
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return trellis_emulator
