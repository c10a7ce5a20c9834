"""``trellis dev``'s side of route auth: a development issuer, API keys and SigV4 callers.

What API Gateway does for a deployed stack, done locally with the same rules:

- ``jwt``: :class:`DevIssuer` signs tokens with its own RSA key (created once
  under ``.trellis/auth/``, so tokens survive restarts) and publishes the key
  set at ``/_trellis/jwks.json``; the gateway checks tokens with the same
  :class:`~trellis.authorizer.JwtVerifier` the deployed authorizer runs, with
  the manifest's audience and this issuer in place of the real one.
- ``api_key``: one key per ``api_key`` service (``.trellis/auth/api-keys.json``);
  as on API Gateway, any key of the stage's usage plans opens any ``api_key`` route.
- ``iam``: :class:`SigV4Verifier` recomputes the caller's SigV4 signature with
  the secret of the emulator identity it names and evaluates that identity's
  policy for ``execute-api:Invoke`` on the method's ARN.

``trellis dev`` writes what ``trellis token`` needs (issuer URL, audiences, keys)
to ``.trellis/auth/dev-<env>.json`` when it starts.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from trellis.authorizer import JwtVerifier, TokenError
from trellis.manifest import Manifest

#: Where ``trellis dev`` keeps its auth material, relative to the project root.
AUTH_DIR: Final = ".trellis/auth"
#: Gateway paths of the development issuer (no service route can start with ``_``).
ISSUER_PATH: Final = "/_trellis"
JWKS_PATH: Final = f"{ISSUER_PATH}/jwks.json"
DISCOVERY_PATH: Final = f"{ISSUER_PATH}/.well-known/openid-configuration"
#: Lifetime of a token from ``trellis token`` unless ``--ttl`` says otherwise.
DEFAULT_TTL_S: Final = 3600
DEFAULT_SUBJECT: Final = "dev-user"
#: The local API Gateway id in ARNs (``arn:aws:execute-api:<region>:<account>:local/<stage>/...``).
LOCAL_API_ID: Final = "local"
#: How far a SigV4 timestamp may be from now (AWS: 5 minutes).
SIGV4_MAX_SKEW_S: Final = 300

_KEY_FILE = "jwt-signing-key.pem"
_API_KEYS_FILE = "api-keys.json"


def auth_dir(root: Path) -> Path:
    return root / AUTH_DIR


def issuer_url(gateway_url: str) -> str:
    """The ``iss`` of development tokens for a gateway at ``gateway_url``."""
    return gateway_url.rstrip("/") + ISSUER_PATH


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


class DevIssuer:
    """The development JWT issuer: an RSA key of the project, its JWKS, and token minting."""

    def __init__(self, directory: Path) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        path = directory / _KEY_FILE
        if path.is_file():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError(f"{path}: not an RSA private key (delete it to get a new one)")
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            _write_private(
                path,
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ),
            )
        self._key = key
        self.public_key = key.public_key()
        numbers = self.public_key.public_numbers()
        self._jwk = {
            "kty": "RSA",
            "e": _b64(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
            "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        }
        # RFC 7638 thumbprint: the key id changes exactly when the key does.
        canonical = json.dumps(self._jwk, separators=(",", ":"), sort_keys=True).encode()
        self.kid = _b64(hashlib.sha256(canonical).digest())

    def jwks(self) -> dict[str, Any]:
        """The public key set, as ``/_trellis/jwks.json`` serves it."""
        return {"keys": [{**self._jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def discovery(self, issuer: str) -> dict[str, Any]:
        """A minimal OIDC discovery document (the deployed authorizer reads ``jwks_uri``)."""
        return {
            "issuer": issuer,
            "jwks_uri": issuer.removesuffix(ISSUER_PATH) + JWKS_PATH,
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def mint(
        self,
        *,
        issuer: str,
        audience: Sequence[str],
        subject: str = DEFAULT_SUBJECT,
        scopes: Iterable[str] = (),
        ttl_s: int = DEFAULT_TTL_S,
        claims: Mapping[str, Any] | None = None,
        now: float | None = None,
    ) -> str:
        """A signed token; a negative ``ttl_s`` gives an expired one (for tests)."""
        import jwt

        issued = int(time.time() if now is None else now)
        payload: dict[str, Any] = {
            "iss": issuer,
            "sub": subject,
            "aud": list(audience) if len(audience) != 1 else audience[0],
            "iat": issued,
            "nbf": min(issued, issued + ttl_s),
            "exp": issued + ttl_s,
            "jti": uuid.uuid4().hex,
        }
        scope = " ".join(scopes)
        if scope:
            payload["scope"] = scope
        payload.update(claims or {})
        return jwt.encode(payload, self._key, algorithm="RS256", headers={"kid": self.kid})

    def verifier(self, issuer: str, audience: Iterable[str]) -> JwtVerifier:
        """A verifier for this issuer's tokens, as the gateway uses it."""

        def keys(kid: str | None) -> Any:
            if kid != self.kid:
                raise TokenError("token signed by an unknown key")
            return self.public_key

        return JwtVerifier(issuer, audience, keys)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def api_keys(directory: Path, services: Iterable[str]) -> dict[str, str]:
    """The local API key of each service (created on first use, kept across restarts)."""
    path = directory / _API_KEYS_FILE
    try:
        known: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    wanted = list(services)
    changed = False
    for service in wanted:
        if not isinstance(known.get(service), str):
            known[service] = "trellis-dev-" + secrets.token_urlsafe(24)
            changed = True
    if changed:
        _write_private(path, json.dumps(known, indent=2, sort_keys=True).encode())
    return {s: known[s] for s in wanted}


@dataclass
class DevAuthState:
    """What ``trellis dev`` tells ``trellis token``: written at start-up, per environment."""

    gateway: str
    issuer: str
    #: Every audience of the manifest's jwt issuers: a default token opens every jwt route.
    audience: list[str]
    api_keys: dict[str, str] = field(default_factory=dict)
    #: The local caller of ``iam`` routes: ``{"access_key_id", "secret_access_key", "arn"}``.
    invoker: dict[str, str] | None = None

    @staticmethod
    def path(root: Path, env: str) -> Path:
        return auth_dir(root) / f"dev-{env}.json"

    def write(self, root: Path, env: str) -> None:
        _write_private(self.path(root, env), json.dumps(asdict(self), indent=2).encode())

    @classmethod
    def read(cls, root: Path, env: str) -> DevAuthState | None:
        try:
            data = json.loads(cls.path(root, env).read_text(encoding="utf-8"))
            return cls(**data)
        except (OSError, ValueError, TypeError):
            return None


# --- SigV4 (auth = "iam") ---------------------------------------------------------------


class AuthRefused(Exception):
    """The gateway refuses the request: ``status`` and a message safe for the caller."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class LocalIdentity:
    """An emulator IAM user the gateway can verify: its key, its ARN and its policies."""

    arn: str
    access_key_id: str
    secret_access_key: str
    policies: tuple[Mapping[str, Any], ...] = ()

    @property
    def user(self) -> str:
        return self.arn.rsplit("/", 1)[-1]


_CREDENTIAL_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/,\s]+)/"
    r"(?P<service>[^/,\s]+)/aws4_request,\s*SignedHeaders=(?P<signed>[a-z0-9;._-]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})\s*$"
)


def _pattern_matches(pattern: str, value: str, *, ignore_case: bool) -> bool:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(body, value, flags) is not None


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def policy_allows(policies: Iterable[Mapping[str, Any]], action: str, resource: str) -> bool:
    """IAM's answer for one action on one resource: an explicit Deny wins, else any Allow.

    Fails closed: a statement with a ``Condition`` (which this check cannot
    evaluate) never allows and, when it denies, always denies.
    """
    allowed = False
    for policy in policies:
        statements = policy.get("Statement", [])
        for st in [statements] if isinstance(statements, dict) else statements:
            actions = _as_list(st.get("Action"))
            resources = _as_list(st.get("Resource"))
            hit = any(_pattern_matches(a, action, ignore_case=True) for a in actions) and any(
                _pattern_matches(r, resource, ignore_case=False) for r in resources
            )
            if not hit:
                continue
            if st.get("Effect") == "Deny":
                return False
            if st.get("Effect") == "Allow" and "Condition" not in st:
                allowed = True
    return allowed


class SigV4Verifier:
    """Checks SigV4-signed requests (service ``execute-api``) as API Gateway's AWS_IAM does."""

    def __init__(
        self,
        identities: Iterable[LocalIdentity],
        *,
        region: str,
        account_id: str,
        stage: str,
        clock: Any = time.time,
    ) -> None:
        self.identities = {i.access_key_id: i for i in identities}
        self.region = region
        self.account_id = account_id
        self.stage = stage
        self.clock = clock

    def method_arn(self, method: str, path: str) -> str:
        return (
            f"arn:aws:execute-api:{self.region}:{self.account_id}:{LOCAL_API_ID}/"
            f"{self.stage}/{method.upper()}{path}"
        )

    def verify(
        self,
        *,
        method: str,
        host: str,
        path: str,
        query_string: str,
        headers: Sequence[tuple[str, str]],
        body: bytes,
    ) -> LocalIdentity:
        """The caller; :class:`AuthRefused` (403) when unsigned, badly signed or not allowed."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        lowered: dict[str, str] = {}
        for key, value in headers:
            name = key.lower()
            lowered[name] = f"{lowered[name]},{value}" if name in lowered else value
        authorization = lowered.get("authorization")
        if not authorization:
            raise AuthRefused(403, "forbidden", "Missing Authentication Token")
        match = _CREDENTIAL_RE.match(authorization)
        if match is None:
            raise AuthRefused(403, "forbidden", "the Authorization header is not AWS SigV4")
        if match["service"] != "execute-api" or match["region"] != self.region:
            raise AuthRefused(
                403,
                "forbidden",
                f"credential scope must be {self.region}/execute-api, not "
                f"{match['region']}/{match['service']}",
            )
        amz_date = lowered.get("x-amz-date", "")
        try:
            signed_at = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            raise AuthRefused(403, "forbidden", "missing or malformed X-Amz-Date") from None
        if abs(signed_at.timestamp() - self.clock()) > SIGV4_MAX_SKEW_S:
            raise AuthRefused(403, "forbidden", "Signature expired")
        if amz_date[:8] != match["date"]:
            raise AuthRefused(403, "forbidden", "credential date and X-Amz-Date differ")
        identity = self.identities.get(match["key"])
        if identity is None:
            raise AuthRefused(
                403, "forbidden", "The security token included in the request is invalid."
            )
        signed = match["signed"].split(";")
        if "host" not in signed:
            raise AuthRefused(403, "forbidden", "the signature must cover the Host header")
        missing = [h for h in signed if h not in lowered and h != "host"]
        if missing:
            raise AuthRefused(403, "forbidden", f"signed header {missing[0]} is missing")
        signed_values = {h: lowered.get(h, host) for h in signed}

        class _Recompute(SigV4Auth):
            # Exactly the headers the caller signed, whatever botocore would choose.
            def headers_to_sign(self, request: Any) -> Any:
                from botocore.awsrequest import HTTPHeaders

                out = HTTPHeaders()
                for name in signed:
                    out[name] = signed_values[name]
                return out

        url = f"http://{host}{path}" + (f"?{query_string}" if query_string else "")
        request = AWSRequest(method=method, url=url, data=body, headers=signed_values)
        request.context["timestamp"] = amz_date
        auth = _Recompute(
            Credentials(identity.access_key_id, identity.secret_access_key),
            "execute-api",
            self.region,
        )
        canonical = auth.canonical_request(request)
        expected = auth.signature(auth.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected, match["signature"]):
            raise AuthRefused(
                403,
                "forbidden",
                "The request signature we calculated does not match the signature you provided.",
            )
        arn = self.method_arn(method, path)
        if not policy_allows(identity.policies, "execute-api:Invoke", arn):
            raise AuthRefused(
                403,
                "forbidden",
                f"User: {identity.arn} is not authorized to perform: execute-api:Invoke on "
                f"resource: {arn}",
            )
        return identity


def invoker_policy(region: str, account_id: str, stage: str) -> dict[str, Any]:
    """What the local invoker may call: every method of the local stage (SigV4 routes)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InvokeLocalGateway",
                "Effect": "Allow",
                "Action": "execute-api:Invoke",
                "Resource": f"arn:aws:execute-api:{region}:{account_id}:{LOCAL_API_ID}/{stage}/*",
            }
        ],
    }


def manifest_audience(manifest: Manifest, env: str) -> list[str]:
    """Every audience of the manifest's jwt issuers in ``env``, in manifest order."""
    audience: list[str] = []
    for name in manifest.services:
        config = manifest.jwt_config(name)
        if "jwt" in manifest.auth_modes(name) and config is not None:
            wanted = config.for_environment(env).audience
            audience.extend(a for a in wanted if a not in audience)
    return audience


def mint_dev_token(
    root: Path,
    manifest: Manifest,
    env: str,
    *,
    subject: str = DEFAULT_SUBJECT,
    scopes: Iterable[str] = (),
    ttl_s: int = DEFAULT_TTL_S,
    audience: Sequence[str] | None = None,
    gateway_url: str | None = None,
    claims: Mapping[str, Any] | None = None,
) -> str:
    """A token ``trellis dev``'s gateway accepts on every jwt route of ``manifest``.

    The issuer is the gateway's: ``gateway_url`` if given, else the one the last
    ``trellis dev`` of ``env`` recorded, else ``http://127.0.0.1:8000``.
    """
    if gateway_url is None:
        state = DevAuthState.read(root, env)
        gateway_url = state.gateway if state is not None else "http://127.0.0.1:8000"
    aud = list(audience) if audience else manifest_audience(manifest, env)
    if not aud:
        raise ValueError('no service uses auth = "jwt": there is no audience to give the token')
    return DevIssuer(auth_dir(root)).mint(
        issuer=issuer_url(gateway_url),
        audience=aud,
        subject=subject,
        scopes=scopes,
        ttl_s=ttl_s,
        claims=claims,
    )
