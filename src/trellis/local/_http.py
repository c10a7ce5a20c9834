"""The emulator's HTTP/1.1 server: moto's WSGI application, without werkzeug's server costs.

moto serves itself with werkzeug's development server, which is built on
``http.server``: every request's headers go through the ``email`` package's
parser, werkzeug then rebuilds them into a WSGI environ, and every response
is formatted header by header: serving moto with this server instead raised
one client's DynamoDB GetItem rate by about 14 % (``bench/emulator_workload.py``).
The development server also closes every connection, because it cannot tell
where an unread request body ends.

This server does what the emulator needs and no more:

- one thread per connection, connections kept alive (HTTP/1.1's default);
  a request body the application did not read is drained before the next
  request line, so keep-alive stays safe;
- the request line and headers are split by hand, into the environ werkzeug's
  handler and moto's ``MotoRequestHandler`` would build (underscored header
  names dropped, except the S3 metadata headers moto keeps under their
  original names);
- a body of up to 1 MiB is read whole before the application runs (one read,
  the bytes left in the environ for the handler); a larger one streams;
- ``Transfer-Encoding: chunked`` bodies are read whole, so a chunked request
  keeps its connection too; ``Expect: 100-continue`` is answered before the
  body is read (boto3 waits for it on large S3 uploads);
- a response leaves in one write, Nagle's algorithm off.

It binds nothing itself: ``serve`` takes a listening socket (the one the
parent bound for this process; see :class:`trellis.local.emulator.Emulator`).
``tests/integration/test_emulator_http.py`` holds it to that behaviour.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

_LIMIT_LINE = 65_536
_LIMIT_HEADERS = 200
_PRESERVED_HEADER_NAMES = "moto.preserved_header_names"
#: The environ key of a body read ahead whole: the same bytes ``wsgi.input`` holds.
REQUEST_BODY = "trellis.request_body"
#: Bodies up to this size are read before the application runs (every API call but large uploads).
_READ_AHEAD = 1 << 20
_NO_BODY_STATUSES = ("1", "204", "304")
_STATUS_PHRASES = {
    400: "Bad Request",
    431: "Request Header Fields Too Large",
    505: "HTTP Version Not Supported",
}

_access_log = logging.getLogger("trellis.emulator.access")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _DeclaredBody(io.RawIOBase):
    """The request body as the application sees it: at most Content-Length bytes.

    Counting what was read is what makes keep-alive safe: the rest is drained
    before the connection serves its next request.
    """

    def __init__(self, raw: Any, length: int) -> None:
        super().__init__()
        self._raw = raw
        self.remaining = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.remaining <= 0:
            return 0
        view = memoryview(buffer)[: self.remaining]
        count = self._raw.readinto(view) or 0
        self.remaining -= count
        return count

    def drain(self) -> bool:
        """Read and drop what the application left; False if the client sent less."""
        while self.remaining > 0:
            chunk = self._raw.read(min(self.remaining, 1 << 16))
            if not chunk:
                return False
            self.remaining -= len(chunk)
        return True


def serve(listening: socket.socket, app: WsgiApp, *, access_log: bool = False) -> None:
    """Answer connections on ``listening`` (bound and listening) with ``app``, until interrupted.

    >>> serve(socket.create_server(("127.0.0.1", 4566)), app)  # doctest: +SKIP
    """
    host, port = listening.getsockname()[:2]
    server = _Server(app, str(host), int(port), access_log)
    while True:
        try:
            connection, address = listening.accept()
        except OSError:  # out of descriptors, or a client gone before accept: not fatal
            time.sleep(0.01)
            continue
        threading.Thread(target=server.connection, args=(connection, address), daemon=True).start()


class _Server:
    def __init__(self, app: WsgiApp, host: str, port: int, access_log: bool) -> None:
        self.app = app
        self.access_log = access_log
        self.base_environ: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "SERVER_SOFTWARE": "trellis-emulator",
            "SCRIPT_NAME": "",
            "SERVER_NAME": host,
            "SERVER_PORT": str(port),
        }

    def connection(self, sock: socket.socket, address: Any) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rfile = sock.makefile("rb", buffering=1 << 16)
        try:
            while self.request(sock, rfile, address):
                pass
        except OSError:
            pass  # the client went away; nothing is owed to it
        finally:
            rfile.close()
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def request(self, sock: socket.socket, rfile: Any, address: Any) -> bool:
        """Serve one request; whether the connection may serve another."""
        line = rfile.readline(_LIMIT_LINE + 1)
        if line in (b"\r\n", b"\n"):
            line = rfile.readline(_LIMIT_LINE + 1)  # RFC 9112: ignore one empty line first
        if not line:
            return False
        try:
            environ, body, keep_alive = self._environ(line, sock, rfile, address)
        except _BadRequest as bad:
            _send_error(sock, bad.status, str(bad))
            return False
        status, sent = self._respond(sock, environ, keep_alive)
        if self.access_log:
            _access_log.info(
                '%s "%s %s" %s', address[0], environ["REQUEST_METHOD"], environ["RAW_URI"], status
            )
        if not sent:
            return False
        # Drained even when closing: a socket closed with unread data resets the
        # connection, and the client would not see the response.
        drained = body is None or body.drain()
        return keep_alive and drained

    def _environ(
        self, line: bytes, sock: socket.socket, rfile: Any, address: Any
    ) -> tuple[dict[str, Any], _DeclaredBody | None, bool]:
        if len(line) > _LIMIT_LINE:
            raise _BadRequest(400, "request line too long")
        parts = line.split()
        if len(parts) != 3:
            raise _BadRequest(400, "malformed request line")
        method, target, version = (part.decode("latin-1") for part in parts)
        if not version.startswith("HTTP/1."):
            raise _BadRequest(505, f"unsupported protocol {version}")
        environ = dict(self.base_environ)
        host_from_target = None
        if target.startswith("/"):
            path, _, query = target.partition("?")
        else:
            split = urlsplit(target)
            path, query = split.path or "/", split.query
            if split.scheme and split.netloc:
                host_from_target = split.netloc
            elif split.netloc:  # "//a/b" without a scheme: the first segment is part of the path
                path = f"/{split.netloc}{split.path}"
        environ.update(
            REQUEST_METHOD=method,
            PATH_INFO=unquote_to_bytes(path).decode("latin-1"),
            QUERY_STRING=query,
            REQUEST_URI=target,
            RAW_URI=target,
            REMOTE_ADDR=address[0],
            REMOTE_PORT=address[1],
            SERVER_PROTOCOL=version,
        )
        preserved: dict[str, str] = {}
        preserved_values: dict[str, list[str]] = {}
        previous: str | None = None
        count = 0
        while True:
            raw = rfile.readline(_LIMIT_LINE + 1)
            if raw in (b"\r\n", b"\n", b""):
                break
            count += 1
            if count > _LIMIT_HEADERS or len(raw) > _LIMIT_LINE:
                raise _BadRequest(431, "too many or too long headers")
            if raw[:1] in (b" ", b"\t"):  # an obsolete folded line continues the previous value
                if previous is None:
                    raise _BadRequest(400, "a header line starts with whitespace")
                environ[previous] = f"{environ[previous]} {raw.strip().decode('latin-1')}"
                continue
            name_bytes, colon, value_bytes = raw.partition(b":")
            if not colon:
                raise _BadRequest(400, "malformed header line")
            name = name_bytes.decode("latin-1").strip()
            value = value_bytes.strip().decode("latin-1")
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            if "_" in name:
                # WSGI cannot tell X_Foo from X-Foo: werkzeug drops such names, and
                # moto keeps S3 metadata under its original spelling (below).
                if name.lower().startswith("x-amz-meta-"):
                    preserved.setdefault(key, name)
                    preserved_values.setdefault(key, []).append(value)
                previous = None
                continue
            if key in environ and key.startswith("HTTP_"):
                value = f"{environ[key]},{value}"
            environ[key] = value
            previous = key
        for key, values in preserved_values.items():
            if key not in environ:  # an underscored header never stands in for a dashed one
                environ[key] = ",".join(values)
            else:
                del preserved[key]
        environ[_PRESERVED_HEADER_NAMES] = preserved
        if host_from_target is not None:
            environ["HTTP_HOST"] = host_from_target

        connection = environ.get("HTTP_CONNECTION", "").lower()
        keep_alive = "close" not in connection and (
            version != "HTTP/1.0" or "keep-alive" in connection
        )
        if environ.get("HTTP_EXPECT", "").lower() == "100-continue" and version != "HTTP/1.0":
            # The client holds the body back until it hears this.
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        body: _DeclaredBody | None = None
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            data = _read_chunked(rfile)
            environ["wsgi.input"] = io.BytesIO(data)
            environ[REQUEST_BODY] = data
            environ["wsgi.input_terminated"] = True
            environ.pop("CONTENT_LENGTH", None)
            return environ, body, keep_alive
        declared = environ.get("CONTENT_LENGTH", "0").strip() or "0"
        if not declared.isdigit():
            raise _BadRequest(400, "invalid Content-Length")
        length = int(declared)
        if length <= _READ_AHEAD:
            # One read instead of werkzeug's limited stream over a counting one;
            # the handler and the signature check take the bytes as they are.
            data = rfile.read(length) if length else b""
            if len(data) < length:
                raise _BadRequest(400, "the request body ended before its Content-Length")
            environ["wsgi.input"] = io.BytesIO(data)
            environ[REQUEST_BODY] = data
        else:
            body = _DeclaredBody(rfile, length)
            environ["wsgi.input"] = body
        return environ, body, keep_alive

    def _respond(
        self, sock: socket.socket, environ: dict[str, Any], keep_alive: bool
    ) -> tuple[str, bool]:
        """Run the application and send its answer: its status, and whether it was sent whole."""
        started: list[Any] = []
        written: list[bytes] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            # Nothing leaves before the application returns, so a second call
            # (with exc_info, after an error) simply replaces the first.
            started[:] = [status, headers]
            return written.append

        try:
            result = self.app(environ, start_response)
            try:
                chunks = written + [chunk for chunk in result if chunk]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except Exception:  # noqa: BLE001 - any failure of the application is a 500, logged
            traceback.print_exc(file=sys.stderr)
            _send_error(sock, 500, "the emulator failed on this request (its log has the trace)")
            return "500", False
        if not started:
            _send_error(sock, 500, "the application did not start a response")
            return "500", False
        status, headers = started[0], started[1]
        head = [f"HTTP/1.1 {status}\r\n"]
        has_length = has_date = False
        for name, value in headers:
            lowered = name.lower()
            if lowered == "content-length":
                has_length = True
            elif lowered == "date":
                has_date = True
            elif lowered == "connection":
                continue  # the server decides, from the request and its own state
            head.append(f"{name}: {value}\r\n")
        if not has_date:
            head.append(f"Date: {_http_date()}\r\n")
        no_body = status.startswith(_NO_BODY_STATUSES)
        if not has_length and not no_body:
            head.append(f"Content-Length: {sum(map(len, chunks))}\r\n")
        if not keep_alive:
            head.append("Connection: close\r\n")
        head.append("\r\n")
        try:
            payload = "".join(head).encode("latin-1")
        except UnicodeEncodeError:  # HTTP headers are Latin-1; werkzeug answers 500 too
            _send_error(sock, 500, "the emulator built a header HTTP cannot carry")
            return "500", False
        if environ["REQUEST_METHOD"] != "HEAD" and not no_body:
            payload += b"".join(chunks)
        sock.sendall(payload)
        return status.partition(" ")[0], True


_date_cache: list[Any] = [0, ""]


def _http_date() -> str:
    # SDKs read it to correct clock skew; one formatting per second is enough.
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, formatdate(now, usegmt=True)]
    return str(_date_cache[1])


def _read_chunked(rfile: Any) -> bytes:
    body = bytearray()
    while True:
        size_line = rfile.readline(_LIMIT_LINE + 1)
        size_text = size_line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise _BadRequest(400, "malformed chunk size") from None
        if size == 0:
            while rfile.readline(_LIMIT_LINE + 1) not in (b"\r\n", b"\n", b""):
                pass  # trailers: nothing the emulator reads
            return bytes(body)
        chunk = rfile.read(size)
        if len(chunk) != size:
            raise _BadRequest(400, "the chunked body ended early")
        body += chunk
        rfile.readline(_LIMIT_LINE + 1)


def _send_error(sock: socket.socket, status: int, message: str) -> None:
    body = message.encode()
    phrase = _STATUS_PHRASES.get(status, "Internal Server Error")
    with contextlib.suppress(OSError):
        sock.sendall(
            f"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
