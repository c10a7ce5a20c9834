"""Per-service addresses: each service's env var carries its own credentials locally."""

from __future__ import annotations

from trellis.local.provision import LocalAddresses
from trellis.manifest import load_manifest_text
from trellis.wiring import ServiceAddresses, service_environment

MANIFEST = load_manifest_text(
    """
[project]
name = "acme"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]

[services.api]
runtime = "lambda"
uses = { audit = "connect", jobs = "send" }

[services.worker]
runtime = "lambda"
uses = { audit = "connect" }

[queues.jobs]

[databases.audit]
"""
)


def test_each_service_gets_its_own_database_url_and_shared_addresses_stay_shared() -> None:
    out = LocalAddresses()
    out.values[("queue", "jobs")] = "http://127.0.0.1:4566/000000000000/acme-dev-jobs"
    out.values[("database", "audit")] = "postgresql://127.0.0.1:5432/audit"
    out.per_service[("database", "audit", "api")] = "postgresql://api:a@127.0.0.1:5432/audit"
    out.per_service[("database", "audit", "worker")] = "postgresql://worker:w@127.0.0.1:5432/audit"
    api = service_environment(MANIFEST, "api", "dev", out)
    worker = service_environment(MANIFEST, "worker", "dev", out)
    assert api["AUDIT_DATABASE_URL"] == "postgresql://api:a@127.0.0.1:5432/audit"
    assert worker["AUDIT_DATABASE_URL"] == "postgresql://worker:w@127.0.0.1:5432/audit"
    assert api["JOBS_QUEUE_URL"] == out.values[("queue", "jobs")]


def test_addresses_without_per_service_values_fall_back_to_the_shared_one() -> None:
    out = LocalAddresses()
    out.values[("database", "audit")] = "postgresql://127.0.0.1:5432/audit"
    assert out.service_address("database", "audit", "api") == "postgresql://127.0.0.1:5432/audit"
    assert isinstance(out, ServiceAddresses)
