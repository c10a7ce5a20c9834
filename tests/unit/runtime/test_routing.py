"""SingleHopRoute: a plain ``def`` route runs in the thread pool once per request, not twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Annotated, Any

import anyio.to_thread
import fastapi
import pytest
from fastapi import Depends, FastAPI, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel

from trellis.runtime import APIRouter, NotFound, ServiceSettings, create_app
from trellis.runtime._logging import current_request_id
from trellis.runtime._routing import on_worker_thread


class Item(BaseModel):
    name: str
    size: int


def _loop_thread() -> int:
    return threading.get_ident()


async def loop_thread_id() -> int:
    # An async dependency runs on the event loop's thread.
    return _loop_thread()


LoopThread = Annotated[int, Depends(loop_thread_id)]


def _routes(router: fastapi.APIRouter) -> None:
    @router.get("/items/{name}")
    def read_item(name: str, loop_thread: LoopThread, size: Annotated[int, Query()] = 1) -> Item:
        if name == "missing":
            raise NotFound("no such item")
        if name == "bad":
            return {"name": name, "size": "not a number"}  # type: ignore[return-value]
        # An extra key the response model must drop.
        return {"name": name, "size": size, "secret": "x"}  # type: ignore[return-value]

    @router.get("/where")
    def where(loop_thread: LoopThread) -> dict[str, Any]:
        return {
            "endpoint_on_loop_thread": threading.get_ident() == loop_thread,
            "request_id": current_request_id(),
        }

    @router.get("/stream")
    def stream() -> Iterator[str]:
        yield from ("a", "b")


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every ``anyio.to_thread.run_sync`` call (FastAPI's and Starlette's thread hops)."""
    calls: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(func: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(func, "__name__", repr(func)))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return calls


def _app(router: fastapi.APIRouter, settings_factory: Any) -> FastAPI:
    app = create_app(settings_factory(ServiceSettings), readiness=[])
    _routes(router)
    app.include_router(router)
    return app


def test_a_def_route_makes_one_thread_hop_where_fastapi_makes_two(
    settings_factory: Any, hops: list[str]
) -> None:
    with TestClient(_app(fastapi.APIRouter(), settings_factory)) as client:
        hops.clear()
        assert client.get("/items/a").status_code == 200
        fastapi_hops = len(hops)
    with TestClient(_app(APIRouter(), settings_factory)) as client:
        hops.clear()
        assert client.get("/items/a").status_code == 200
        trellis_hops = len(hops)
    assert (fastapi_hops, trellis_hops) == (2, 1)


def test_the_route_still_runs_off_the_event_loop_with_the_request_context(
    settings_factory: Any,
) -> None:
    with TestClient(_app(APIRouter(), settings_factory)) as client:
        response = client.get("/where", headers={"x-request-id": "req-123"})
    assert response.json() == {"endpoint_on_loop_thread": False, "request_id": "req-123"}


def test_parameters_response_model_and_errors_behave_as_fastapi_s(settings_factory: Any) -> None:
    with TestClient(_app(APIRouter(), settings_factory), raise_server_exceptions=False) as client:
        assert client.get("/items/a", params={"size": 3}).json() == {"name": "a", "size": 3}
        invalid = client.get("/items/a", params={"size": "big"})
        missing = client.get("/items/missing")
        bad = client.get("/items/bad")
        schema = client.get("/openapi.json").json()
    assert invalid.status_code == 422
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    # A return value the response model refuses is the server's fault.
    assert bad.status_code == 500
    assert bad.json()["error"]["code"] == "internal_error"
    operation = schema["paths"]["/items/{name}"]["get"]
    assert operation["operationId"] == "read_item_items__name__get"
    assert {p["name"] for p in operation["parameters"]} == {"name", "size"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Item"
    }


def test_create_app_routes_are_single_hop_too(settings_factory: Any, hops: list[str]) -> None:
    app = create_app(settings_factory(ServiceSettings), readiness=[])

    @app.get("/plain")
    def plain() -> Item:
        return Item(name="p", size=1)

    with TestClient(app) as client:
        hops.clear()
        assert client.get("/plain").json() == {"name": "p", "size": 1}
    assert len(hops) == 1


def test_only_plain_functions_are_wrapped(settings_factory: Any) -> None:
    async def coroutine() -> None:
        return None

    def generator() -> Iterator[int]:
        yield 1

    class Callable:
        def __call__(self) -> None:
            return None

    for endpoint in (coroutine, generator, Callable()):
        assert on_worker_thread(endpoint) is endpoint
    # A generator route streams as FastAPI streams it (JSON lines).
    streamed = []
    for router in (fastapi.APIRouter(), APIRouter()):
        with TestClient(_app(router, settings_factory)) as client:
            streamed.append(client.get("/stream").text)
    assert streamed == ['"a"\n"b"\n'] * 2
