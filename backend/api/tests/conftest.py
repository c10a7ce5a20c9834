"""Fixtures of the api's tests: the api's resources and IAM identity in the emulator."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from backend.api.tests.helpers import ROOT, Stack

from api.settings import Settings
from trellis.runtime import AwsClients
from trellis.testing import ServiceEnvironment


@pytest.fixture
def stack(trellis_service: Callable[..., ServiceEnvironment]) -> Stack:
    """Every resource of the example manifest, fresh for one test; the api's env and IAM key."""
    service = trellis_service("api", manifest=ROOT / "trellis.toml")
    settings = Settings()  # from the env trellis_service set, as the deployed api reads it
    return Stack(settings, AwsClients(settings), service)
