"""Fixtures of the api's tests: settings, and the api's resources and IAM identity in the emulator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from api.settings import Settings
from trellis.local.emulator import Emulator
from trellis.runtime import AwsClients
from trellis.testing import ServiceEnvironment

ROOT = Path(__file__).resolve().parents[3]


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "trellis_project": "acme",
        "trellis_env": "dev",
        "trellis_service": "api",
        "users_table_name": "acme-dev-users",
        "files_table_name": "acme-dev-files",
        "uploads_bucket_name": "acme-dev-uploads",
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Stack:
    """The api as `trellis dev` runs it: the example manifest's resources, the api's own key.

    ``settings`` and ``clients`` are what the code under test uses (least
    privilege); :meth:`admin` is for setting up and asserting.
    """

    settings: Settings
    clients: AwsClients
    service: ServiceEnvironment

    @property
    def emulator(self) -> Emulator:
        return self.service.emulator

    def admin(self, name: str) -> Any:
        return self.service.admin(name)


@pytest.fixture
def stack(trellis_service: Callable[..., ServiceEnvironment]) -> Stack:
    """Every resource of the example manifest, fresh for one test; the api's env and IAM key."""
    service = trellis_service("api", manifest=ROOT / "trellis.toml")
    settings = Settings()  # from the env trellis_service set, as the deployed api reads it
    return Stack(settings, AwsClients(settings), service)
