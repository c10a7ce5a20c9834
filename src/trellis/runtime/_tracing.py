"""Opt-in OpenTelemetry tracing.

Tracing is on only when an OTLP endpoint is configured. Otherwise nothing
from the SDK is imported (it costs tens of milliseconds of cold start) and
the OpenTelemetry API's default no-op tracer stays in place, so code may
create spans unconditionally.

Deployed with ``tracing = true``, the endpoint is X-Ray's OTLP traces endpoint and
``TRELLIS_TRACES_SIGV4`` names the signing service: each export is signed with SigV4
and the role's credentials (:mod:`trellis.runtime._sigv4`). A batch the endpoint
refuses, or that cannot be sent, is dropped with one log line: tracing never fails
a request.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from trellis.runtime._logging import get_logger

__all__ = [
    "SIGV4_VAR",
    "TRACE_ATTRIBUTE",
    "configure_tracing",
    "consumer_span",
    "flush_traces",
    "instrument_app",
    "instrument_botocore",
    "trace_carrier",
    "tracing_enabled",
    "with_lambda_trace_header",
]

#: The SQS message attribute that carries the sender's trace context (W3C ``traceparent``).
TRACE_ATTRIBUTE = "traceparent"

#: When set (to a signing name, ``xray``), OTLP requests are signed with SigV4.
SIGV4_VAR = "TRELLIS_TRACES_SIGV4"
#: Lambda puts each invocation's X-Ray context here (Active tracing: the function's segment).
LAMBDA_TRACE_VAR = "_X_AMZN_TRACE_ID"
XRAY_HEADER = "X-Amzn-Trace-Id"

_ENDPOINT_VARS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")

_provider: Any = None
_botocore_instrumented = False
_lock = threading.Lock()
_log = get_logger("trellis.runtime.tracing")


def tracing_enabled() -> bool:
    """True once :func:`configure_tracing` has installed an exporting tracer provider."""
    return _provider is not None


def configure_tracing(service_name: str) -> bool:
    """Export traces over OTLP (http/protobuf) if ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set.

    Installs a ``TracerProvider`` with a batch exporter, then returns True; botocore
    is instrumented when the runtime's client factory builds its first client
    (:func:`instrument_botocore`), or now if botocore is loaded already. Without an
    endpoint (or with ``OTEL_SDK_DISABLED=true``) it imports nothing and returns False.
    ``OTEL_SERVICE_NAME``, when set, wins over ``service_name``. Safe to call
    repeatedly.
    """
    global _provider
    if _provider is not None:
        return True
    if not any(os.environ.get(name) for name in _ENDPOINT_VARS):
        return False
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    with _lock:
        if _provider is not None:
            return True
        try:
            from opentelemetry import trace
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError as exc:
            # A package built without the `otel` extra: run untraced, say so once.
            _log.warning("tracing.unavailable", reason=str(exc))
            return False

        current = trace.get_tracer_provider()
        if isinstance(current, TracerProvider):
            # Someone (e.g. a Lambda layer) configured the SDK already: use theirs.
            provider = current
        else:
            attributes = (
                {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": service_name}
            )
            provider = TracerProvider(resource=Resource.create(attributes))
            provider.add_span_processor(BatchSpanProcessor(_span_exporter(OTLPSpanExporter)))
            trace.set_tracer_provider(provider)
        _provider = provider
    if "botocore.client" in sys.modules:
        instrument_botocore()
    return True


def instrument_botocore() -> None:
    """Trace every AWS call (once, when tracing is on); the client factory calls it.

    Deferred from :func:`configure_tracing`: the instrumentation imports botocore
    (hundreds of milliseconds), which a request that calls no AWS API never needs.
    """
    global _botocore_instrumented
    if _provider is None or _botocore_instrumented:
        return
    with _lock:
        if _botocore_instrumented:
            return
        from opentelemetry.instrumentation.botocore import BotocoreInstrumentor

        BotocoreInstrumentor().instrument(tracer_provider=_provider)  # type: ignore[no-untyped-call]
        _botocore_instrumented = True


def _span_exporter(otlp: Any) -> Any:
    """The OTLP exporter, signing with SigV4 when asked to, and saying when it drops spans."""
    from trellis.runtime._export import DroppingExporter

    signing = os.environ.get(SIGV4_VAR, "").strip()
    if not signing:
        return DroppingExporter(otlp())
    from trellis.runtime._sigv4 import SigV4Session

    return DroppingExporter(otlp(session=SigV4Session(signing)))


def instrument_app(app: Any) -> bool:
    """Trace every request of a FastAPI ``app`` if tracing is enabled; returns whether it did."""
    if _provider is None:
        return False
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, tracer_provider=_provider)
    return True


def flush_traces(timeout_ms: int = 2000) -> None:
    """Export buffered spans now; a frozen Lambda sandbox would otherwise sit on them."""
    if _provider is not None:
        _provider.force_flush(timeout_ms)


def trace_carrier() -> dict[str, str]:
    """The current trace context as ``{"traceparent": ...}``; empty when not tracing.

    A publisher adds it to a message's attributes, so the consumer's spans
    join the trace of the request that queued the message.
    """
    if _provider is None:
        return {}
    from opentelemetry import propagate

    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {TRACE_ATTRIBUTE: carrier[TRACE_ATTRIBUTE]} if TRACE_ATTRIBUTE in carrier else {}


def _lambda_trace_header() -> str | None:
    return os.environ.get(LAMBDA_TRACE_VAR) or None


def with_lambda_trace_header(event: Any) -> Any:
    """The API Gateway ``event`` with Lambda's X-Ray context as its ``X-Amzn-Trace-Id``.

    API Gateway's header names its own segment as the parent; Lambda's variable names
    the function's segment (same trace), so the request's spans hang under the
    function in X-Ray. The ``xray`` propagator (``OTEL_PROPAGATORS``, set by
    ``tracing = true``) reads it. Unchanged when not tracing or not in Lambda.
    """
    header = _lambda_trace_header() if _provider is not None else None
    if header is None or not isinstance(event, dict):
        return event
    out = dict(event)
    for key, value in (("headers", header), ("multiValueHeaders", [header])):
        current = event.get(key)
        if key == "headers" or isinstance(current, dict):
            kept = {
                k: v for k, v in (current or {}).items() if str(k).lower() != XRAY_HEADER.lower()
            }
            out[key] = {**kept, XRAY_HEADER: value}
    return out


def _attribute_value(attributes: dict[str, Any], name: str) -> str | None:
    value = attributes.get(name)
    if not isinstance(value, dict):
        return None
    # Lambda's SQS records spell it stringValue; ReceiveMessage results, StringValue.
    found = value.get("stringValue") or value.get("StringValue")
    return str(found) if found else None


@contextmanager
def consumer_span(
    queue: str, message_id: str, message_attributes: dict[str, Any]
) -> Iterator[None]:
    """A span around handling one message, in the trace of the request that sent it.

    Does nothing (and imports nothing) when tracing is off.
    """
    if _provider is None:
        yield
        return
    from opentelemetry import propagate, trace

    parent = _attribute_value(message_attributes, TRACE_ATTRIBUTE)
    lambda_segment = _lambda_trace_header()
    # A message without the sender's context joins the invocation's X-Ray trace, if any.
    carrier = (
        {TRACE_ATTRIBUTE: parent}
        if parent
        else ({XRAY_HEADER: lambda_segment} if lambda_segment else None)
    )
    context = propagate.extract(carrier) if carrier else None
    tracer = trace.get_tracer("trellis.runtime", tracer_provider=_provider)
    with tracer.start_as_current_span(
        f"{queue or 'sqs'} process",
        context=context,
        kind=trace.SpanKind.CONSUMER,
        attributes={
            "messaging.system": "aws_sqs",
            "messaging.destination.name": queue,
            "messaging.message.id": message_id,
            "messaging.operation.type": "process",
        },
    ):
        yield
