"""A ``requests`` session that signs each request with SigV4: the OTLP exporter's transport
to X-Ray's OTLP traces endpoint, which accepts only signed requests.

Imported only when a deployed service traces (``TRELLIS_TRACES_SIGV4`` is set); botocore
ships in every Lambda runtime and in the package (boto3), so signing adds no dependency.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any
from urllib.parse import urlsplit

import requests

__all__ = ["SigV4Session", "TracesSigningError"]

_REGION_IN_HOST = re.compile(r"^[a-z0-9-]+\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com")
# The headers that say how the body is to be read: signed, so they cannot be swapped in transit.
_SIGNED = ("Content-Type", "Content-Encoding")
_ADDED = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")


class TracesSigningError(requests.exceptions.RequestException):
    """The request could not be signed (no credentials, no region): the batch is dropped."""


class SigV4Session(requests.Session):
    """Signs every request it sends for ``service`` (X-Ray: ``xray``) with the ambient credentials.

    Credentials come from botocore's default chain (a Lambda function's or a container's
    role), read again for each request so rotated role credentials are picked up.
    ``credentials`` (anything with ``get_frozen_credentials()``) replaces that chain.
    """

    def __init__(self, service: str, region: str | None = None, credentials: Any = None) -> None:
        super().__init__()
        self.service = service
        self.region = region
        self._credentials = credentials
        self._lock = threading.Lock()

    def _resolve(self, url: str) -> tuple[Any, str]:
        with self._lock:
            if self._credentials is None:
                import botocore.session

                self._credentials = botocore.session.get_session().get_credentials()
            if self._credentials is None:
                raise TracesSigningError("no AWS credentials to sign the OTLP request with")
            region = (
                self.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
            )
            if not region:
                host = urlsplit(url).hostname or ""
                found = _REGION_IN_HOST.match(host)
                region = found.group(1) if found else None
            if not region:
                raise TracesSigningError(f"no AWS region to sign the OTLP request to {url} for")
            return self._credentials, region

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Sign ``request`` (method, URL, body and content headers), then send it."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        url = request.url or ""
        credentials, region = self._resolve(url)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        headers = {name: request.headers[name] for name in _SIGNED if name in request.headers}
        signed = AWSRequest(method=request.method, url=url, data=body, headers=headers)
        SigV4Auth(credentials.get_frozen_credentials(), self.service, region).add_auth(signed)
        for name in _ADDED:
            if name in signed.headers:
                request.headers[name] = signed.headers[name]
        return super().send(request, **kwargs)
