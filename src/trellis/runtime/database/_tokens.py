"""RDS IAM auth tokens: the password of every new connection in AWS.

A token is a SigV4-presigned ``connect`` request for one host, port and user,
valid 15 minutes. RDS checks it only when a connection logs in, so an open
connection outlives its token; a new connection needs an unexpired one. One
token is reused for :data:`REUSE_S` (well inside its lifetime, so a connection
attempt never carries a token about to expire), then a new one is signed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any, Final

__all__ = ["REUSE_S", "TOKEN_LIFETIME_S", "RdsTokenSource", "sign_rds_token"]

#: RDS IAM tokens expire 15 minutes after signing.
TOKEN_LIFETIME_S: Final = 900
#: How long one token is handed to new connections.
REUSE_S: Final = 600

#: Signs a token: ``(host, port, user, region) -> token``.
Signer = Callable[[str, int, str, str], str]

_rds_client: Any = None
_rds_lock = threading.Lock()


def _default_rds_client(region: str) -> Any:
    # The client only signs locally (no network call), with the role's credentials
    # from the environment: the runtime's AwsClients needs full service settings.
    global _rds_client
    with _rds_lock:
        if _rds_client is None or _rds_client.meta.region_name != region:
            import boto3.session

            _rds_client = boto3.session.Session().client("rds", region_name=region)
        return _rds_client


def sign_rds_token(host: str, port: int, user: str, region: str, *, client: Any = None) -> str:
    """A fresh RDS IAM auth token (``host:port/?Action=connect&DBUser=user&X-Amz-...``)."""
    rds = client if client is not None else _default_rds_client(region)
    token: str = rds.generate_db_auth_token(
        DBHostname=host, Port=port, DBUsername=user, Region=region
    )
    return token


class RdsTokenSource:
    """The current token for one database user, signed again after :data:`REUSE_S`."""

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        *,
        region: str | None = None,
        signer: Signer | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.host, self.port, self.user = host, port, user
        self.region = (
            region
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
        )
        self._signer: Signer = signer or (lambda h, p, u, r: sign_rds_token(h, p, u, r))
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._signed_at = 0.0
        #: How many tokens were signed (tests and logs).
        self.signed = 0

    def token(self) -> str:
        """An unexpired token: the cached one while younger than :data:`REUSE_S`."""
        with self._lock:
            now = self._clock()
            if self._token is None or now - self._signed_at >= REUSE_S:
                self._token = self._signer(self.host, self.port, self.user, self.region)
                self._signed_at = now
                self.signed += 1
            return self._token

    def invalidate(self) -> None:
        """Forget the cached token (a login was refused): the next connection signs anew."""
        with self._lock:
            self._token = None
