"""Routes whose plain ``def`` endpoints cost one worker-thread hop per request, not two.

FastAPI runs a ``def`` endpoint in its thread pool, then goes back to the pool a
second time to validate the endpoint's return value against the response model
(``serialize_response`` with ``is_coroutine=False``). Each hop wakes a worker
thread and the event loop again; measured on the example api's create + get, the
two hops were a larger share of a request's CPU than all of the platform's
middleware (``bench/api_overhead.py``).

:class:`SingleHopRoute` wraps such an endpoint in a coroutine that runs it on the
same pool, with the request's context, so FastAPI treats the route as ``async``
and validates the result on the event loop: one hop. Validation is pydantic-core
work that ``async def`` endpoints already do on the loop; the blocking part, the
endpoint's own code, still never runs there.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import routing
from starlette.concurrency import run_in_threadpool

__all__ = ["APIRouter", "SingleHopRoute", "on_worker_thread"]


def _is_plain_function(endpoint: Callable[..., Any]) -> bool:
    return (
        inspect.isfunction(endpoint)
        and not inspect.iscoroutinefunction(endpoint)
        and not inspect.isgeneratorfunction(endpoint)
        and not inspect.isasyncgenfunction(endpoint)
    )


def on_worker_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint`` as a coroutine function that runs it in the thread pool.

    ``functools.wraps`` keeps the name, docstring and ``__wrapped__``, from which
    FastAPI reads the signature (parameters, dependencies, the return annotation it
    infers the response model from) and the globals it resolves annotations in.
    Anything but a plain ``def`` (``async def``, generators, callable objects) is
    returned unchanged.
    """
    if not _is_plain_function(endpoint):
        return endpoint

    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return run


class SingleHopRoute(routing.APIRoute):
    """An ``APIRoute`` whose plain ``def`` endpoint makes one thread-pool hop per request.

    ``APIRouter(route_class=SingleHopRoute)``, or :class:`APIRouter` from this module,
    which defaults to it; :func:`trellis.runtime.create_app` sets it on the app's own
    router. Requests, responses, dependencies and the OpenAPI schema are FastAPI's.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, on_worker_thread(endpoint), **kwargs)


class APIRouter(routing.APIRouter):
    """FastAPI's ``APIRouter`` with :class:`SingleHopRoute` routes: a drop-in replacement.

    Example::

        from trellis.runtime import APIRouter

        users = APIRouter(prefix="/users", tags=["users"])

        @users.get("/{user_id}")
        def read_user(user_id: str, store: UsersDep) -> UserPublic:  # boto3 inside: a def
            return store.get(user_id)
    """

    def __init__(
        self, *args: Any, route_class: type[routing.APIRoute] = SingleHopRoute, **kwargs: Any
    ) -> None:
        super().__init__(*args, route_class=route_class, **kwargs)
