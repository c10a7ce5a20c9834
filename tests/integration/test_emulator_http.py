"""The emulator's HTTP server: connections kept open when that is safe, and closed when not."""

from __future__ import annotations

import http.client
import json
import re
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
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


@pytest.mark.parametrize("size", [262_144, 3 << 20], ids=["read-ahead", "streamed"])
def test_a_body_the_server_does_not_read_is_dropped_before_the_next_request(
    trellis_emulator: Emulator, connection: http.client.HTTPConnection, size: int
) -> None:
    # An unsigned upload to an unknown path: answered without reading its body (up to
    # 1 MiB the server reads it ahead; a larger one is left to the application).
    connection.request("PUT", "/moto-api/nothing-here", body=b"x" * size)
    first = connection.getresponse()
    first.read()
    assert first.status >= 400

    response = list_tables(connection, trellis_emulator.endpoint)
    assert response.status == 200
    assert "TableNames" in json.loads(response.read())


def test_a_chunked_request_is_read_whole_and_the_connection_serves_the_next(
    trellis_emulator: Emulator, connection: http.client.HTTPConnection
) -> None:
    request = signed_list_tables(trellis_emulator.endpoint)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    connection.request("POST", "/", body=iter([b"{", b"}"]), headers=headers, encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 200, response.read()
    assert "TableNames" in json.loads(response.read())
    assert response.getheader("Connection") != "close"
    sock = connection.sock

    again = list_tables(connection, trellis_emulator.endpoint)
    assert again.status == 200
    assert "TableNames" in json.loads(again.read())
    assert connection.sock is sock, "the connection was reopened"


@pytest.mark.parametrize("size", [1024, 3 << 20], ids=["read-ahead", "streamed"])
def test_an_upload_reaches_the_handler_whole(trellis_emulator: Emulator, size: int) -> None:
    s3 = trellis_emulator.client("s3")
    s3.create_bucket(Bucket="http-bodies")
    body = bytes(range(256)) * (size // 256)
    s3.put_object(Bucket="http-bodies", Key="k", Body=body)
    assert s3.get_object(Bucket="http-bodies", Key="k")["Body"].read() == body


def test_a_body_shorter_than_its_content_length_gets_no_answer_and_harms_nothing(
    trellis_emulator: Emulator,
) -> None:
    request = signed_list_tables(trellis_emulator.endpoint)
    head = "".join(f"{k}: {v}\r\n" for k, v in request.headers.items() if k != "Content-Length")
    parts = urlsplit(trellis_emulator.endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(f"POST / HTTP/1.1\r\n{head}Content-Length: 10\r\n\r\n{{}}".encode())
        sock.shutdown(socket.SHUT_WR)  # 2 of the 10 bytes, then the client is done
        received = b""
        while chunk := sock.recv(1024):
            received += chunk
    # Never a 200 for a request the handler did not get whole.
    assert not received.startswith(b"HTTP/1.1 200"), received

    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    try:
        assert list_tables(conn, trellis_emulator.endpoint).status == 200
    finally:
        conn.close()


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


def test_a_malformed_request_line_gets_a_400_and_the_connection_closes(
    trellis_emulator: Emulator,
) -> None:
    parts = urlsplit(trellis_emulator.endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(b"NOT-HTTP\r\n\r\n")
        received = b""
        while chunk := sock.recv(1024):
            received += chunk
    assert received.startswith(b"HTTP/1.1 400 ")
    assert b"Connection: close" in received


def test_an_http_1_0_client_gets_its_connection_closed(trellis_emulator: Emulator) -> None:
    parts = urlsplit(trellis_emulator.endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(b"GET /moto-api/nothing-here HTTP/1.0\r\nHost: localhost\r\n\r\n")
        received = b""
        while chunk := sock.recv(1024):  # ends: the server closes after answering
            received += chunk
    assert re.match(rb"HTTP/1\.1 [45]\d\d ", received)
    assert b"Connection: close" in received


# --- The same requests, answered by moto's own server and by ours -----------------------------

#: What legitimately differs per server or per run; everything else must be equal.
_UNCOMPARED_HEADERS = {"date", "server", "connection", "transfer-encoding", "content-length"}
_PER_RUN_HEADERS = {
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-amz-id-2",
    "x-amz-crc32",
    "last-modified",
}
_PER_RUN_TEXT = re.compile(
    rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # ids
    rb"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?"  # timestamps
    rb"|\b1\d{9}(\.\d+)?\b"  # epoch seconds
    rb"|[A-Za-z0-9]{52}"  # request ids in XML bodies
)


def _signed(
    endpoint: str, service: str, method: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[str, str, bytes, dict[str, str]]:
    request = AWSRequest(method=method, url=endpoint + path, data=body, headers=headers)
    signer = S3SigV4Auth if service == "s3" else SigV4Auth  # S3 signs the path as sent
    signer(Credentials(LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY), service, "us-east-1").add_auth(request)
    return method, path, body, dict(request.headers)


def _requests(endpoint: str) -> list[tuple[str, str, bytes, dict[str, str]]]:
    def json_api(service: str, prefix: str) -> Any:
        def call(target: str, payload: object) -> tuple[str, str, bytes, dict[str, str]]:
            headers = {
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": f"{prefix}.{target}",
            }
            return _signed(endpoint, service, "POST", "/", json.dumps(payload).encode(), headers)

        return call

    ddb = json_api("dynamodb", "DynamoDB_20120810")
    sqs = json_api("sqs", "AmazonSQS")

    def s3(
        method: str, path: str, body: bytes = b"", **headers: str
    ) -> tuple[str, str, bytes, dict[str, str]]:
        return _signed(
            endpoint,
            "s3",
            method,
            path,
            body,
            {"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD", **headers},
        )

    key = {"pk": {"S": "a"}}
    item = {
        **key,
        "b": {"B": "AAE="},
        "m": {"M": {"l": {"L": [{"N": "1"}, {"NULL": True}]}}},
        "ss": {"SS": ["x"]},
    }
    return [
        ddb(
            "CreateTable",
            {
                "TableName": "ab",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
            },
        ),
        ddb("PutItem", {"TableName": "ab", "Item": item}),
        ddb(
            "PutItem",
            {"TableName": "ab", "Item": item, "ConditionExpression": "attribute_not_exists(pk)"},
        ),
        ddb("GetItem", {"TableName": "ab", "Key": key, "ConsistentRead": True}),
        ddb(
            "Query",
            {
                "TableName": "ab",
                "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": {"S": "a"}},
                "Limit": 1,
            },
        ),
        ddb("GetItem", {"TableName": "missing", "Key": key}),
        ddb("NoSuchOperation", {}),
        _signed(
            endpoint,
            "dynamodb",
            "POST",
            "/",
            b"{not json",
            {
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": "DynamoDB_20120810.GetItem",
            },
        ),
        sqs("CreateQueue", {"QueueName": "ab"}),
        sqs(
            "GetQueueAttributes",
            {
                "QueueUrl": f"{endpoint}/123456789012/ab",
                "AttributeNames": ["DelaySeconds", "VisibilityTimeout"],
            },
        ),
        _signed(
            endpoint,
            "sqs",
            "POST",
            "/",
            b"Action=ListQueues&Version=2012-11-05",
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        ),
        s3("PUT", "/ab-bucket"),
        s3(
            "PUT",
            "/ab-bucket/a%2Fb.txt",
            b"hello",
            **{"x-amz-meta-plain": "1", "x-amz-meta-my_key": "2", "Content-Type": "text/plain"},
        ),
        s3("HEAD", "/ab-bucket/a%2Fb.txt"),
        s3("GET", "/ab-bucket/a%2Fb.txt"),
        s3("GET", "/ab-bucket/missing"),
        s3("GET", "/ab-bucket?list-type=2"),
        s3("GET", "/ab-bucket/a%2Fb.txt", Origin="http://localhost:3000"),
        (
            "OPTIONS",
            "/ab-bucket/a%2Fb.txt",
            b"",
            {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"},
        ),
        ("GET", "/moto-api/nothing-here", b"", {}),
    ]


def _answers(endpoint: str) -> list[tuple[int, dict[str, str], dict[str, bool], bytes]]:
    parts = urlsplit(endpoint)
    answers = []
    for method, path, body, headers in _requests(endpoint):
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        netloc = parts.netloc
        received = {
            name.lower(): value.replace(netloc, "<host>") for name, value in response.getheaders()
        }
        content = content.replace(netloc.encode(), b"<host>")
        compared = {
            name: value
            for name, value in received.items()
            if name not in _UNCOMPARED_HEADERS | _PER_RUN_HEADERS
        }
        present = {name: True for name in received if name not in _UNCOMPARED_HEADERS}
        answers.append((response.status, compared, present, _PER_RUN_TEXT.sub(b"<run>", content)))
    return answers


def test_the_server_answers_every_request_as_moto_s_own_server_does() -> None:
    """Status, headers and body of each answer, ours against werkzeug's and Flask's."""
    ours = Emulator(port=0).start()
    try:
        theirs = Emulator(port=0, extra_env={"TRELLIS_EMULATOR_SPEEDUPS": "0"}).start()
        try:
            expected = _answers(theirs.endpoint)
            got = _answers(ours.endpoint)
        finally:
            theirs.stop()
    finally:
        ours.stop()
    for index, (want, have) in enumerate(zip(expected, got, strict=True)):
        assert have == want, f"request {index}: {_requests('http://x')[index][:2]}"
    statuses = [status for status, *_ in expected]
    # The battery reaches errors, S3 and CORS, not only successes.
    assert 404 in statuses and 400 in statuses
    assert any("access-control-allow-methods" in headers for _, headers, _, _ in expected)
    assert any(headers.get("x-amz-meta-my_key") == "2" for _, headers, _, _ in expected)
