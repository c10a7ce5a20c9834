"""A stand-in for X-Ray's OTLP traces endpoint on 127.0.0.1: it checks each request's SigV4
signature the way AWS does (recomputed from what arrived, with the known secret) and keeps
the protobuf payload for the test to decode."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

KEY, SECRET, TOKEN = "AKIDTRACES", "secret-of-the-role", "session-token-of-the-role"
_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[^,]+), Signature=(?P<sig>[0-9a-f]{64})$"
)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    valid_signature: bool
    scope: dict[str, str] = field(default_factory=dict)


@dataclass
class Receiver:
    url: str
    status: int = 200
    requests: list[Received] = field(default_factory=list)


def _verify(
    method: str, url: str, headers: dict[str, str], body: bytes
) -> tuple[bool, dict[str, str]]:
    """Recompute the signature from what arrived, as the service would."""
    found = _AUTH.match(headers.get("authorization", ""))
    if found is None:
        return False, {}
    scope = found.groupdict()
    signed = scope["signed"].split(";")
    request = AWSRequest(
        method=method,
        url=url,
        data=body,
        headers={name: headers[name] for name in signed if name != "host"},
    )
    request.context["timestamp"] = headers["x-amz-date"]
    auth = SigV4Auth(Credentials(KEY, SECRET, TOKEN), scope["service"], scope["region"])
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    return expected == scope["sig"] and "host" in signed, scope


@contextmanager
def otlp_receiver() -> Iterator[Receiver]:
    """Serve until the block ends; ``Receiver.status`` is what every POST gets back."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            url = f"http://{self.headers['Host']}{self.path}"
            valid, scope = _verify("POST", url, headers, body)
            state.requests.append(Received(self.path, headers, body, valid, scope))
            self.send_response(state.status)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1/traces"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
