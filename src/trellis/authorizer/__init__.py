"""Bearer-token (JWT) verification: ``trellis dev``'s gateway and the deployed authorizer.

API Gateway REST APIs have no JWT authorizer of their own, so a ``jwt`` route
is guarded by a small Lambda authorizer running :func:`handler`. ``trellis
dev``'s gateway runs the same :class:`JwtVerifier`, so a token accepted
locally is accepted by the deployed stack for the same reasons (issuer,
audience, expiry, signature), and refused with the same answer.

Not part of the runtime: services never verify tokens themselves (the
gateway did) and their Lambda packages do not carry PyJWT.
"""

from __future__ import annotations

from trellis.authorizer._verify import (
    ALGORITHMS,
    JwtVerifier,
    TokenError,
    authorizer_context,
    bearer_token,
)

__all__ = [
    "ALGORITHMS",
    "JwtVerifier",
    "TokenError",
    "authorizer_context",
    "bearer_token",
    "handler",
]


def handler(event: dict[str, object], context: object) -> dict[str, object]:
    """The Lambda TOKEN authorizer (imported lazily: the gateway never needs urllib's fetching)."""
    from trellis.authorizer._handler import handler as _handler

    return _handler(event, context)
