"""The emulator's short SigV4 check computes exactly what moto's botocore-based one does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.iam.access_control import IAMRequest, IAMRequestBase, S3IAMRequest
from werkzeug.datastructures import EnvironHeaders

from trellis.local import _signature_check

SECRET = "the-secret"


class _Key:
    def create_credentials(self) -> Credentials:
        return Credentials("AKIDEXAMPLE", SECRET)


def _request(
    *,
    method: str = "POST",
    path: str = "/",
    body: bytes = b"",
    data: Any = None,
    headers: dict[str, str],
    region: str = "us-east-1",
    service: str = "dynamodb",
    kind: type = IAMRequest,
) -> Any:
    """moto's IAMRequest as the emulator builds it, headers as werkzeug presents them."""
    environ: dict[str, Any] = {}
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    request = object.__new__(kind)
    request._method, request._path, request._body = method, path, body
    request._data = {} if data is None else data
    request._headers = EnvironHeaders(environ)
    request._region, request._service, request._access_key = region, service, _Key()
    return request


BODY = json.dumps({"TableName": "t", "Key": {"pk": {"S": "a"}}}).encode()


def _signed_by_botocore(headers: dict[str, str]) -> dict[str, str]:
    """The headers an SDK sends for BODY: botocore signs host, taken from the URL."""
    aws = AWSRequest(method="POST", url="http://127.0.0.1:4566/", data=BODY, headers=headers)
    SigV4Auth(Credentials("AKIDEXAMPLE", SECRET), "dynamodb", "us-east-1").add_auth(aws)
    return {**dict(aws.headers), "Host": "127.0.0.1:4566"}


def cases() -> list[tuple[str, Any]]:
    with_host = _signed_by_botocore(
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.GetItem"}
    )
    out: list[tuple[str, Any]] = [
        ("as signed", _request(body=BODY, headers=with_host)),
        (
            "as signed, no host listed",
            _request(
                body=BODY,
                headers={
                    **with_host,
                    "Authorization": with_host["Authorization"].replace(";host;", ";"),
                },
            ),
        ),
        ("body changed", _request(body=BODY + b" ", headers=with_host)),
        ("method changed", _request(method="PUT", body=BODY, headers=with_host)),
        ("region changed", _request(body=BODY, headers=with_host, region="eu-west-1")),
        ("service changed", _request(body=BODY, headers=with_host, service="sqs")),
        (
            "a signed header changed",
            _request(body=BODY, headers={**with_host, "X-Amz-Target": "DynamoDB_20120810.PutItem"}),
        ),
        ("an unsigned header added", _request(body=BODY, headers={**with_host, "X-Extra": "1"})),
        (
            "spaces in a signed value",
            _request(
                body=BODY,
                headers={**with_host, "X-Amz-Target": "  DynamoDB_20120810.GetItem   x  "},
            ),
        ),
        ("empty body", _request(body=b"", headers=with_host)),
        (
            "empty body, form data",
            _request(body=b"", data={"Action": ["ListQueues"]}, headers=with_host),
        ),
        ("a path", _request(path="/123456789012/q", body=BODY, headers=with_host)),
        ("a query string", _request(path="/?Action=ListQueues", body=b"", headers=with_host)),
        ("GET", _request(method="GET", body=b"", headers=with_host)),
    ]
    sha_headers = _signed_by_botocore(
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
    )
    out.append(("a signed content hash", _request(body=BODY, headers=sha_headers)))
    out.append(("a signed content hash, body changed", _request(body=b"{}", headers=sha_headers)))
    listed_missing = {
        **with_host,
        "Authorization": with_host["Authorization"].replace(
            "SignedHeaders=", "SignedHeaders=x-missing;"
        ),
    }
    out.append(("a listed header missing", _request(body=BODY, headers=listed_missing)))
    upper = {
        **with_host,
        "Authorization": with_host["Authorization"].replace("x-amz-date", "X-Amz-Date"),
    }
    out.append(("a listed name in capitals", _request(body=BODY, headers=upper)))
    blacklisted = {
        **with_host,
        "Expect": "100-continue",
        "Authorization": with_host["Authorization"].replace(
            "SignedHeaders=", "SignedHeaders=expect;"
        ),
    }
    out.append(("a blacklisted header listed", _request(body=BODY, headers=blacklisted)))
    return out


def test_the_short_check_takes_the_usual_calls_and_tells_forgeries_apart() -> None:
    by_name = dict(cases())
    signature = by_name["as signed"]._headers["Authorization"].rpartition("Signature=")[2]
    assert _signature_check.signature_of(by_name["as signed"]) == signature
    for name in (
        "body changed",
        "method changed",
        "region changed",
        "service changed",
        "a signed header changed",
        "a signed content hash, body changed",
        "empty body",
    ):
        computed = _signature_check.signature_of(by_name[name])
        assert computed is not None, name
        assert computed != signature, name
    # Paths, query strings and forms are moto's to canonicalise.
    for name in ("a path", "a query string", "empty body, form data", "as signed, no host listed"):
        assert _signature_check.signature_of(by_name[name]) is None, name
    # Wherever both apply, they agree: across the whole battery.
    agreed = [
        name for name, request in cases() if _signature_check.signature_of(request) is not None
    ]
    assert len(agreed) >= 10


def _s3_signed(method: str, path: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
    """What an SDK sends to the emulator's S3: S3's signer over the path and query as given."""
    aws = AWSRequest(method=method, url=f"http://127.0.0.1:4566{path}", data=body, headers=headers)
    S3SigV4Auth(Credentials("AKIDEXAMPLE", SECRET), "s3", "us-east-1").add_auth(aws)
    return {**dict(aws.headers), "Host": "127.0.0.1:4566"}


def _s3(method: str, path: str, body: bytes, headers: dict[str, str]) -> Any:
    return _request(
        method=method, path=path, body=body, headers=headers, service="s3", kind=S3IAMRequest
    )


def s3_cases() -> list[tuple[str, Any]]:
    get = _s3_signed("GET", "/media/a/b.txt", b"", {})
    put = _s3_signed("PUT", "/media/k", b"hello", {"Content-Type": "text/plain"})
    listing = "/media?list-type=2&prefix=a%2Fb&max-keys=10"
    listed = _s3_signed("GET", listing, b"", {})
    quoted = "/media/a%20b/%E2%9C%93%2Bc"
    odd = _s3_signed("GET", quoted, b"", {})
    unsigned = _s3_signed("PUT", "/media/u", b"data", {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    no_hash = {
        **get,
        "Authorization": get["Authorization"].replace(";x-amz-content-sha256", ""),
    }
    return [
        ("get", _s3("GET", "/media/a/b.txt", b"", get)),
        ("get, another key", _s3("GET", "/media/a/c.txt", b"", get)),
        ("get, a dot segment", _s3("GET", "/media/a/../b.txt", b"", get)),
        ("put", _s3("PUT", "/media/k", b"hello", put)),
        ("put, body changed", _s3("PUT", "/media/k", b"hellO", put)),
        ("put, method changed", _s3("POST", "/media/k", b"hello", put)),
        ("list", _s3("GET", listing, b"", listed)),
        (
            "list, query reordered",
            _s3("GET", "/media?prefix=a%2Fb&max-keys=10&list-type=2", b"", listed),
        ),
        ("list, query changed", _s3("GET", "/media?list-type=2&prefix=a&max-keys=10", b"", listed)),
        ("quoted key", _s3("GET", quoted, b"", odd)),
        ("unsigned payload", _s3("PUT", "/media/u", b"other", unsigned)),
        (
            "region changed",
            _request(
                method="GET",
                path="/media/a/b.txt",
                headers=get,
                service="s3",
                region="eu-west-1",
                kind=S3IAMRequest,
            ),
        ),
        ("content hash not listed", _s3("GET", "/media/a/b.txt", b"", no_hash)),
        ("a host in the path", _s3("GET", "//evil/media/a/b.txt", b"", get)),
        ("a fragment", _s3("GET", "/media/a/b.txt#x", b"", get)),
    ]


def both_batteries() -> list[tuple[str, Any, Any]]:
    """Each request with the short check its class takes: the other APIs', then S3's."""
    return [(name, r, _signature_check.signature_of) for name, r in cases()] + [
        (f"s3: {name}", r, _signature_check.s3_signature_of) for name, r in s3_cases()
    ]


@pytest.mark.parametrize(
    ("name", "request_", "short_check"),
    both_batteries(),
    ids=[name for name, _, _ in both_batteries()],
)
def test_the_short_check_computes_moto_s_signature_or_leaves_the_request_to_moto(
    name: str, request_: Any, short_check: Any
) -> None:
    try:
        reference = IAMRequestBase._calculate_signature(request_)
    except (KeyError, AttributeError):
        reference = None  # moto's check fails on it (no X-Amz-Date signed, no host to sign)
    short = short_check(request_)
    if reference is None:
        assert short is None, "the short check took a request moto cannot check"
    else:
        assert short is None or short == reference


def test_the_short_s3_check_takes_sdk_calls_and_tells_forgeries_apart() -> None:
    by_name = dict(s3_cases())

    def sent(name: str) -> str:
        return str(by_name[name]._headers["Authorization"].rpartition("Signature=")[2])

    for name in ("get", "put", "list", "quoted key", "unsigned payload"):
        assert _signature_check.s3_signature_of(by_name[name]) == sent(name), name
    assert _signature_check.s3_signature_of(by_name["list, query reordered"]) == sent("list")
    # S3 signs the declared content hash, not the body (as moto's check does).
    assert _signature_check.s3_signature_of(by_name["put, body changed"]) == sent("put")
    for name in (
        "get, another key",
        "get, a dot segment",
        "put, method changed",
        "list, query changed",
        "region changed",
    ):
        computed = _signature_check.s3_signature_of(by_name[name])
        assert computed is not None and computed != sent(name), name
    for name in ("content hash not listed", "a host in the path", "a fragment"):
        assert _signature_check.s3_signature_of(by_name[name]) is None, name
