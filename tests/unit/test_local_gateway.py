"""The local gateway routes like API Gateway and fails like it (fakes, no network)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import httpx

from trellis.local.gateway import LAMBDA_PAYLOAD_LIMIT, Gateway, Route
from trellis.local.services import InvokeResult


class FakeFunction:
    def __init__(self, name: str, result: InvokeResult | None = None) -> None:
        self.name = name
        self.result = result
        self.events: list[dict[str, Any]] = []

    async def invoke(self, event: dict[str, Any]) -> InvokeResult:
        self.events.append(event)
        if self.result is not None:
            return self.result
        body = json.dumps({"service": self.name, "path": event["path"]})
        return InvokeResult(
            payload={
                "statusCode": 200,
                "headers": {"content-type": "application/json"},
                "body": body,
            }
        )


def request(gateway: Gateway, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=gateway)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())


def gateway(*routes: Route) -> Gateway:
    # Routing, not auth, is under test here: every route is open.
    opened = [r if r.auth else dataclasses.replace(r, auth=(("", "none"),)) for r in routes]
    return Gateway(opened, stage="dev", log=lambda _n, _l: None)


def test_routes_by_longest_prefix_and_passes_the_full_path() -> None:
    api, admin = FakeFunction("api"), FakeFunction("admin")
    gw = gateway(Route("/api", "api", function=api), Route("/api/admin", "admin", function=admin))  # type: ignore[arg-type]
    assert request(gw, "GET", "/api/admin/users").json() == {
        "service": "admin",
        "path": "/api/admin/users",
    }
    assert request(gw, "GET", "/api/users?x=1").json()["service"] == "api"
    assert api.events[0]["queryStringParameters"] == {"x": "1"}
    assert api.events[0]["requestContext"]["stage"] == "dev"


def test_a_prefix_only_matches_whole_segments() -> None:
    gw = gateway(Route("/api", "api", function=FakeFunction("api")))  # type: ignore[arg-type]
    resp = request(gw, "GET", "/apis")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


def test_function_error_is_502_and_timeout_is_504() -> None:
    broken = gateway(Route("/a", "a", function=FakeFunction("a", InvokeResult(error="Unhandled"))))  # type: ignore[arg-type]
    assert request(broken, "GET", "/a/x").status_code == 502
    slow = gateway(
        Route("/a", "a", function=FakeFunction("a", InvokeResult(error="timeout", timed_out=True)))
    )  # type: ignore[arg-type]
    assert request(slow, "GET", "/a/x").status_code == 504


def test_a_body_over_lambdas_6_mb_limit_is_413_without_invoking() -> None:
    fn = FakeFunction("a")
    gw = gateway(Route("/a", "a", function=fn))  # type: ignore[arg-type]
    resp = request(gw, "POST", "/a/upload", content=b"x" * (LAMBDA_PAYLOAD_LIMIT + 1))
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "payload_too_large"
    assert fn.events == []


def test_a_broken_service_answers_502_with_its_start_up_error_and_is_not_invoked() -> None:
    fn = FakeFunction("a")
    fn.broken = "a failed to start: SyntaxError: invalid syntax (main.py, line 3)"  # type: ignore[attr-defined]
    gw = gateway(Route("/a", "a", function=fn))  # type: ignore[arg-type]
    resp = request(gw, "GET", "/a/x")
    assert resp.status_code == 502
    error = resp.json()["error"]
    assert error["code"] == "service_unavailable"
    assert "SyntaxError: invalid syntax (main.py, line 3)" in error["message"]
    assert "save a fix" in error["message"]
    assert fn.events == []


def test_an_instance_that_cannot_start_is_a_502_naming_the_error() -> None:
    failed = InvokeResult(error="a failed to start: ImportError: no module x", init_error=True)
    gw = gateway(Route("/a", "a", function=FakeFunction("a", failed)))  # type: ignore[arg-type]
    resp = request(gw, "GET", "/a/x")
    assert resp.status_code == 502
    assert "ImportError: no module x" in resp.json()["error"]["message"]


def test_each_request_opens_a_trace_the_service_joins_and_is_reported() -> None:
    fn = FakeFunction("a")
    records: list[Any] = []
    gw = Gateway(
        [Route("/a", "a", function=fn, auth=(("", "none"),))],  # type: ignore[arg-type]
        stage="dev",
        log=lambda _n, _l: None,
        on_request=records.append,
    )
    request(gw, "GET", "/a/x", headers={"traceparent": "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"})
    request(gw, "GET", "/a/y")
    first, second = records
    assert (first.method, first.path, first.status, first.service) == ("GET", "/a/x", 200, "a")
    # A caller's trace is continued; without one the gateway starts a trace.
    assert first.trace_id == "ab" * 16 and first.parent_span_id == "cd" * 8
    assert second.trace_id != first.trace_id and second.parent_span_id is None
    sent = fn.events[0]["headers"]["traceparent"]
    assert sent == f"00-{first.trace_id}-{first.span_id}-01"


def test_paths_under_trellis_go_to_the_console_but_the_issuer_documents_do_not() -> None:
    seen: list[str] = []

    async def console(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"console"})

    gw = Gateway([], stage="dev", log=lambda _n, _l: None, console=console)
    assert request(gw, "GET", "/_trellis/").text == "console"
    assert request(gw, "GET", "/_trellis/jwks.json").status_code == 404  # no issuer here
    assert seen == ["/_trellis/"]
