"""What the conformance cases share: clients for the target, error assertions, raw requests.

The target is the Trellis emulator the test session starts (IAM enforced, the
administrator's key, as ``trellis dev`` runs it), or any endpoint named by
``TRELLIS_CONFORMANCE_ENDPOINT`` (another emulator, to compare engines; the
same ``testing``/``testing`` key is used).

Every case carries ``@doc(url, says=...)``: where AWS documents the behaviour
it checks, and the sentence it relies on. ``conftest.py`` refuses a case without one.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

KEY = "testing"
SECRET = "testing"
REGION = "us-east-1"
MIB = 1_048_576


def doc(url: str, *, says: str) -> pytest.MarkDecorator:
    """Where AWS documents what a case checks (a docs.aws.amazon.com page) and what it says."""
    return pytest.mark.aws_doc(url=url, says=says)


@dataclass(frozen=True)
class Aws:
    """The endpoint under test."""

    endpoint: str
    region: str = REGION

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,  # type: ignore[call-overload]
            region_name=self.region,
            endpoint_url=self.endpoint,
            aws_access_key_id=KEY,
            aws_secret_access_key=SECRET,
            config=Config(
                # One attempt: a 5xx must show, not be retried away.
                retries={"mode": "standard", "max_attempts": 1},
                connect_timeout=2,
                read_timeout=30,
                s3={"addressing_style": "path"},
                signature_version="s3v4" if service == "s3" else None,
            ),
        )

    def raw(
        self,
        method: str,
        service: str,
        url: str,
        *,
        body: bytes | str = b"",
        headers: dict[str, str] | None = None,
        sign: str = "header",
    ) -> httpx.Response:
        """Send one HTTP request as an SDK would, signed in the header, the query, or not at all."""
        request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
        credentials = Credentials(KEY, SECRET)
        if sign == "header":
            SigV4Auth(credentials, service, self.region).add_auth(request)
        elif sign == "query":
            SigV4QueryAuth(credentials, service, self.region, expires=300).add_auth(request)
        prepared = request.prepare()
        return httpx.request(
            prepared.method,
            prepared.url,
            headers=dict(prepared.headers),
            content=prepared.body,
            timeout=30,
        )


def name(prefix: str) -> str:
    """A name no other case uses (the target is shared; state is never reset)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error_of(call: Callable[[], Any]) -> ClientError:
    with pytest.raises(ClientError) as excinfo:
        call()
    return excinfo.value


def rejects(
    client: Any, code: str, call: Callable[[], Any], *, status: int | None = None
) -> dict[str, Any]:
    """``call`` fails with AWS's ``code``, as the SDK sees it; return the error response.

    A modelled error is checked as the exception class the SDK raises for it
    (``client.exceptions.QueueDoesNotExist`` also covers SQS's legacy
    ``AWS.SimpleQueueService.NonExistentQueue``): that is what user code catches.
    """
    error = error_of(call)
    got = error.response.get("Error", {})
    status_got = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    modelled = getattr(client.exceptions, code, None)
    described = f"{got.get('Code')} ({status_got}): {got.get('Message')}"
    if modelled is not None:
        assert isinstance(error, modelled), f"expected {code}, got {described}"
    else:
        assert got.get("Code") == code, f"expected {code}, got {described}"
    if status is not None:
        assert status_got == status, f"expected HTTP {status}, got {described}"
    return error.response


def succeeds(call: Callable[[], Any]) -> dict[str, Any]:
    """``call`` succeeds; a ClientError fails the case with AWS's code and message."""
    try:
        response: dict[str, Any] = call()
    except ClientError as exc:
        got = exc.response.get("Error", {})
        pytest.fail(f"expected success, got {got.get('Code')}: {got.get('Message')}")
    return response


def eventually(check: Callable[[], Any], *, timeout_s: float = 10, interval_s: float = 0.1) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout_s} s")
        time.sleep(interval_s)


@contextmanager
def no_server_errors() -> Iterator[None]:
    """Any 5xx inside is a failure of the emulator, whatever the call expected."""
    try:
        yield
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if status >= 500:
            pytest.fail(f"HTTP {status}: {exc}")
        raise
