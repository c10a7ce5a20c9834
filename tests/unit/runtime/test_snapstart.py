"""SnapStart restore safety: what a snapshot copied is made again in each restored environment."""

from __future__ import annotations

import random
import sys
import types
from typing import Any

import pytest

from trellis.runtime import AwsClients, _snapstart, on_restore


@pytest.fixture
def runtime_hooks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Lambda's ``snapshot_restore_py`` as the Python 3.12+ runtime provides it."""
    registered: list[Any] = []
    module = types.ModuleType("snapshot_restore_py")
    module.register_after_restore = registered.append  # type: ignore[attr-defined]
    module.register_before_snapshot = lambda hook: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", module)
    monkeypatch.setattr(_snapstart, "_installed", False)
    # SnapStart's Python runtimes are 3.12 and later.
    monkeypatch.setattr(sys, "version_info", (3, 12, 0, "final", 0))
    return registered


def test_hooks_are_registered_only_in_lambda_on_312_and_later(
    runtime_hooks: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    assert _snapstart.install() is False  # trellis dev, tests, containers
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "acme-dev-api")
    monkeypatch.setattr(sys, "version_info", (3, 11, 9, "final", 0))
    assert _snapstart.install() is False  # python3.11 has no SnapStart
    assert runtime_hooks == []

    monkeypatch.setattr(sys, "version_info", (3, 12, 0, "final", 0))
    assert _snapstart.install() is True
    assert _snapstart.install() is True  # once per process
    assert runtime_hooks == [_snapstart.after_restore]


def test_lambda_handler_installs_them(
    runtime_hooks: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi import FastAPI

    from trellis.runtime import lambda_handler

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "acme-dev-api")
    lambda_handler(FastAPI())
    assert runtime_hooks == [_snapstart.after_restore]


def test_a_runtime_without_the_hooks_is_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "acme-dev-api")
    monkeypatch.setattr(sys, "version_info", (3, 12, 0, "final", 0))
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails
    monkeypatch.setattr(_snapstart, "_installed", False)
    assert _snapstart.install() is False


def test_restore_reseeds_random_so_copies_do_not_draw_the_same_numbers() -> None:
    random.seed(1234)
    copied = random.getstate()
    _snapstart.after_restore()
    first_copy = [random.random() for _ in range(3)]
    random.setstate(copied)
    _snapstart.after_restore()
    second_copy = [random.random() for _ in range(3)]
    random.setstate(copied)
    as_snapshotted = [random.random() for _ in range(3)]
    assert first_copy != as_snapshotted
    assert first_copy != second_copy


def test_restore_drops_clients_and_the_session_made_before_the_snapshot(
    settings_factory: Any,
) -> None:
    clients = AwsClients(settings_factory(aws_endpoint_url="http://127.0.0.1:1"))
    before = clients.sqs
    session = clients._holder.get()

    _snapstart.after_restore()

    after = clients.sqs
    assert after is not before
    assert clients._holder.get() is not session  # credentials are read again


def test_a_given_session_survives_a_restore(settings_factory: Any, fake_session: Any) -> None:
    clients = AwsClients(settings_factory(), session=fake_session)
    clients.client("sqs")
    _snapstart.after_restore()
    clients.client("sqs")
    assert [name for name, _ in fake_session.created] == ["sqs", "sqs"]
    assert clients._holder.get() is fake_session


def test_restore_closes_pools_and_cache_clients_only_if_the_service_loaded_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed: list[str] = []
    pool = types.ModuleType("trellis.runtime.database._pool")
    pool.close_all = lambda: closed.append("database")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "trellis.runtime.database._pool", pool)
    monkeypatch.delitem(sys.modules, "trellis.runtime.cache._client", raising=False)

    _snapstart.after_restore()

    assert closed == ["database"]
    assert "trellis.runtime.cache._client" not in sys.modules  # not imported by the restore


def test_a_services_own_reset_runs_after_a_restore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_snapstart, "_resets", [])
    calls: list[int] = []

    @on_restore
    def reconnect() -> None:
        calls.append(1)

    _snapstart.after_restore()
    _snapstart.after_restore()
    assert calls == [1, 1]
