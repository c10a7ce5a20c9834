"""The example services' settings require exactly the env vars the manifest hands them."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from trellis import naming
from trellis.manifest import load_manifest
from trellis.runtime import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = load_manifest(ROOT / "trellis.toml")
BASE_FIELDS = set(ServiceSettings.model_fields)


@pytest.mark.parametrize("service", sorted(MANIFEST.services))
def test_settings_fields_are_the_resources_the_service_uses(service: str) -> None:
    module = importlib.import_module(f"{naming.service_module(service)}.settings")
    settings_cls: type[ServiceSettings] = module.Settings
    resource_fields = {name for name in settings_cls.model_fields if name not in BASE_FIELDS}
    expected = set()
    for resource, _levels in MANIFEST.uses(service):
        kind = MANIFEST.kind_of(resource)
        assert kind is not None
        expected.add(naming.settings_field_name(kind, resource))
    assert resource_fields == expected
    assert all(settings_cls.model_fields[f].is_required() for f in expected)
