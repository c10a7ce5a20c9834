"""The dashboard's ASGI app, mounted by the gateway under ``/_trellis/``.

It is for the developer at this machine: the gateway listens on 127.0.0.1
only, and there is no login. Two checks keep other origins out: a request must
name the gateway in its ``Host`` header (a DNS-rebinding page cannot), and an
action (``POST /_trellis/api/...``: redrive, test events) must carry the
``x-trellis-dashboard`` header, which a page of another origin cannot send
without a CORS preflight this app never approves.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import json
import time
from collections.abc import Callable
from html import escape
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote

from trellis import naming
from trellis.kinds import BUCKET, QUEUE, SCHEDULE, TABLE
from trellis.local.dashboard import _architecture, _pages
from trellis.local.dashboard._otlp import OtlpError, decode
from trellis.local.on_demand import EventError, send_event
from trellis.local.scheduler import fire as fire_schedule

if TYPE_CHECKING:
    from trellis.local.dev import DevStack

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]

PREFIX = "/_trellis"
#: The header every action needs (see the module docstring).
ACTION_HEADER = "x-trellis-dashboard"
OTLP_PATH = f"{PREFIX}/otlp/v1/traces"
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
_MAX_BODY = 8 * 1024 * 1024


class _Response:
    def __init__(
        self, status: int, body: bytes | str, content_type: str = "text/html; charset=utf-8"
    ) -> None:
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.headers = [
            (b"content-type", content_type.encode()),
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (
                b"content-security-policy",
                b"default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
            ),
        ]


def _json(status: int, value: Any) -> _Response:
    return _Response(status, json.dumps(value, default=str), "application/json")


class Dashboard:
    """``trellis dev``'s dashboard over a running :class:`~trellis.local.dev.DevStack`."""

    def __init__(self, stack: DevStack) -> None:
        self.stack = stack
        port = stack.options.port
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        self.origins = {f"http://{host}" for host in self.hosts}

    # --- ASGI -------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method: str = scope["method"]
        path: str = scope["path"]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        body = await _read(receive) if method == "POST" else b""
        try:
            response = await self._route(method, path, query, headers, body)
        except EventError as exc:
            response = _json(400, {"error": {"code": "bad_request", "message": str(exc)}})
        except Exception as exc:  # noqa: BLE001 - the page shows the failure, the stack keeps running
            response = _json(
                500, {"error": {"code": "internal", "message": f"{type(exc).__name__}: {exc}"}}
            )
        await send(
            {"type": "http.response.start", "status": response.status, "headers": response.headers}
        )
        await send({"type": "http.response.body", "body": response.body})

    async def _route(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> _Response:
        if headers.get("host") not in self.hosts:
            return _json(
                403,
                {"error": {"code": "forbidden", "message": "the dashboard answers its own host"}},
            )
        if path == OTLP_PATH and method == "POST":
            return self._otlp(headers.get("content-type", ""), body)
        if path.startswith(f"{PREFIX}/api/"):
            if method == "POST":
                refusal = self._check_action(headers)
                if refusal is not None:
                    return refusal
            return await self._api(method, path.removeprefix(f"{PREFIX}/api/"), query, body)
        if method != "GET":
            return _json(405, {"error": {"code": "method_not_allowed", "message": method}})
        if path.startswith(f"{PREFIX}/static/"):
            return _static(path.removeprefix(f"{PREFIX}/static/"))
        if path.startswith(f"{PREFIX}/fragment/"):
            return _Response(
                200, await self.fragment(path.removeprefix(f"{PREFIX}/fragment/"), query)
            )
        page = path.removeprefix(PREFIX).strip("/")
        return await self._page(page, query)

    def _service_names(self) -> dict[str, str]:
        m, env = self.stack.manifest, self.stack.options.env
        return {naming.physical_name(m.project.name, env, name): name for name in m.services}

    def _check_action(self, headers: dict[str, str]) -> _Response | None:
        origin = headers.get("origin")
        if headers.get(ACTION_HEADER) != "1" or (origin is not None and origin not in self.origins):
            return _json(
                403,
                {
                    "error": {
                        "code": "forbidden",
                        "message": f"dashboard actions need the {ACTION_HEADER} header, from this page",
                    }
                },
            )
        return None

    # --- pages ------------------------------------------------------------------------------

    async def _page(self, page: str, query: dict[str, list[str]]) -> _Response:
        m = self.stack.manifest
        project, env = m.project.name, self.stack.options.env
        titles = dict(_pages.PAGES)
        if page.startswith("traces/"):
            trace_id = page.removeprefix("traces/")
            live = f"{PREFIX}/fragment/trace?id={quote(trace_id)}"
            initial = await self.fragment("trace", {"id": [trace_id]})
            return _Response(
                200,
                _pages.shell(
                    f"Trace {trace_id[:8]}",
                    "traces",
                    project,
                    env,
                    live=live,
                    initial=initial,
                    before="<p><a href='/_trellis/traces'>← all traces</a></p>",
                ),
            )
        if page not in titles:
            return _Response(
                404, _pages.shell("Not found", page, project, env, initial="<p>No such page.</p>")
            )
        before = after = ""
        if page == "":
            before = (
                "<section class='arch-wrap'>"
                + _architecture.svg(m)
                + "</section><h2>Edges</h2>"
                + _pages.table(
                    ["from", "to", "what"],
                    [
                        [escape(e.source), escape(e.target), escape(e.label)]
                        for e in _architecture.edges(m)
                    ],
                    cls="edges",
                )
                + "<h2>Services</h2>"
            )
        elif page == "jobs":
            after = self._event_forms()
        elif page == "queues":
            after = "<section id='peek' class='peek'></section>"
        elif page == "logs":
            services = ["", *m.services, "gateway", "trellis", "emulator"]
            chosen = (query.get("service") or [""])[0]
            options = "".join(
                f"<option value='{escape(s)}'{' selected' if s == chosen else ''}>"
                f"{escape(s or 'all services')}</option>"
                for s in services
            )
            text = escape((query.get("q") or [""])[0])
            before = (
                "<form class='filter' data-filter>"
                f"<label>service <select name='service'>{options}</select></label> "
                f"<label>contains <input name='q' value='{text}' placeholder='filter' "
                "autocomplete='off'></label></form>"
            )
        slug = page or "overview"
        qs = "&".join(f"{quote(k)}={quote(v[0])}" for k, v in query.items() if v)
        live = f"{PREFIX}/fragment/{slug}" + (f"?{qs}" if qs else "")
        initial = await self.fragment(slug, query)
        return _Response(
            200,
            _pages.shell(
                titles[page],
                page,
                project,
                env,
                live=live,
                initial=initial,
                before=before,
                after=after,
            ),
        )

    def _event_forms(self) -> str:
        """Buttons and forms that send one event the way its source would."""
        from trellis.local.on_demand import consumed_queues

        m = self.stack.manifest
        parts = ["<h2>Send a test event</h2><div class='forms'>"]
        for service in m.services:
            for queue in consumed_queues(m, service):
                parts.append(
                    "<form class='event' data-invoke>"
                    f"<input type='hidden' name='service' value='{escape(service)}'>"
                    "<input type='hidden' name='event' value='sqs'>"
                    f"<input type='hidden' name='queue' value='{escape(queue)}'>"
                    f"<h3>SQS message → {escape(queue)} → {escape(service)}</h3>"
                    "<textarea name='body' rows='3'>"
                    + escape('{"type": "process_data", "payload": {"from": "dashboard"}}')
                    + "</textarea><button type='submit'>Send message</button></form>"
                )
            queues = consumed_queues(m, service)
            for name, schedule in m.specs(SCHEDULE).items():
                if schedule.target == service or schedule.target in queues:
                    parts.append(
                        "<form class='event' data-invoke>"
                        f"<input type='hidden' name='service' value='{escape(service)}'>"
                        "<input type='hidden' name='event' value='schedule'>"
                        f"<input type='hidden' name='schedule' value='{escape(name)}'>"
                        f"<h3>Schedule {escape(name)} <span class='muted'>{escape(schedule.expression)}"
                        f" → {escape(schedule.target)}</span></h3>"
                        f"<button type='submit'>Run {escape(name)} now</button></form>"
                    )
            for bucket, spec in m.specs(BUCKET).items():
                for n in spec.notifications:
                    if n.queue in queues:
                        parts.append(
                            "<form class='event' data-invoke>"
                            f"<input type='hidden' name='service' value='{escape(service)}'>"
                            "<input type='hidden' name='event' value='s3'>"
                            f"<input type='hidden' name='bucket' value='{escape(bucket)}'>"
                            f"<h3>S3 object created in {escape(bucket)} → {escape(n.queue)} → "
                            f"{escape(service)}</h3>"
                            f"<label>key <input name='key' value='{escape(n.prefix)}test.txt'></label> "
                            "<label>content <input name='content' value='hello' "
                            "placeholder='empty: the object must exist'></label>"
                            "<button type='submit'>Upload and notify</button></form>"
                        )
        parts.append("</div><pre id='event-result' class='result' hidden></pre>")
        return "".join(parts)

    async def fragment(self, name: str, query: dict[str, list[str]]) -> str:
        """The live part of a page, as HTML."""
        events = self.stack.events
        if name == "overview":
            return self._services()
        if name == "requests":
            return _pages.requests_fragment(list(events.requests))
        if name == "jobs":
            return _pages.jobs_fragment(events.jobs())
        if name == "iam":
            return self._iam_note() + _pages.denials_fragment(list(events.denials))
        if name == "traces":
            return _pages.traces_fragment(events.traces())
        if name == "trace":
            return _pages.waterfall(events.trace((query.get("id") or [""])[0]))
        if name == "logs":
            service = (query.get("service") or [""])[0] or None
            return _pages.logs_fragment(events.log_lines(service, (query.get("q") or [""])[0]))
        if name == "queues":
            return await asyncio.to_thread(self._queues)
        if name == "data":
            return await asyncio.to_thread(
                self._data, (query.get("table") or [""])[0], (query.get("bucket") or [""])[0]
            )
        return "<p>No such fragment.</p>"

    def _iam_note(self) -> str:
        if not self.stack.options.iam:
            return "<p class='warn'>IAM is not enforced (--no-iam): nothing is denied.</p>"
        return ""

    def _services(self) -> str:
        stack = self.stack
        rows = []
        for name, spec in stack.manifest.services.items():
            fn = stack.functions.get(name)
            container = stack.containers.get(name)
            backend = fn or container
            broken = getattr(backend, "broken", None)
            state = (
                f"<span class='badge bad'>broken</span> <code>{escape(broken)}</code>"
                if broken
                else "<span class='badge ok'>running</span>"
            )
            if fn is not None:
                instances = f"{fn.busy} busy / {fn.instances} (cap {fn.max_instances})"
                starts = str(fn.cold_starts)
            else:
                instances, starts = "1 task", "—"
            rows.append(
                [
                    escape(name),
                    escape(spec.runtime),
                    f"<code>{escape(spec.route or '—')}</code>",
                    state,
                    escape(instances),
                    starts,
                ]
            )
        return _pages.table(
            ["service", "runtime", "route", "state", "instances", "cold starts"],
            rows,
            cls="services",
        )

    # --- emulator views (run in a thread: boto3 blocks) -------------------------------------

    def _peek(self, physical: str) -> dict[str, Any] | None:
        assert self.stack.emulator is not None
        status, body = self.stack.emulator.moto_api(
            f"/moto-api/trellis/sqs-peek?queue={quote(physical)}&limit=10", timeout_s=5
        )
        return json.loads(body) if status == 200 else None

    def _queues(self) -> str:
        stack = self.stack
        assert stack.emulator is not None and stack.addresses is not None
        if not stack.manifest.specs(QUEUE):
            return "<p class='empty'>No queue in trellis.toml.</p>"
        sqs = stack.emulator.client("sqs", max_attempts=1, read_timeout_s=5)
        rows = []
        now_ms = time.time() * 1000
        for name, spec in stack.manifest.specs(QUEUE).items():
            url = stack.addresses.address("queue", name)
            dlq = stack.addresses.dlq_urls.get(name)
            counts = _counts(sqs, url)
            dlq_counts = _counts(sqs, dlq) if dlq else (0, 0, 0)
            main_peek = self._peek(url.rsplit("/", 1)[-1])
            dlq_peek = self._peek(dlq.rsplit("/", 1)[-1]) if dlq else None
            oldest = _oldest(main_peek, now_ms)
            dlq_oldest = _oldest(dlq_peek, now_ms)
            consumers = ", ".join(stack.manifest.consumers(name)) or "—"
            redrive = (
                f"<button data-action='/_trellis/api/queues/{escape(name)}/redrive' "
                f"class='redrive'{' disabled' if not dlq_counts[0] else ''}>Redrive DLQ</button>"
            )
            peek = (
                f"<button data-peek='{escape(name)}'>Peek</button> "
                f"<button data-peek='{escape(name)}' data-dlq='1'>Peek DLQ</button>"
            )
            rows.append(
                [
                    f"<strong>{escape(name)}</strong><br><span class='muted'>{escape(url.rsplit('/', 1)[-1])}</span>",
                    f"<span class='n visible'>{counts[0]}</span>",
                    f"<span class='n inflight'>{counts[1]}</span>",
                    str(counts[2]),
                    escape(_pages.age(oldest)),
                    f"<span class='n dlq'>{dlq_counts[0] + dlq_counts[1]}</span>",
                    escape(_pages.age(dlq_oldest)),
                    escape(consumers),
                    f"{spec.max_receive_count}",
                    peek + " " + redrive,
                ]
            )
        return _pages.table(
            [
                "queue",
                "visible",
                "in flight",
                "delayed",
                "oldest",
                "DLQ",
                "DLQ oldest",
                "consumers",
                "max receives",
                "",
            ],
            rows,
            cls="queues",
        ) + (
            "<p class='muted'>Peek reads the emulator's copy of the queue: unlike a receive "
            "(or the AWS console's poll), it does not count toward maxReceiveCount.</p>"
        )

    def _peek_fragment(self, name: str, dlq: bool) -> str:
        stack = self.stack
        assert stack.addresses is not None
        url = stack.addresses.dlq_urls.get(name) if dlq else stack.addresses.address("queue", name)
        if url is None:
            return "<p>No such queue.</p>"
        found = self._peek(url.rsplit("/", 1)[-1])
        label = f"{name}{' DLQ' if dlq else ''}"
        if not found or not found["messages"]:
            return f"<h2>Peek: {escape(label)}</h2><p class='empty'>Empty.</p>"
        now_ms = time.time() * 1000
        rows = [
            [
                f"<code>{escape(str(m['id'])[:8])}</code>",
                escape(_pages.age((now_ms - (m["sent_ms"] or now_ms)) / 1000)),
                str(m["receive_count"]),
                "visible" if m["visible"] else "in flight",
                f"<code class='body'>{escape(str(m['body'])[:400])}</code>",
            ]
            for m in found["messages"]
        ]
        return (
            f"<h2>Peek: {escape(label)} <span class='muted'>({found['count']} messages, "
            "oldest first)</span></h2>"
            + _pages.table(["message", "age", "receives", "state", "body"], rows, cls="peeked")
        )

    def _data(self, chosen_table: str, chosen_bucket: str) -> str:
        stack = self.stack
        assert stack.emulator is not None and stack.addresses is not None
        m = stack.manifest
        parts = []
        ddb = stack.emulator.client("dynamodb", max_attempts=1, read_timeout_s=5)
        if m.specs(TABLE):
            chosen_table = (
                chosen_table if chosen_table in m.specs(TABLE) else next(iter(m.specs(TABLE)))
            )
            rows = []
            for name, spec in m.specs(TABLE).items():
                physical = stack.addresses.address("table", name)
                count = ddb.describe_table(TableName=physical)["Table"].get("ItemCount", 0)
                keys = spec.hash_key + (f" + {spec.range_key}" if spec.range_key else "")
                link = f"<a href='/_trellis/data?table={quote(name)}'>{escape(name)}</a>"
                rows.append(
                    [link, escape(physical), escape(keys), f"<span class='n'>{count}</span>"]
                )
            parts.append("<h2>Tables</h2>")
            parts.append(_pages.table(["table", "name", "key", "items"], rows, cls="tables"))
            physical = stack.addresses.address("table", chosen_table)
            items = ddb.scan(TableName=physical, Limit=10).get("Items", [])
            parts.append(f"<h3>{escape(chosen_table)}: first items</h3>")
            if items:
                parts.append(
                    "<div class='items'>"
                    + "".join(
                        f"<pre class='item'>{escape(json.dumps(_plain(item), sort_keys=True, default=str))}</pre>"
                        for item in items
                    )
                    + "</div>"
                )
            else:
                parts.append("<p class='empty'>No item.</p>")
        if m.specs(BUCKET):
            s3 = stack.emulator.client("s3", max_attempts=1, read_timeout_s=5)
            chosen_bucket = (
                chosen_bucket if chosen_bucket in m.specs(BUCKET) else next(iter(m.specs(BUCKET)))
            )
            rows = []
            listing: dict[str, Any] = {}
            for name in m.specs(BUCKET):
                physical = stack.addresses.address("bucket", name)
                page = s3.list_objects_v2(Bucket=physical, MaxKeys=1000)
                count = f"{page.get('KeyCount', 0)}{'+' if page.get('IsTruncated') else ''}"
                if name == chosen_bucket:
                    listing = page
                link = f"<a href='/_trellis/data?bucket={quote(name)}'>{escape(name)}</a>"
                rows.append([link, escape(physical), f"<span class='n'>{count}</span>"])
            parts.append("<h2>Buckets</h2>")
            parts.append(_pages.table(["bucket", "name", "objects"], rows, cls="buckets"))
            objects = listing.get("Contents", [])[:20]
            parts.append(f"<h3>{escape(chosen_bucket)}: first keys</h3>")
            if objects:
                parts.append(
                    _pages.table(
                        ["key", "size", "modified"],
                        [
                            [
                                f"<code>{escape(o['Key'])}</code>",
                                f"{o.get('Size', 0)} B",
                                escape(str(o.get("LastModified", ""))[:19]),
                            ]
                            for o in objects
                        ],
                        cls="keys",
                    )
                )
            else:
                parts.append("<p class='empty'>No object.</p>")
        return "".join(parts) or "<p class='empty'>No table or bucket in trellis.toml.</p>"

    # --- actions ----------------------------------------------------------------------------

    async def _api(
        self, method: str, rest: str, query: dict[str, list[str]], body: bytes
    ) -> _Response:
        parts = rest.strip("/").split("/")
        if method == "GET" and parts == ["peek"]:
            name = (query.get("queue") or [""])[0]
            if name not in self.stack.manifest.specs(QUEUE):
                return _Response(404, "<p>No such queue.</p>")
            dlq = (query.get("dlq") or [""])[0] == "1"
            return _Response(200, await asyncio.to_thread(self._peek_fragment, name, dlq))
        if method == "GET" and parts == ["status"]:
            return _json(200, self.status())
        if method != "POST":
            return _json(405, {"error": {"code": "method_not_allowed", "message": method}})
        if len(parts) == 3 and parts[0] == "queues" and parts[2] == "redrive":
            return await self._redrive(parts[1])
        if parts == ["invoke"]:
            return await self._invoke(body)
        if len(parts) == 3 and parts[0] == "schedules" and parts[2] == "run":
            return await self._run_schedule(parts[1], body)
        return _json(404, {"error": {"code": "not_found", "message": rest}})

    def status(self) -> dict[str, Any]:
        stack = self.stack
        services: dict[str, Any] = {}
        for name in stack.manifest.services:
            fn = stack.functions.get(name)
            container = stack.containers.get(name)
            info: dict[str, Any] = {"broken": getattr(fn or container, "broken", None)}
            if fn is not None:
                info.update(
                    instances=fn.instances,
                    busy=fn.busy,
                    max_instances=fn.max_instances,
                    cold_starts=fn.cold_starts,
                )
            services[name] = info
        return {
            "project": stack.manifest.project.name,
            "env": stack.options.env,
            "services": services,
            "requests": len(stack.events.requests),
            "denials": len(stack.events.denials),
        }

    async def _redrive(self, name: str) -> _Response:
        from trellis.ops import redrive

        stack = self.stack
        assert stack.emulator is not None and stack.addresses is not None
        if name not in stack.manifest.specs(QUEUE):
            return _json(404, {"error": {"code": "not_found", "message": f"no queue {name}"}})
        sqs = stack.emulator.client("sqs")
        url = stack.addresses.address("queue", name)
        dlq = stack.addresses.dlq_urls[name]
        result = await asyncio.to_thread(redrive, sqs, dlq, url)
        stack.log("trellis", f"dashboard: redrove {result.moved} message(s) from {name}'s DLQ")
        return _json(200, {"moved": result.moved, "failed": result.failed, "method": result.method})

    async def _invoke(self, body: bytes) -> _Response:
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return _json(400, {"error": {"code": "bad_request", "message": "the body is not JSON"}})
        if not isinstance(request, dict):
            return _json(400, {"error": {"code": "bad_request", "message": "send a JSON object"}})
        content: bytes | None = None
        if isinstance(request.get("content_base64"), str):
            try:
                content = base64.b64decode(request["content_base64"], validate=True)
            except binascii.Error:
                return _json(
                    400,
                    {"error": {"code": "bad_request", "message": "content_base64 is not base64"}},
                )
        elif isinstance(request.get("content"), str) and request["content"]:
            content = request["content"].encode()
        outcome = await send_event(
            self.stack,
            str(request.get("service", "")),
            str(request.get("event", "")),
            queue=request.get("queue") or None,
            body=request.get("body"),
            schedule=request.get("schedule") or None,
            bucket=request.get("bucket") or None,
            key=request.get("key") or None,
            content=content,
            wait_s=float(request.get("wait_s", 30)),
        )
        self.stack.log(
            "trellis",
            f"test event {outcome.event} → {outcome.service} via {outcome.via}: {outcome.status}",
        )
        return _json(200, outcome.as_json())

    async def _run_schedule(self, name: str, body: bytes) -> _Response:
        try:
            request = json.loads(body or b"{}")
            wait_s = float(request.get("wait_s", 30)) if isinstance(request, dict) else 30.0
        except (ValueError, TypeError):
            return _json(400, {"error": {"code": "bad_request", "message": "the body is not JSON"}})
        outcome = await fire_schedule(self.stack, name, wait_s=wait_s)
        self.stack.log("trellis", f"schedules.{name} run now → {outcome.via}: {outcome.status}")
        return _json(200, outcome.as_json())

    def _otlp(self, content_type: str, body: bytes) -> _Response:
        try:
            spans = decode(body, content_type)
        except OtlpError as exc:
            return _json(400, {"error": {"code": "bad_request", "message": str(exc)}})
        # The runtime names its spans' service by the physical name (acme-dev-api): show the
        # manifest's, as every other page does.
        names = self._service_names()
        self.stack.events.spans(
            dataclasses.replace(span, service=names[span.service])
            if span.service in names
            else span
            for span in spans
        )
        if "json" in content_type:
            return _json(200, {"partialSuccess": {}})
        # An empty ExportTraceServiceResponse.
        return _Response(200, b"", "application/x-protobuf")


def _counts(sqs: Any, url: str) -> tuple[int, int, int]:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return (
        int(attrs.get("ApproximateNumberOfMessages", 0)),
        int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
        int(attrs.get("ApproximateNumberOfMessagesDelayed", 0)),
    )


def _oldest(peeked: dict[str, Any] | None, now_ms: float) -> float | None:
    if not peeked or not peeked.get("oldest_sent_ms"):
        return None
    return max(0.0, (now_ms - float(peeked["oldest_sent_ms"])) / 1000)


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item without its type tags (``{"S": "x"}`` → ``"x"``)."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: deserializer.deserialize(v) for k, v in item.items()}


def _static(name: str) -> _Response:
    suffix = name[name.rfind(".") :] if "." in name else ""
    if "/" in name or suffix not in _STATIC_TYPES:
        return _Response(404, "not found", "text/plain")
    try:
        data = resources.files("trellis.local.dashboard").joinpath("static", name).read_bytes()
    except FileNotFoundError:
        return _Response(404, "not found", "text/plain")
    return _Response(200, data, _STATIC_TYPES[suffix])


async def _read(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > _MAX_BODY:
            return b""
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)
