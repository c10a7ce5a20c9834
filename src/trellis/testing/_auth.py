"""Calling a `trellis dev` stack as its routes' auth requires: tokens, API keys, SigV4."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from pathlib import Path

import httpx

from trellis.manifest import load_manifest


def dev_token(
    manifest: str | Path,
    *,
    gateway_url: str | None = None,
    env: str | None = None,
    sub: str = "dev-user",
    scopes: Iterable[str] = (),
    ttl_s: int = 3600,
    audience: Sequence[str] | None = None,
) -> str:
    """A bearer token the ``trellis dev`` gateway of ``manifest`` accepts (``trellis token``).

    ``gateway_url`` is the gateway the token is for (its issuer); by default, the
    one the last ``trellis dev`` of the environment recorded. A negative
    ``ttl_s`` gives an expired token.
    """
    from trellis.local.auth import mint_dev_token

    path = Path(manifest).resolve()
    parsed = load_manifest(path)
    return mint_dev_token(
        path.parent,
        parsed,
        env or parsed.project.environments[0],
        subject=sub,
        scopes=scopes,
        ttl_s=ttl_s,
        audience=audience,
        gateway_url=gateway_url,
    )


class SigV4(httpx.Auth):
    """httpx auth signing each request with AWS SigV4 for ``execute-api`` (``iam`` routes)::

    httpx.post(url, auth=SigV4(key_id, secret, "us-east-1"))
    """

    requires_request_body = True

    def __init__(self, access_key_id: str, secret_access_key: str, region: str) -> None:
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.region = region

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        signed = AWSRequest(
            method=request.method,
            url=str(request.url),
            data=request.content,
            headers={"host": request.url.netloc.decode()},
        )
        SigV4Auth(
            Credentials(self.access_key_id, self.secret_access_key), "execute-api", self.region
        ).add_auth(signed)
        for name, value in signed.headers.items():
            request.headers[name] = value
        yield request
