"""Deployed tracing: what ``[services.<name>] tracing = true`` derives (docs/tracing.md).

A traced service exports its OpenTelemetry spans itself, over OTLP/HTTP, to X-Ray's
OTLP traces endpoint, signing each request with SigV4 and the service role's
credentials (``trellis.runtime._tracing``): no collector, no Lambda layer.

These variables are for AWS only: ``trellis dev`` points the same exporter at its own
receiver (``OTEL_EXPORTER_OTLP_ENDPOINT``), so they are added by the Terraform
renderer, never by :func:`trellis.wiring.service_environment`.
"""

from __future__ import annotations

from typing import Final

from trellis.manifest import Manifest
from trellis.runtime._tracing import SIGV4_VAR

__all__ = [
    "SIGV4_VAR",
    "TRACES_ACTIONS",
    "XRAY_SIGNING_NAME",
    "tracing_environment",
    "xray_traces_endpoint",
]

#: X-Ray's signing name (the OTLP endpoint is part of X-Ray).
XRAY_SIGNING_NAME: Final = "xray"
#: What the OTLP traces endpoint authorizes a request as. X-Ray's write actions have
#: no resource type, so a policy can only grant them on "*".
TRACES_ACTIONS: Final = ("xray:PutTraceSegments",)
#: Traces a service starts itself are all kept unless the manifest says otherwise.
DEFAULT_SAMPLE_RATIO: Final = 1.0


def xray_traces_endpoint(region: str) -> str:
    """X-Ray's OTLP/HTTP traces endpoint in ``region`` (needs Transaction Search on)."""
    return f"https://xray.{region}.amazonaws.com/v1/traces"


def tracing_environment(manifest: Manifest, service: str) -> dict[str, str]:
    """The env vars a traced ``service`` gets when deployed; empty when tracing is off.

    The sampler follows the caller's decision (API Gateway's and Lambda's X-Ray
    sampling, a sender's ``traceparent``) so a trace is whole or absent; the ratio
    applies to the traces the service starts itself.
    """
    spec = manifest.services[service]
    if not spec.tracing:
        return {}
    ratio = spec.trace_sample_ratio if spec.trace_sample_ratio is not None else DEFAULT_SAMPLE_RATIO
    return {
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": xray_traces_endpoint(manifest.project.region),
        SIGV4_VAR: XRAY_SIGNING_NAME,
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": f"{ratio:g}",
        # X-Amzn-Trace-Id joins API Gateway's trace; in Lambda the runtime sets it to the
        # function's own segment (Active tracing), so the spans hang under it.
        "OTEL_PROPAGATORS": "tracecontext,baggage,xray",
    }
