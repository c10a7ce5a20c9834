"""The deployed JWT authorizer: an API Gateway TOKEN authorizer in one Lambda function.

Configured by env vars (set by the rendered Terraform from the manifest's jwt issuer):

- ``TRELLIS_JWT_ISSUER``: the ``iss`` every token must carry;
- ``TRELLIS_JWT_AUDIENCE``: accepted audiences, comma-separated;
- ``TRELLIS_JWT_JWKS_URL``: the issuer's key set (default: ``jwks_uri`` of its OIDC
  discovery document, ``<issuer>/.well-known/openid-configuration``).

A valid token gets an Allow on the whole stage (API Gateway caches the answer
per token, for every method that uses this authorizer) and the claims in the
context; anything else raises ``Exception("Unauthorized")``, which API Gateway
answers with 401.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.request
from typing import Any

import jwt

from trellis.authorizer._verify import JwtVerifier, TokenError, authorizer_context, bearer_token

_FETCH_TIMEOUT_S = 3.0
_lock = threading.Lock()
_verifier: JwtVerifier | None = None


def _discover_jwks_url(issuer: str) -> str:
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    if not url.startswith("https://"):
        raise RuntimeError(f"the issuer is not an https URL: {issuer}")
    with urllib.request.urlopen(url, timeout=_FETCH_TIMEOUT_S) as resp:  # noqa: S310 - https only, checked above
        document = json.load(resp)
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not jwks_uri.startswith("https://"):
        raise RuntimeError(f"{url} has no https jwks_uri")
    return jwks_uri


def _build() -> JwtVerifier:
    issuer = os.environ["TRELLIS_JWT_ISSUER"]
    audience = [a for a in os.environ["TRELLIS_JWT_AUDIENCE"].split(",") if a]
    jwks_url = os.environ.get("TRELLIS_JWT_JWKS_URL") or _discover_jwks_url(issuer)
    # Keys are cached for the sandbox's life; an unknown kid refetches (key rotation).
    client = jwt.PyJWKClient(
        jwks_url, cache_keys=True, lifespan=3600, timeout=int(_FETCH_TIMEOUT_S)
    )

    def keys(kid: str | None) -> Any:
        if kid is None:
            raise TokenError("token has no key id")
        return client.get_signing_key(kid).key

    return JwtVerifier(issuer, audience, keys)


def verifier() -> JwtVerifier:
    """The verifier of this sandbox, built on the first call."""
    global _verifier
    with _lock:
        if _verifier is None:
            _verifier = _build()
        return _verifier


def _stage_arn(method_arn: str) -> str:
    # arn:aws:execute-api:region:account:api-id/stage/METHOD/path → .../api-id/stage/*
    head, _, path = method_arn.partition("/")
    stage = path.split("/", 1)[0]
    return f"{head}/{stage}/*"


def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """API Gateway TOKEN authorizer: Allow with the claims, or 401 via ``Unauthorized``."""
    try:
        token = bearer_token(str(event.get("authorizationToken") or ""))
        claims = verifier().verify(token)
    except TokenError as exc:
        print(
            json.dumps({"event": "authorizer.token_refused", "reason": exc.message})
        )  # CloudWatch Logs
        raise Exception("Unauthorized") from None  # the exact text API Gateway expects
    return {
        "principalId": str(claims["sub"]),
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": _stage_arn(str(event.get("methodArn", ""))),
                }
            ],
        },
        "context": authorizer_context(claims),
    }
