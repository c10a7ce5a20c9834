"""The emulator keeps HTTP connections open when that is safe, and closes them when it is not."""

from __future__ import annotations

import http.client
import json
import re
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from trellis.local.emulator import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, Emulator

pytestmark = pytest.mark.integration


def signed_list_tables(endpoint: str, extra_headers: dict[str, str] | None = None) -> AWSRequest:
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=b"{}",
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            **(extra_headers or {}),
        },
    )
    SigV4Auth(Credentials(LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY), "dynamodb", "us-east-1").add_auth(
        request
    )
    return request


@pytest.fixture
def connection(trellis_emulator: Emulator) -> Iterator[http.client.HTTPConnection]:
    parts = urlsplit(trellis_emulator.endpoint)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    try:
        yield conn
    finally:
        conn.close()


def list_tables(
    conn: http.client.HTTPConnection, endpoint: str, headers: dict[str, str] | None = None
) -> http.client.HTTPResponse:
    request = signed_list_tables(endpoint, headers)
    conn.request("POST", "/", body=request.body, headers=dict(request.headers))
    return conn.getresponse()


def test_one_connection_serves_call_after_call(
    trellis_emulator: Emulator, connection: http.client.HTTPConnection
) -> None:
    sockets = []
    for _ in range(5):
        # Sent as soon as the previous answer is read: a server that drained the socket
        # after answering (werkzeug's default) would swallow it and time out here.
        response = list_tables(connection, trellis_emulator.endpoint)
        assert response.status == 200
        assert "TableNames" in json.loads(response.read())
        assert response.getheader("Connection") != "close"
        sockets.append(connection.sock)
    assert sockets[0] is not None
    assert all(sock is sockets[0] for sock in sockets), "the connection was reopened"


def test_a_body_the_server_does_not_read_is_dropped_before_the_next_request(
    trellis_emulator: Emulator, connection: http.client.HTTPConnection
) -> None:
    # An unsigned upload to an unknown path: answered without reading its 256 KiB body.
    connection.request("PUT", "/moto-api/nothing-here", body=b"x" * 262_144)
    first = connection.getresponse()
    first.read()
    assert first.status >= 400

    response = list_tables(connection, trellis_emulator.endpoint)
    assert response.status == 200
    assert "TableNames" in json.loads(response.read())


def test_a_chunked_request_is_answered_then_the_connection_closes(
    trellis_emulator: Emulator, connection: http.client.HTTPConnection
) -> None:
    request = signed_list_tables(trellis_emulator.endpoint)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    connection.request("POST", "/", body=iter([b"{", b"}"]), headers=headers, encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 200, response.read()
    assert "TableNames" in json.loads(response.read())
    assert response.getheader("Connection") == "close"


def test_a_client_that_asks_to_close_gets_its_connection_closed(
    trellis_emulator: Emulator, connection: http.client.HTTPConnection
) -> None:
    response = list_tables(connection, trellis_emulator.endpoint, {"Connection": "close"})
    assert response.status == 200
    response.read()
    assert response.getheader("Connection") == "close"
    assert connection.sock is None


def test_a_client_expecting_100_continue_gets_it_before_sending_the_body(
    trellis_emulator: Emulator,
) -> None:
    # boto3 sends `Expect: 100-continue` with S3 uploads over 1 MB and waits for the
    # interim answer; a buffered server that sat on it would stall every such upload.
    parts = urlsplit(trellis_emulator.endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(
            b"PUT /moto-api/nothing-here HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        received = sock.recv(1024)
        assert received.startswith(b"HTTP/1.1 100")
        sock.sendall(b"hello")
        # The final answer may already have come with the interim one (a loaded machine
        # reads late); it must come, on this connection, without another request.
        while re.search(rb"HTTP/1\.1 [2-5]\d\d ", received) is None:
            chunk = sock.recv(1024)
            assert chunk, "the connection closed without a final answer"
            received += chunk
