"""A span exporter wrapper that drops a batch it cannot deliver, with one log line.

The OTLP exporter already retries transient failures within its timeout; what is
left is a failure, and a failed export must never surface in the request that made
the spans (the batch processor exports on its own thread, or at a Lambda flush).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from trellis.runtime._logging import get_logger

__all__ = ["DroppingExporter"]

_log = get_logger("trellis.runtime.tracing")


class DroppingExporter(SpanExporter):
    """Delegates to ``inner``; a failed or raising export is logged and reported as FAILURE."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self.inner.export(spans)
        except Exception as exc:  # noqa: BLE001 - tracing must never fail the caller
            _log.warning("tracing.spans_dropped", spans=len(spans), reason=repr(exc))
            return SpanExportResult.FAILURE
        if result is not SpanExportResult.SUCCESS:
            _log.warning(
                "tracing.spans_dropped",
                spans=len(spans),
                reason="the OTLP endpoint refused the batch or could not be reached",
                endpoint=str(getattr(self.inner, "_endpoint", "")),
            )
        return result  # type: ignore[no-any-return]

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return bool(self.inner.force_flush(timeout_millis))
