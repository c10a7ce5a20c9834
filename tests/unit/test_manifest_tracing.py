"""`[services.<name>] tracing` and `trace_sample_ratio`: off by default, one line naming the key
for every mistake."""

from __future__ import annotations

import pytest

from trellis.manifest import ManifestError, load_manifest_text

PROJECT = """
[project]
name = "acme"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]

[services.api]
runtime = "lambda"
"""


def _error(extra: str) -> ManifestError:
    with pytest.raises(ManifestError) as exc:
        load_manifest_text(PROJECT + extra)
    return exc.value


def test_tracing_is_off_unless_the_service_asks() -> None:
    spec = load_manifest_text(PROJECT).services["api"]
    assert spec.tracing is False
    assert spec.trace_sample_ratio is None


def test_a_traced_service_with_a_ratio_loads() -> None:
    spec = load_manifest_text(PROJECT + "tracing = true\ntrace_sample_ratio = 0.1\n").services[
        "api"
    ]
    assert spec.tracing is True
    assert spec.trace_sample_ratio == 0.1


@pytest.mark.parametrize(
    ("extra", "key", "says"),
    [
        ('tracing = "xray"\n', "services.api.tracing", "boolean"),
        (
            "tracing = true\ntrace_sample_ratio = 0\n",
            "services.api.trace_sample_ratio",
            "greater than 0",
        ),
        (
            "tracing = true\ntrace_sample_ratio = 1.5\n",
            "services.api.trace_sample_ratio",
            "less than or equal to 1",
        ),
        ("trace_sample_ratio = 0.5\n", "services.api.trace_sample_ratio", "set tracing = true"),
        (
            'tracing = true\nenv = { OTEL_TRACES_SAMPLER = "always_on" }\n',
            "services.api.env.OTEL_TRACES_SAMPLER",
            "derives the OTEL_",
        ),
        (
            'tracing = true\nenv = { TRELLIS_TRACES_SIGV4 = "" }\n',
            "services.api.env.TRELLIS_TRACES_SIGV4",
            "derives the OTEL_",
        ),
    ],
)
def test_a_tracing_mistake_names_its_key(extra: str, key: str, says: str) -> None:
    error = _error(extra)
    assert error.key == key, str(error)
    assert says in str(error)
    assert "\n" not in str(error)


def test_an_untraced_service_may_tune_opentelemetry_itself() -> None:
    spec = load_manifest_text(PROJECT + 'env = { OTEL_BSP_SCHEDULE_DELAY = "200" }\n').services[
        "api"
    ]
    assert spec.env == {"OTEL_BSP_SCHEDULE_DELAY": "200"}
