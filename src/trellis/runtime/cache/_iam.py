"""ElastiCache IAM auth tokens: the password of every new connection in AWS.

A token is a SigV4-presigned request ``GET http://<cache name>/?Action=connect&User=<user>``
(plus ``ResourceType=ServerlessCache`` for a serverless cache), service
``elasticache``, valid 900 s, without its ``http://``. ElastiCache checks it
when a connection authenticates (``AUTH``/``HELLO``), so one token serves every
connection opened within :data:`REUSE_S`; ElastiCache closes IAM connections
after 12 hours, and the client's next connection signs a current token.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlencode

__all__ = ["REUSE_S", "TOKEN_LIFETIME_S", "IamCredentialProvider", "sign_elasticache_token"]

TOKEN_LIFETIME_S: Final = 900
REUSE_S: Final = 600


def sign_elasticache_token(
    cache_name: str, user: str, region: str, credentials: Any, *, serverless: bool = True
) -> str:
    """A fresh token for ``user`` on cache ``cache_name``, signed with ``credentials``.

    ``credentials`` is a botocore credentials object (``access_key``, ``secret_key``, ``token``).
    """
    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest

    query: dict[str, str] = {"Action": "connect", "User": user}
    if serverless:
        query["ResourceType"] = "ServerlessCache"
    request = AWSRequest(method="GET", url=f"http://{cache_name}/?{urlencode(query)}")
    SigV4QueryAuth(credentials, "elasticache", region, expires=TOKEN_LIFETIME_S).add_auth(request)
    return str(request.url).removeprefix("http://")


def _role_credentials() -> Any:
    import boto3.session

    credentials = boto3.session.Session().get_credentials()
    if credentials is None:
        raise RuntimeError("no AWS credentials to sign an ElastiCache IAM token with")
    return credentials.get_frozen_credentials()


class IamCredentialProvider:
    """A valkey-py credential provider: ``(user, token)``, a new token after :data:`REUSE_S`.

    valkey-py asks for credentials on every new connection; this hands out the
    cached token while it is young, so reconnecting does not sign every time.
    """

    def __init__(
        self,
        cache_name: str,
        user: str,
        *,
        region: str | None = None,
        serverless: bool = True,
        credentials: Callable[[], Any] = _role_credentials,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cache_name, self.user, self.serverless = cache_name, user, serverless
        self.region = (
            region
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
        )
        self._credentials = credentials
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._signed_at = 0.0
        #: How many tokens were signed.
        self.signed = 0

    def get_credentials(self) -> tuple[str, str]:
        """``(user, token)`` for ``AUTH``: the current token, signed again once older than REUSE_S."""
        with self._lock:
            now = self._clock()
            if self._token is None or now - self._signed_at >= REUSE_S:
                self._token = sign_elasticache_token(
                    self.cache_name,
                    self.user,
                    self.region,
                    self._credentials(),
                    serverless=self.serverless,
                )
                self._signed_at = now
                self.signed += 1
            return self.user, self._token
