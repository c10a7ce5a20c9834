"""The example services' settings require exactly the env vars the manifest hands them."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from trellis import naming
from trellis.manifest import load_manifest
from trellis.runtime import ServiceSettings
from trellis.runtime._kinds import runtime_kind_of_field

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = load_manifest(ROOT / "trellis.toml")
BASE_FIELDS = set(ServiceSettings.model_fields)


@pytest.mark.parametrize("service", sorted(MANIFEST.services))
def test_settings_fields_are_the_resources_the_service_uses(service: str) -> None:
    module = importlib.import_module(f"{naming.service_module(service)}.settings")
    settings_cls: type[ServiceSettings] = module.Settings
    own_fields = {name for name in settings_cls.model_fields if name not in BASE_FIELDS}
    expected = set()
    for resource, _levels in MANIFEST.uses(service):
        kind = MANIFEST.kind_of(resource)
        assert kind is not None
        expected.add(naming.settings_field_name(kind, resource))
    resources = {f for f in own_fields if runtime_kind_of_field(f) is not None}
    assert resources == expected
    required = {f for f in own_fields if settings_cls.model_fields[f].is_required()}
    # Every required field is a resource. Optional ones: resources a stack may leave out (the
    # api's database and cache, which a container stack lacks) and tuning with a default.
    assert required <= expected
    assert (
        own_fields - expected
        == {f for f in own_fields if not settings_cls.model_fields[f].is_required()} - expected
    )


WORKER_STACKS = [
    ROOT / "trellis.toml",
    *sorted((ROOT / "tests" / "e2e" / "stacks").glob("*/trellis.toml")),
]


@pytest.mark.parametrize("path", WORKER_STACKS, ids=lambda p: p.parent.name)
def test_a_lambda_workers_job_time_limit_leaves_room_for_more_than_one_job(path: Path) -> None:
    # A batch starts a record only while the job time limit (plus a margin) is left: a limit
    # near the function's timeout would run one record per invocation and defer the rest.
    from worker.settings import Settings

    manifest = load_manifest(path)
    for name, spec in manifest.services.items():
        if spec.runtime != "lambda" or not manifest.service_path(name).endswith("backend/worker"):
            continue
        default = Settings.model_fields["job_max_run_s"].default
        limit = float(spec.env.get("JOB_MAX_RUN_S", default))
        assert limit <= spec.timeout_s / 3, (
            f"{path}: JOB_MAX_RUN_S {limit} s is over a third of the worker's {spec.timeout_s} s"
        )
