"""The caller a request came from, as the gateway verified it, and the gateway's origin check.

API Gateway (and ``trellis dev``'s gateway) checks each route's ``auth``
before a service sees the request; this module hands the result to routes:

- Lambda services read it from the API Gateway event Mangum keeps in the ASGI
  scope (``aws.event``): ``requestContext.authorizer`` for ``jwt`` routes (the
  authorizer's ``principalId`` and claims), ``requestContext.identity`` for
  ``iam`` (``userArn``) and ``api_key`` (``apiKeyId``) routes.
- Container services can be reached without the gateway (their own URL), so
  they trust the ``X-Trellis-*`` headers the gateway's integration sets only
  once :class:`GatewayOriginMiddleware` has seen the environment's origin
  secret on the request; without it every request but ``/health`` is a 403.

Nothing here verifies a token: the gateway did, and the runtime stays free of
JWT libraries (cold start).
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from fastapi import Depends, Request

from trellis.runtime._errors import TrellisError
from trellis.runtime._http_errors import send_error
from trellis.runtime._logging import current_request_id, get_logger

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "ORIGIN_HEADER",
    "GatewayOriginMiddleware",
    "OptionalPrincipalDep",
    "Principal",
    "PrincipalDep",
    "Unauthenticated",
    "get_optional_principal",
    "get_principal",
    "principal_from_scope",
]

_log = get_logger("trellis.runtime.auth")

#: The header carrying the origin secret (the gateway sets it; a client's copy is replaced).
ORIGIN_HEADER: Final = "x-trellis-origin"
#: Scope key :class:`GatewayOriginMiddleware` sets once the origin secret matched.
_VIA_GATEWAY: Final = "trellis.via_gateway"
_ORIGIN_HEADER_BYTES: Final = ORIGIN_HEADER.encode()
#: The one path a container answers without the origin secret: the platform's health checks
#: (App Runner, ECS) call it directly, and it says nothing.
_OPEN_PATH: Final = "/health"
#: Refetch the secret on a mismatch at most this often (a rotated secret is picked up).
_REFRESH_AFTER_S: Final = 30.0

AuthKind = Literal["jwt", "iam", "api_key"]


class Unauthenticated(TrellisError):
    """The route needs a verified caller and the request has none (401)."""

    status = 401
    code = "unauthorized"
    default_message = "this route needs an authenticated caller"


class NotViaGateway(TrellisError):
    """A request that did not come through the gateway (403)."""

    status = 403
    code = "forbidden"
    default_message = "requests reach this service through its gateway only"


@dataclass(frozen=True)
class Principal:
    """Who called: ``auth`` says how the gateway verified them, ``id`` who they are.

    - ``jwt``: ``id`` is the token's ``sub``; ``claims`` are all of its claims.
    - ``iam``: ``id`` is the caller's IAM ARN (``userArn``), ``claims`` has ``account_id``.
    - ``api_key``: ``id`` is the API key's id (never its value).
    """

    auth: AuthKind
    id: str
    claims: Mapping[str, Any] = field(default_factory=dict)

    @property
    def scopes(self) -> frozenset[str]:
        """OAuth scopes: the space-separated ``scope`` claim (or an ``scp`` list)."""
        scope = self.claims.get("scope")
        if isinstance(scope, str):
            return frozenset(scope.split())
        scp = self.claims.get("scp")
        return frozenset(str(s) for s in scp) if isinstance(scp, list) else frozenset()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def _claims(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _from_event(event: Mapping[str, Any]) -> Principal | None:
    context = event.get("requestContext")
    if not isinstance(context, dict):
        return None
    authorizer = context.get("authorizer")
    if isinstance(authorizer, dict):
        # Trellis's authorizer sends the claims as a JSON string; Cognito and HTTP APIs a dict.
        claims = _claims(authorizer.get("claims")) or _claims(
            authorizer.get("jwt", {}).get("claims")
            if isinstance(authorizer.get("jwt"), dict)
            else None
        )
        subject = authorizer.get("principalId") or claims.get("sub")
        if isinstance(subject, str) and subject:
            return Principal("jwt", subject, claims)
    identity = context.get("identity")
    if isinstance(identity, dict):
        arn = identity.get("userArn")
        if isinstance(arn, str) and arn:
            return Principal("iam", arn, {"account_id": identity.get("accountId")})
        key_id = identity.get("apiKeyId")
        if isinstance(key_id, str) and key_id:
            return Principal("api_key", key_id)
    return None


def _from_headers(scope: Scope) -> Principal | None:
    headers = {k: v for k, v in scope.get("headers") or ()}
    kind = headers.get(b"x-trellis-auth", b"").decode("latin-1")
    subject = headers.get(b"x-trellis-principal", b"").decode("latin-1")
    if kind not in ("jwt", "iam", "api_key") or not subject:
        return None
    claims = _claims(headers.get(b"x-trellis-claims", b"").decode("utf-8", "replace"))
    return Principal(kind, subject, claims if kind == "jwt" else {})


def principal_from_scope(scope: Scope) -> Principal | None:
    """The verified caller of an ASGI request, or None (an ``auth = "none"`` route, a test)."""
    event = scope.get("aws.event")
    if isinstance(event, dict):
        return _from_event(event)
    # Headers count only when the origin secret proved they were set by the gateway.
    if scope.get(_VIA_GATEWAY):
        return _from_headers(scope)
    return None


# ``async def`` although they never await: FastAPI would run a plain ``def`` dependency
# in its thread pool (a thread hop per request for parsing two headers).
async def get_optional_principal(request: Request) -> Principal | None:
    """The request's verified caller, or None (a FastAPI dependency)."""
    return principal_from_scope(request.scope)


async def get_principal(request: Request) -> Principal:
    """The request's verified caller; 401 when there is none (a FastAPI dependency)."""
    principal = principal_from_scope(request.scope)
    if principal is None:
        raise Unauthenticated()
    return principal


#: ``def route(me: PrincipalDep)``: the verified caller (401 without one).
PrincipalDep = Annotated[Principal, Depends(get_principal)]
#: ``def route(me: OptionalPrincipalDep)``: the verified caller, or None.
OptionalPrincipalDep = Annotated[Principal | None, Depends(get_optional_principal)]


class GatewayOriginMiddleware:
    """Refuse (403) every request but ``/health`` that lacks the gateway's origin secret.

    ``fetch`` reads the secret (from Secrets Manager, by the service's own role);
    it runs in a worker thread on the first request, and again on a mismatch at
    most every 30 s, so a rotated secret is picked up without a restart. The
    comparison is constant-time.
    """

    def __init__(
        self,
        app: ASGIApp,
        fetch: Callable[[], str],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.fetch = fetch
        self.clock = clock
        self._secret: bytes | None = None
        self._fetched_at = float("-inf")
        self._lock: Any = None

    async def _current(self, *, refresh: bool) -> bytes:
        import anyio
        import anyio.to_thread

        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            stale = refresh and self.clock() - self._fetched_at >= _REFRESH_AFTER_S
            if self._secret is None or stale:
                value = await anyio.to_thread.run_sync(self.fetch)
                self._secret = value.encode()
                self._fetched_at = self.clock()
            return self._secret

    async def _matches(self, presented: bytes) -> bool:
        known = self._secret
        # The secret in hand answers nearly every request: no lock, no await.
        if known is not None and hmac.compare_digest(presented, known):
            return True
        if hmac.compare_digest(presented, await self._current(refresh=False)):
            return True
        return hmac.compare_digest(presented, await self._current(refresh=True))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == _OPEN_PATH:
            await self.app(scope, receive, send)
            return
        presented = next(
            (v for k, v in scope.get("headers") or () if k == _ORIGIN_HEADER_BYTES), b""
        )
        if not presented or not await self._matches(presented):
            _log.warning(
                "request.not_via_gateway", path=scope.get("path"), had_header=bool(presented)
            )
            await send_error(send, NotViaGateway(), current_request_id())
            return
        await self.app({**scope, _VIA_GATEWAY: True}, receive, send)
