"""The dashboard's HTML: each page is a shell whose ``#live`` part the browser refreshes.

Server-rendered: every fragment is plain HTML built here, escaped with
:func:`html.escape`; the page's script fetches it again every second.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from html import escape
from typing import Any

from trellis.local.dashboard._hub import Delivery, Denial, LogLine, Request, Span

PAGES = (
    ("", "Architecture"),
    ("queues", "Queues"),
    ("data", "Tables & buckets"),
    ("requests", "Requests"),
    ("jobs", "Jobs & events"),
    ("iam", "IAM denials"),
    ("traces", "Traces"),
    ("logs", "Logs"),
)

_PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#76b7b2", "#edc948", "#9c755f")


def color(service: str) -> str:
    fixed = {"gateway": "#5f6b7a", "sqs": "#c9a227"}
    if service in fixed:
        return fixed[service]
    return _PALETTE[sum(service.encode()) % len(_PALETTE)]


def shell(
    title: str,
    page: str,
    project: str,
    env: str,
    *,
    live: str | None = None,
    initial: str = "",
    before: str = "",
    after: str = "",
) -> str:
    """A whole page: navigation, static parts, and a ``#live`` part refreshed from ``live``."""
    nav = "".join(
        f'<a href="/_trellis/{slug}" class="{"current" if slug == page else ""}">{escape(name)}</a>'
        for slug, name in PAGES
    )
    live_part = (
        f'<div id="live" data-src="{escape(live)}" aria-live="polite">{initial}</div>'
        if live
        else initial
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)} · Trellis dev · {escape(project)}</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<link rel='stylesheet' href='/_trellis/static/dashboard.css'>"
        "<script defer src='/_trellis/static/dashboard.js'></script></head><body>"
        f"<header><strong>Trellis dev</strong> <span class='muted'>{escape(project)} "
        f"({escape(env)})</span><nav>{nav}</nav><span id='live-state' class='muted'></span></header><div id='toast' role='status' hidden></div>"
        f"<main><h1>{escape(title)}</h1>{before}{live_part}{after}</main></body></html>"
    )


def table(headers: Iterable[str], rows: Iterable[Iterable[str]], *, cls: str = "") -> str:
    """A table of already-escaped cells."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table class='{cls}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def ago(seconds_since_epoch: float | None) -> str:
    if seconds_since_epoch is None:
        return "—"
    return age(time.time() - seconds_since_epoch) + " ago"


def age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def clock(seconds_since_epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(seconds_since_epoch))


def trace_link(trace_id: str | None) -> str:
    if not trace_id:
        return "—"
    return f"<a class='trace' href='/_trellis/traces/{escape(trace_id)}'>{escape(trace_id[:8])}</a>"


def status_badge(status: int | str) -> str:
    text = str(status)
    if isinstance(status, int):
        cls = "ok" if status < 400 else "warn" if status < 500 else "bad"
    else:
        cls = {"succeeded": "ok", "sent": "muted", "retrying": "warn"}.get(text, "bad")
    return f"<span class='badge {cls}'>{escape(text)}</span>"


def requests_fragment(requests: list[Request]) -> str:
    if not requests:
        return "<p class='empty'>No request through the gateway yet.</p>"
    rows = [
        [
            escape(clock(r.time)),
            escape(r.method),
            f"<code>{escape(r.path)}</code>",
            status_badge(r.status),
            f"{r.duration_ms:.0f} ms",
            escape(r.service or "—"),
            escape(r.principal or "—"),
            trace_link(r.trace_id),
        ]
        for r in reversed(requests)
    ]
    return table(
        ["time", "method", "path", "status", "duration", "service", "caller", "trace"],
        rows,
        cls="requests",
    )


def job_type(body: str) -> str:
    try:
        value: Any = json.loads(body)
    except ValueError:
        return "(not JSON)"
    if isinstance(value, dict):
        if isinstance(value.get("type"), str):
            return str(value["type"])
        if isinstance(value.get("job_type"), str):
            return str(value["job_type"])
        records = value.get("Records")
        if isinstance(records, list) and records and isinstance(records[0], dict):
            return str(records[0].get("eventName") or records[0].get("eventSource") or "records")
        if value.get("Event") == "s3:TestEvent":
            return "s3:TestEvent"
    return "(message)"


def jobs_fragment(deliveries: list[Delivery]) -> str:
    if not deliveries:
        return "<p class='empty'>No message delivered to a function yet.</p>"
    rows = [
        [
            escape(clock(d.time)),
            f"<code>{escape(d.message_id[:8])}</code>",
            escape(d.queue),
            escape(d.service),
            escape(job_type(d.body)),
            str(d.receive_count),
            status_badge(d.status),
            f"{d.duration_ms:.0f} ms",
            escape(d.error or ""),
            trace_link(d.trace_id),
        ]
        for d in deliveries
    ]
    return table(
        [
            "time",
            "message",
            "queue",
            "service",
            "type",
            "receives",
            "status",
            "batch took",
            "error",
            "trace",
        ],
        rows,
        cls="jobs",
    )


def denials_fragment(denials: list[Denial]) -> str:
    if not denials:
        return (
            "<p class='empty'>No call denied. A call a service's policy does not allow shows "
            "here with the manifest change that grants it.</p>"
        )
    rows = [
        [
            escape(clock(d.time)),
            escape(d.service),
            f"<code>{escape(d.action)}</code>",
            f"<code class='arn'>{escape(d.resource)}</code>",
            f"<code class='fix'>{escape(d.change)}</code>",
            f"<code class='command'>{escape(d.command)}</code>" if d.command else "—",
        ]
        for d in reversed(denials)
    ]
    return table(
        ["time", "service", "action", "resource", "manifest change", "command"],
        rows,
        cls="denials",
    )


def traces_fragment(traces: list[tuple[str, list[Span]]]) -> str:
    if not traces:
        return "<p class='empty'>No trace yet: send a request through the gateway.</p>"
    rows = []
    for trace_id, spans in traces[:100]:
        if not spans:
            continue
        ids = {s.span_id for s in spans}
        roots = [s for s in spans if s.parent_id not in ids] or spans
        root = min(roots, key=lambda s: s.start_ns)
        start = min(s.start_ns for s in spans)
        end = max(s.end_ns for s in spans)
        services = sorted({s.service for s in spans})
        rows.append(
            [
                escape(clock(start / 1e9)),
                f"<a class='trace' href='/_trellis/traces/{escape(trace_id)}'>{escape(root.name)}</a>",
                " ".join(
                    f"<span class='dot' style='background:{color(s)}'></span>{escape(s)}"
                    for s in services
                ),
                str(len(spans)),
                f"{(end - start) / 1e6:.0f} ms",
                "<span class='badge bad'>error</span>" if any(s.error for s in spans) else "",
            ]
        )
    return table(["time", "trace", "services", "spans", "duration", ""], rows, cls="traces")


def waterfall(spans: list[Span]) -> str:
    """One trace as rows of bars on a common time axis, children under their parent."""
    if not spans:
        return "<p class='empty'>No span of this trace (yet).</p>"
    start = min(s.start_ns for s in spans)
    end = max(s.end_ns for s in spans)
    total = max(1, end - start)
    children: dict[str | None, list[Span]] = {}
    ids = {s.span_id for s in spans}
    for span in spans:
        parent = span.parent_id if span.parent_id in ids else None
        children.setdefault(parent, []).append(span)
    ordered: list[tuple[int, Span]] = []

    def walk(parent: str | None, depth: int) -> None:
        for span in sorted(children.get(parent, []), key=lambda s: s.start_ns):
            ordered.append((depth, span))
            walk(span.span_id, depth + 1)

    walk(None, 0)
    rows = []
    for depth, span in ordered:
        left = (span.start_ns - start) / total * 100
        width = max(0.4, (span.end_ns - span.start_ns) / total * 100)
        attrs = "".join(
            f"<div><code>{escape(str(k))}</code> {escape(str(v))}</div>"
            for k, v in sorted(span.attributes.items())
        )
        rows.append(
            f"<details class='span-row{' error' if span.error else ''}' data-service='{escape(span.service)}'>"
            "<summary>"
            f"<div class='span-label' style='padding-left:{depth * 14}px'>"
            f"<span class='dot' style='background:{color(span.service)}'></span>"
            f"<span class='span-service'>{escape(span.service)}</span> "
            f"<span class='span-name'>{escape(span.name)}</span></div>"
            f"<div class='span-track'><div class='span-bar' style='left:{left:.2f}%;"
            f"width:{width:.2f}%;background:{color(span.service)}'></div>"
            f"<span class='span-ms' style='left:{min(left + width, 92):.2f}%'>"
            f"{span.duration_ms:.1f} ms</span></div></summary>"
            f"<div class='span-attrs'>{attrs or 'no attributes'}</div></details>"
        )
    legend = " ".join(
        f"<span class='dot' style='background:{color(s)}'></span>{escape(s)}"
        for s in sorted({s.service for s in spans})
    )
    return (
        f"<p class='muted'>{len(spans)} spans, {total / 1e6:.1f} ms · {legend}</p>"
        f"<div class='waterfall'>{''.join(rows)}</div>"
    )


def logs_fragment(lines: list[LogLine]) -> str:
    if not lines:
        return "<p class='empty'>No log line matches.</p>"
    shown = lines[-500:]
    rows = "".join(
        f"<div class='log-line'><span class='log-time'>{escape(clock(line.time))}</span>"
        f"<span class='log-service' style='color:{color(line.service)}'>{escape(line.service)}</span>"
        f"<span class='log-text'>{escape(line.text)}</span></div>"
        for line in shown
    )
    more = (
        f"<p class='muted'>last {len(shown)} of {len(lines)} lines</p>" if len(lines) > 500 else ""
    )
    return f"{more}<div class='logs'>{rows}</div>"
