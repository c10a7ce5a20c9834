"""An OTLP/HTTP trace receiver's decoding: protobuf (what the runtime exports) and JSON.

The services export with ``opentelemetry-exporter-otlp-proto-http`` to
``$OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces``; ``trellis dev`` points that at its
own gateway (``/_trellis/otlp``) and turns each request into :class:`Span`s.
"""

from __future__ import annotations

from typing import Any

from trellis.local.dashboard._hub import Span

_KINDS = {0: "internal", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_ERROR = 2


class OtlpError(ValueError):
    """The body is not an OTLP trace export this receiver can read."""


def decode(body: bytes, content_type: str) -> list[Span]:
    """The spans of one ``ExportTraceServiceRequest``."""
    if "json" in content_type:
        return _from_json(body)
    return _from_protobuf(body)


def _from_protobuf(body: bytes) -> list[Span]:
    try:
        from google.protobuf.message import DecodeError
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
        )
    except ImportError as exc:  # pragma: no cover - opentelemetry-proto is a cli dependency
        raise OtlpError(f"protobuf OTLP needs opentelemetry-proto: {exc}") from None
    try:
        request = ExportTraceServiceRequest.FromString(body)
    except DecodeError as exc:
        raise OtlpError(f"not an OTLP protobuf trace export: {exc}") from None
    spans: list[Span] = []
    for resource_spans in request.resource_spans:
        resource = {kv.key: _any_value(kv.value) for kv in resource_spans.resource.attributes}
        service = str(resource.get("service.name", "unknown"))
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    Span(
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_id=span.parent_span_id.hex() or None,
                        name=span.name,
                        service=service,
                        start_ns=int(span.start_time_unix_nano),
                        end_ns=int(span.end_time_unix_nano),
                        kind=_KINDS.get(int(span.kind), "internal"),
                        error=int(span.status.code) == _ERROR,
                        attributes={kv.key: _any_value(kv.value) for kv in span.attributes},
                    )
                )
    return spans


def _any_value(value: Any) -> Any:
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [_any_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: _any_value(kv.value) for kv in value.kvlist_value.values}
    if which == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, which)


def _from_json(body: bytes) -> list[Span]:
    import json

    try:
        document = json.loads(body or b"{}")
    except ValueError as exc:
        raise OtlpError(f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise OtlpError("an OTLP JSON export is an object with resourceSpans")
    spans: list[Span] = []
    try:
        for resource_spans in document.get("resourceSpans", []):
            resource = _json_attributes((resource_spans.get("resource") or {}).get("attributes"))
            service = str(resource.get("service.name", "unknown"))
            for scope_spans in resource_spans.get("scopeSpans", []):
                for span in scope_spans.get("spans", []):
                    spans.append(
                        Span(
                            trace_id=str(span["traceId"]).lower(),
                            span_id=str(span["spanId"]).lower(),
                            parent_id=str(span.get("parentSpanId") or "").lower() or None,
                            name=str(span.get("name", "")),
                            service=service,
                            start_ns=int(span.get("startTimeUnixNano", 0)),
                            end_ns=int(span.get("endTimeUnixNano", 0)),
                            kind=_KINDS.get(int(span.get("kind", 1)), "internal"),
                            error=int((span.get("status") or {}).get("code", 0)) == _ERROR,
                            attributes=_json_attributes(span.get("attributes")),
                        )
                    )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise OtlpError(f"malformed OTLP JSON span: {exc}") from None
    return spans


def _json_attributes(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        value = item.get("value") or {}
        out[str(item.get("key"))] = next(iter(value.values()), None) if value else None
    return out
