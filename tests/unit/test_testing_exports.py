"""The public API of ``trellis.testing`` (what generated projects' tests import)."""

from __future__ import annotations

import dataclasses

import trellis.testing
from trellis.testing import plugin


def test_the_export_list_is_pinned() -> None:
    assert sorted(trellis.testing.__all__) == [
        "AnswerDroppingProxy",
        "DevProcess",
        "ServiceEnvironment",
        "SigV4",
        "dev_token",
        "wait_until",
    ]


def test_the_plugin_offers_the_documented_fixtures() -> None:
    for name in ("trellis_emulator", "trellis_service", "unique_name", "emulator_env"):
        assert callable(getattr(plugin, name))


def test_a_service_environment_carries_what_a_test_needs() -> None:
    fields = {f.name for f in dataclasses.fields(trellis.testing.ServiceEnvironment)}
    assert {"service", "project", "env", "addresses", "emulator", "credentials"} <= fields
    assert callable(trellis.testing.ServiceEnvironment.admin)
