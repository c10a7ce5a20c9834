"""Tracing is opt-in; these run in fresh interpreters because a tracer provider is global."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from trellis.runtime import configure_tracing


def run(code: str, **env: str) -> dict[str, object]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    base.update(TRELLIS_PROJECT="acme", TRELLIS_ENV="test", TRELLIS_SERVICE="api", **env)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=base, check=True
    )
    parsed: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return parsed


def test_without_an_endpoint_tracing_is_off_and_nothing_is_imported() -> None:
    assert configure_tracing("api") is False
    result = run(
        "import json, sys\n"
        "from trellis.runtime import configure_tracing\n"
        "enabled = configure_tracing('api')\n"
        "print(json.dumps({'enabled': enabled,"
        " 'sdk': any(m.startswith('opentelemetry.sdk') for m in sys.modules)}))"
    )

    assert result == {"enabled": False, "sdk": False}


@pytest.mark.timeout(60)
def test_with_an_endpoint_spans_are_exported_and_botocore_and_the_app_instrumented() -> None:
    # Port 9 (discard) on loopback: nothing is exported in this test, no span is ended.
    result = run(
        "import json, sys\n"
        "from opentelemetry import trace\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from trellis.runtime import AwsClients, ServiceSettings, create_app, load_settings\n"
        "settings = load_settings(ServiceSettings)\n"
        "app = create_app(settings, readiness=[])\n"
        "provider = trace.get_tracer_provider()\n"
        "before = 'botocore.client' in sys.modules\n"
        "AwsClients(settings).sqs\n"
        "from opentelemetry.instrumentation.botocore import BotocoreInstrumentor\n"
        "print(json.dumps({"
        "'sdk': isinstance(provider, TracerProvider),"
        "'service': provider.resource.attributes.get('service.name'),"
        "'botocore_before_a_client': before,"
        "'botocore': BotocoreInstrumentor().is_instrumented_by_opentelemetry,"
        "'app': getattr(app, '_is_instrumented_by_opentelemetry', False)}))",
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9",
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
    )

    # botocore (hundreds of ms) is loaded and instrumented with the first client, not at start.
    assert result == {
        "sdk": True,
        "service": "api",
        "botocore_before_a_client": False,
        "botocore": True,
        "app": True,
    }
