"""Fixtures of the api's tests: settings, and real tables/bucket in the session emulator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from api.settings import Settings
from trellis.local.emulator import LOCAL_ACCOUNT_ID, Emulator
from trellis.local.provision import provision
from trellis.manifest import Bucket, Manifest, load_manifest
from trellis.runtime import AwsClients

ROOT = Path(__file__).resolve().parents[3]


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "trellis_project": "acme",
        "trellis_env": "dev",
        "trellis_service": "api",
        "users_table_name": "acme-dev-users",
        "files_table_name": "acme-dev-files",
        "uploads_bucket_name": "acme-dev-uploads",
        "jobs_queue_url": "http://127.0.0.1:1/123456789012/acme-dev-jobs",
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Stack:
    """The api's tables and bucket, provisioned from the repository's manifest."""

    settings: Settings
    clients: AwsClients
    emulator: Emulator


def stack_manifest(project: str) -> Manifest:
    """The example manifest's ``users`` and ``files`` tables (keys, GSIs) under a new project."""
    root = load_manifest(ROOT / "trellis.toml")
    return Manifest(
        project=root.project.model_copy(update={"name": project, "environments": ["dev"]}),
        tables={"users": root.tables["users"], "files": root.tables["files"]},
        buckets={"uploads": Bucket(versioning=True)},
    )


@pytest.fixture
def stack(emulator_env: Emulator, unique_name: Callable[[str], str]) -> Stack:
    """Fresh tables and bucket for one test, in the session's emulator."""
    project = unique_name("t")
    addresses = provision(
        stack_manifest(project), "dev", emulator_env.client, account_id=LOCAL_ACCOUNT_ID
    )
    settings = make_settings(
        trellis_project=project,
        users_table_name=addresses.address("table", "users"),
        files_table_name=addresses.address("table", "files"),
        uploads_bucket_name=addresses.address("bucket", "uploads"),
        aws_endpoint_url=emulator_env.endpoint,
        aws_region=emulator_env.region,
    )
    return Stack(settings, AwsClients(settings), emulator_env)
