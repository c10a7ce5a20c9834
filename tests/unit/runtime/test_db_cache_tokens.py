"""IAM auth tokens for RDS and ElastiCache: signed as AWS documents, cached, refreshed.

The signatures are checked against an independent SigV4 computation (the
algorithm of AWS's General Reference), with fixed credentials and a fixed clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qsl, quote

import boto3.session
import botocore.auth
import pytest
from botocore.credentials import Credentials

from trellis.runtime.cache._iam import IamCredentialProvider, sign_elasticache_token
from trellis.runtime.cache._url import parse_url as parse_cache_url
from trellis.runtime.database._pool import connect_kwargs
from trellis.runtime.database._tokens import REUSE_S, RdsTokenSource, sign_rds_token
from trellis.runtime.database._url import parse_url

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "session/token+with=odd&chars"
NOW = dt.datetime(2026, 3, 4, 5, 6, 7)


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: NOW)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def expected_signature(token: str, *, host: str, service: str, region: str) -> str:
    """SigV4 for a presigned GET of ``token`` (``host/?query``), computed from first principles."""
    _, _, query = token.partition("/?")
    params = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "X-Amz-Signature"]
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(params)
    )
    canonical_request = "\n".join(
        ["GET", "/", canonical_query, f"host:{host}", "", "host", hashlib.sha256(b"").hexdigest()]
    )
    amz_date = dict(params)["X-Amz-Date"]
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            amz_date,
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = _hmac(f"AWS4{SECRET_KEY}".encode(), amz_date[:8])
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def _query(token: str) -> dict[str, str]:
    return dict(parse_qsl(token.partition("/?")[2]))


def test_rds_token_is_a_presigned_connect_for_the_host_port_and_user(fixed_clock: None) -> None:
    rds = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=SESSION_TOKEN,
    ).client("rds", region_name="eu-west-1")

    token = sign_rds_token(
        "db.cluster-x.eu-west-1.rds.amazonaws.com", 5432, "api", "eu-west-1", client=rds
    )

    assert token.startswith(
        "db.cluster-x.eu-west-1.rds.amazonaws.com:5432/?Action=connect&DBUser=api&"
    )
    assert "://" not in token
    query = _query(token)
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Credential"] == f"{ACCESS_KEY}/20260304/eu-west-1/rds-db/aws4_request"
    assert query["X-Amz-Date"] == "20260304T050607Z"
    assert query["X-Amz-Expires"] == "900"
    assert query["X-Amz-SignedHeaders"] == "host"
    assert query["X-Amz-Security-Token"] == SESSION_TOKEN
    assert query["X-Amz-Signature"] == expected_signature(
        token,
        host="db.cluster-x.eu-west-1.rds.amazonaws.com:5432",
        service="rds-db",
        region="eu-west-1",
    )


def test_elasticache_token_is_a_presigned_connect_for_the_cache_and_user(fixed_clock: None) -> None:
    credentials = Credentials(ACCESS_KEY, SECRET_KEY, SESSION_TOKEN)

    token = sign_elasticache_token("acme-dev-sessions", "acme-dev-api", "us-east-1", credentials)

    assert token.startswith(
        "acme-dev-sessions/?Action=connect&User=acme-dev-api&ResourceType=ServerlessCache&"
    )
    query = _query(token)
    assert query["X-Amz-Credential"] == f"{ACCESS_KEY}/20260304/us-east-1/elasticache/aws4_request"
    assert query["X-Amz-Expires"] == "900"
    assert query["X-Amz-Security-Token"] == SESSION_TOKEN
    assert query["X-Amz-Signature"] == expected_signature(
        token, host="acme-dev-sessions", service="elasticache", region="us-east-1"
    )


def test_a_provisioned_cache_token_has_no_serverless_resource_type(fixed_clock: None) -> None:
    token = sign_elasticache_token(
        "acme-rg",
        "acme-dev-api",
        "us-east-1",
        Credentials(ACCESS_KEY, SECRET_KEY),
        serverless=False,
    )
    assert "ResourceType" not in token
    assert _query(token)["X-Amz-Signature"] == expected_signature(
        token, host="acme-rg", service="elasticache", region="us-east-1"
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rds_tokens_are_reused_for_ten_minutes_then_signed_again() -> None:
    clock = Clock()
    signed: list[float] = []

    def signer(host: str, port: int, user: str, region: str) -> str:
        signed.append(clock.now)
        return f"{host}:{port}/?Action=connect&DBUser={user}&n={len(signed)}"

    source = RdsTokenSource("h", 5432, "api", region="eu-west-1", signer=signer, clock=clock)
    first = source.token()
    clock.now += REUSE_S - 1
    assert source.token() == first
    clock.now += 1
    second = source.token()

    assert second != first
    assert source.signed == 2
    # Never handed out after 900 s: the reuse window ends well before expiry.
    assert REUSE_S < 900
    source.invalidate()
    assert source.token() != second


def test_an_iam_url_connects_with_a_fresh_token_as_password_over_tls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from trellis.runtime.database import _pool

    tokens = iter(["token-1", "token-2"])

    class FakeSource:
        def token(self) -> str:
            return next(tokens)

    monkeypatch.setattr(_pool, "token_source", lambda url: FakeSource())
    url = parse_url("postgresql://api@db.example.com:5432/audit?sslmode=disable")

    kwargs = connect_kwargs(url)
    first, second = kwargs(), kwargs()

    assert first["password"] == "token-1" and second["password"] == "token-2"
    # A URL cannot turn TLS off for an IAM login: the token would travel in clear.
    assert first["sslmode"] == "require"
    assert (
        first["user"] == "api" and first["host"] == "db.example.com" and first["dbname"] == "audit"
    )


def test_a_local_url_keeps_its_password_and_signs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from trellis.runtime.database import _pool

    def no_tokens(url: Any) -> Any:
        raise AssertionError("a URL with a password needs no token")

    monkeypatch.setattr(_pool, "token_source", no_tokens)
    kwargs = connect_kwargs(parse_url("postgresql://api:s3cret@127.0.0.1:6543/audit"))()

    assert kwargs["password"] == "s3cret" and kwargs["port"] == 6543
    assert "sslmode" not in kwargs


def test_elasticache_provider_reuses_its_token_then_signs_a_new_one(fixed_clock: None) -> None:
    clock = Clock()
    provider = IamCredentialProvider(
        "acme-dev-sessions",
        "acme-dev-api",
        region="us-east-1",
        credentials=lambda: Credentials(ACCESS_KEY, SECRET_KEY),
        clock=clock,
    )
    user, token = provider.get_credentials()
    clock.now += 599
    assert provider.get_credentials() == (user, token)
    clock.now += 1
    provider.get_credentials()

    assert user == "acme-dev-api"
    assert provider.signed == 2


@pytest.mark.parametrize(
    ("url", "cache_name", "iam"),
    [
        (
            "rediss://acme-dev-api@acme-dev-sessions-abc123.serverless.use1.cache.amazonaws.com:6379",
            "acme-dev-sessions",
            True,
        ),
        (
            "rediss://acme-dev-api@host.example.com:6379?cache_name=acme-dev-sessions",
            "acme-dev-sessions",
            True,
        ),
        ("redis://acme-dev-api:pw@127.0.0.1:7000", None, False),
    ],
)
def test_cache_urls_name_the_cache_an_iam_token_is_for(
    url: str, cache_name: str | None, iam: bool
) -> None:
    parsed = parse_cache_url(url)
    assert parsed.cache_name == cache_name
    assert parsed.iam is iam


@pytest.mark.parametrize(
    "bad",
    [
        "mysql://a@b/c",
        "postgresql://host/db",
        "postgresql://api@host/",
        "postgresql://api@host:x/db",
    ],
)
def test_a_malformed_database_url_is_refused_without_echoing_it(bad: str) -> None:
    with pytest.raises(ValueError, match="a database URL") as caught:
        parse_url(bad)
    assert bad not in str(caught.value)
