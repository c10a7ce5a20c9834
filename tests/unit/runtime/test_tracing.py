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
    # The last line that is not a log line (a span exported at exit may log a drop).
    printed = [
        line
        for line in result.stdout.splitlines()
        if line.startswith("{") and '"event"' not in line
    ]
    parsed: dict[str, object] = json.loads(printed[-1])
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


LAMBDA_TRACE = "Root=1-6756a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"


def test_untraced_the_api_gateway_event_is_passed_on_untouched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from trellis.runtime._tracing import tracing_enabled, with_lambda_trace_header

    monkeypatch.setenv("_X_AMZN_TRACE_ID", LAMBDA_TRACE)
    event = {"headers": {"X-Amzn-Trace-Id": "Root=1-aaaa"}, "path": "/health"}
    assert not tracing_enabled()
    assert with_lambda_trace_header(event) is event


JOIN = r"""
import json
from opentelemetry import trace
from trellis.runtime import configure_tracing
from trellis.runtime._tracing import consumer_span, with_lambda_trace_header
configure_tracing("worker")
event = {
    "headers": {"x-amzn-trace-id": "Root=1-aaaa;Parent=bbbb;Sampled=1", "Host": "h"},
    "multiValueHeaders": {"X-Amzn-Trace-Id": ["Root=1-aaaa"], "Host": ["h"]},
}
out = with_lambda_trace_header(event)
with consumer_span("jobs", "m-1", {}):
    span = trace.get_current_span()
    context, parent = span.get_span_context(), span.parent
print(json.dumps({
    "headers": out["headers"], "multi": out["multiValueHeaders"], "original": event["headers"],
    "trace_id": f"{context.trace_id:032x}", "parent": f"{parent.span_id:016x}",
}))
"""


@pytest.mark.timeout(60)
def test_traced_in_lambda_requests_and_messages_join_the_functions_x_ray_segment() -> None:
    result = run(
        JOIN,
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9",
        OTEL_PROPAGATORS="tracecontext,baggage,xray",
        _X_AMZN_TRACE_ID=LAMBDA_TRACE,
    )

    # The function's segment replaces API Gateway's, whatever the header's case.
    assert result["headers"] == {"Host": "h", "X-Amzn-Trace-Id": LAMBDA_TRACE}
    assert result["multi"] == {"Host": ["h"], "X-Amzn-Trace-Id": [LAMBDA_TRACE]}
    assert result["original"]["x-amzn-trace-id"].startswith("Root=1-aaaa")  # not mutated
    # A message without the sender's traceparent hangs under the invocation's segment.
    assert result["trace_id"] == "6756a1b20123456789abcdef01234567"
    assert result["parent"] == "53995c3f42cd8ad8"
