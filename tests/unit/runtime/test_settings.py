from __future__ import annotations

import pydantic
import pytest

from trellis.runtime import ServiceSettings, SettingsError, load_settings

pytestmark = pytest.mark.usefixtures("base_env")


def _settings_class() -> type[ServiceSettings]:
    # A fresh class per test: load_settings caches per class.
    class ApiSettings(ServiceSettings):
        users_table_name: str
        jobs_queue_url: str

    return ApiSettings


def test_missing_setting_error_names_the_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBS_QUEUE_URL", "http://127.0.0.1:5000/000000000000/acme-test-jobs")

    with pytest.raises(SettingsError) as excinfo:
        load_settings(_settings_class())

    assert str(excinfo.value) == "missing required setting USERS_TABLE_NAME"


def test_every_missing_setting_is_named_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRELLIS_SERVICE")

    with pytest.raises(SettingsError) as excinfo:
        load_settings(_settings_class())

    message = str(excinfo.value)
    assert message.startswith("missing required settings ")
    assert {"TRELLIS_SERVICE", "USERS_TABLE_NAME", "JOBS_QUEUE_URL"} <= set(
        message.removeprefix("missing required settings ").split(", ")
    )
    assert "\n" not in message


def test_invalid_setting_names_the_env_var_but_not_its_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRELLIS_MAX_BODY_BYTES", "hunter2")

    with pytest.raises(SettingsError) as excinfo:
        load_settings(ServiceSettings, reload=True)

    assert "TRELLIS_MAX_BODY_BYTES" in str(excinfo.value)
    assert "hunter2" not in str(excinfo.value)
    assert excinfo.value.__cause__ is None  # no pydantic traceback chained behind it


def test_aws_region_wins_over_aws_default_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")

    assert load_settings(ServiceSettings, reload=True).aws_region == "eu-central-1"


def test_aws_default_region_is_used_when_aws_region_is_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")

    assert load_settings(ServiceSettings, reload=True).aws_region == "eu-west-1"


def test_region_defaults_to_us_east_1() -> None:
    assert load_settings(ServiceSettings, reload=True).aws_region == "us-east-1"


def test_resource_fields_read_their_upper_case_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USERS_TABLE_NAME", "acme-test-users")
    monkeypatch.setenv("JOBS_QUEUE_URL", "http://127.0.0.1:5000/000000000000/acme-test-jobs")
    monkeypatch.setenv("TRELLIS_ROUTE", "/api")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")

    settings = load_settings(_settings_class())

    assert settings.users_table_name == "acme-test-users"
    assert settings.trellis_route == "/api"
    assert settings.aws_endpoint_url == "http://127.0.0.1:5000"
    assert settings.log_level == "DEBUG"
    assert (settings.trellis_project, settings.trellis_env, settings.trellis_service) == (
        "acme",
        "test",
        "api",
    )


def test_tuning_settings_read_trellis_prefixed_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRELLIS_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("TRELLIS_AWS_CONNECT_TIMEOUT_S", "0.5")
    monkeypatch.setenv("TRELLIS_AWS_READ_TIMEOUT_S", "4")
    monkeypatch.setenv("TRELLIS_AWS_MAX_ATTEMPTS", "5")

    settings = load_settings(ServiceSettings, reload=True)

    assert settings.max_body_bytes == 2048
    assert settings.aws_connect_timeout_s == 0.5
    assert settings.aws_read_timeout_s == 4.0
    assert settings.aws_max_attempts == 5


def test_defaults_when_optional_settings_are_unset() -> None:
    settings = load_settings(ServiceSettings, reload=True)

    assert settings.trellis_route is None
    assert settings.aws_endpoint_url is None
    assert settings.log_level == "INFO"
    assert settings.max_body_bytes == 1_048_576
    assert (settings.aws_connect_timeout_s, settings.aws_read_timeout_s) == (2.0, 10.0)
    assert settings.aws_max_attempts == 3


def test_settings_are_read_once_per_class(monkeypatch: pytest.MonkeyPatch) -> None:
    cls = _settings_class()
    monkeypatch.setenv("USERS_TABLE_NAME", "first")
    monkeypatch.setenv("JOBS_QUEUE_URL", "q")
    first = load_settings(cls)
    monkeypatch.setenv("USERS_TABLE_NAME", "second")

    assert load_settings(cls) is first
    assert load_settings(cls, reload=True).users_table_name == "second"


def test_settings_are_frozen() -> None:
    settings = load_settings(ServiceSettings, reload=True)

    with pytest.raises(pydantic.ValidationError):
        settings.trellis_env = "prod"


def test_unrelated_env_vars_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOMETHING_ELSE", "x")

    assert not hasattr(load_settings(ServiceSettings, reload=True), "something_else")


def test_fields_can_be_passed_by_name_in_code() -> None:
    settings = ServiceSettings(
        trellis_project="acme",
        trellis_env="test",
        trellis_service="api",
        max_body_bytes=10,
        aws_region="eu-west-1",
    )

    assert (settings.max_body_bytes, settings.aws_region) == (10, "eu-west-1")


def test_comma_separated_names_are_read_as_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRELLIS_CONSUMES", "jobs, tasks,")
    monkeypatch.setenv("TRELLIS_WRITE_ONLY_BUCKETS", "drop-box")

    settings = load_settings(ServiceSettings, reload=True)

    assert settings.trellis_consumes == {"jobs", "tasks"}
    assert settings.trellis_write_only_buckets == {"drop-box"}


def test_no_names_is_the_empty_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRELLIS_CONSUMES", raising=False)

    assert load_settings(ServiceSettings, reload=True).trellis_consumes == frozenset()
