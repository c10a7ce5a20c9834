"""Verify a bearer token against one issuer and audience, with PyJWT."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import jwt

#: Signature algorithms accepted: asymmetric only (an HMAC key would be a shared secret,
#: and ``none`` is no signature at all).
ALGORITHMS: Final = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")

#: ``kid`` (or None when the token has none) → the key that verifies it.
KeyResolver = Callable[[str | None], Any]


class TokenError(Exception):
    """The token is missing or not acceptable; ``message`` is safe to show to the caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header; :class:`TokenError` if none."""
    if not authorization or not authorization.strip():
        raise TokenError("missing bearer token (Authorization: Bearer <token>)")
    scheme, _, token = authorization.strip().partition(" ")
    # The deployed authorizer's identity validation expression accepts these two spellings.
    if scheme not in ("Bearer", "bearer") or not token.strip():
        raise TokenError("the Authorization header is not a bearer token")
    return token.strip()


class JwtVerifier:
    """Checks a token's signature, ``iss``, ``aud`` (or ``client_id``), ``exp`` and ``nbf``.

    ``keys`` finds the verification key by the token's ``kid``: a JWKS fetched
    from the issuer (deployed) or the local issuer's own key (``trellis dev``).
    Cognito access tokens carry no ``aud`` but the app client in ``client_id``:
    either claim may hold one of ``audience``.
    """

    def __init__(
        self,
        issuer: str,
        audience: Iterable[str],
        keys: KeyResolver,
        *,
        leeway_s: float = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.audience = frozenset(audience)
        self.keys = keys
        self.leeway_s = leeway_s
        self.clock = clock

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims; :class:`TokenError` with a caller-safe message otherwise."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenError("malformed token") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise TokenError(f"token algorithm {str(algorithm)[:16]!r} is not accepted")
        kid = header.get("kid")
        try:
            key = self.keys(kid if isinstance(kid, str) else None)
        except TokenError:
            raise
        except Exception:  # noqa: BLE001 - a key we cannot find means the token is not ours
            raise TokenError("token signed by an unknown key") from None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                # Audience is checked below (Cognito access tokens use client_id).
                options={"verify_aud": False, "require": ["exp", "iss", "sub"]},
                issuer=self.issuer,
                leeway=self.leeway_s,
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("token expired") from None
        except jwt.ImmatureSignatureError:
            raise TokenError("token not valid yet") from None
        except jwt.InvalidIssuerError:
            raise TokenError("token from another issuer") from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenError(f"token has no {exc.claim!r} claim") from None
        except jwt.InvalidSignatureError:
            raise TokenError("token signature does not verify") from None
        except jwt.PyJWTError:
            raise TokenError("invalid token") from None
        if not self._audience_matches(claims):
            raise TokenError("token for another audience")
        # PyJWT checks exp against the wall clock; an injected clock (tests) is checked too.
        if float(claims["exp"]) + self.leeway_s < self.clock():
            raise TokenError("token expired")
        return claims

    def _audience_matches(self, claims: Mapping[str, Any]) -> bool:
        aud = claims.get("aud")
        values = [aud] if isinstance(aud, str) else list(aud) if isinstance(aud, list) else []
        if aud is None and isinstance(claims.get("client_id"), str):
            values = [claims["client_id"]]
        return any(isinstance(v, str) and v in self.audience for v in values)


def authorizer_context(claims: Mapping[str, Any]) -> dict[str, str]:
    """What API Gateway puts in ``requestContext.authorizer`` (beside ``principalId``).

    A Lambda authorizer's context holds flat strings only, so the claims travel
    as one JSON string; ``trellis.runtime``'s principal parses them back.
    """
    scope = claims.get("scope")
    if scope is None and isinstance(claims.get("scp"), list):
        scope = " ".join(str(s) for s in claims["scp"])
    return {
        "sub": str(claims.get("sub", "")),
        "scope": str(scope or ""),
        "claims": json.dumps(claims, separators=(",", ":"), sort_keys=True, default=str),
    }
