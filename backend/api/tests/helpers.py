"""What the api's tests share: its settings, and its world in the emulator (``Stack``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
        "audit_database_url": "postgresql://api:unused@127.0.0.1:1/audit",
        "profiles_cache_url": "redis://acme-dev-api:unused@127.0.0.1:1",
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
