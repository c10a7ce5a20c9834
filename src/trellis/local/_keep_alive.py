"""HTTP keep-alive for the emulator's werkzeug server.

werkzeug's development server answers every request with ``Connection:
close``, because Python's ``http.server`` cannot tell where an unread request
body ends. So every AWS call paid for a new TCP connection on both sides and a
new server thread: under the worker benchmark that was about a fifth of the
emulator's CPU, and the client side paid again in urllib3.

We keep the connection open when it is safe to: the request declared its body
length (no chunked transfer encoding), and whatever the application left of the
body is read and dropped before the next request line is parsed (werkzeug's
own drain, which reads whatever the socket holds and would swallow the next
request, is skipped for such a connection). Anything
else — a chunked request, a body that ends early, a client that asked to
close, an error after the headers were sent — closes the connection exactly as
before. Responses leave in one write (headers and body buffered together) with
Nagle's algorithm off, so a kept-alive connection never waits on a delayed ACK.
"""

from __future__ import annotations

import importlib
import io
import selectors
import threading
from typing import Any

#: Per connection: the dev server runs one thread per connection.
_connection = threading.local()


class _NothingToDrain:
    """What werkzeug's post-response drain gets on a kept-alive connection."""

    def register(self, *_args: Any) -> None:
        return None

    def select(self, timeout: float | None = None) -> list[Any]:
        return []

    def close(self) -> None:
        return None


class _SelectorsForWerkzeug:
    """``werkzeug.serving``'s view of :mod:`selectors` (its only use is that drain)."""

    EVENT_READ = selectors.EVENT_READ

    @staticmethod
    def DefaultSelector() -> Any:  # the name werkzeug calls
        if getattr(_connection, "keep_alive", False):
            return _NothingToDrain()
        return selectors.DefaultSelector()


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


def keep_alive_handler(base: type) -> type:
    """A subclass of werkzeug's request handler ``base`` that keeps connections open.

    >>> from moto.moto_server.werkzeug_app import MotoRequestHandler  # doctest: +SKIP
    >>> handler = keep_alive_handler(MotoRequestHandler)               # doctest: +SKIP
    """

    class KeepAliveRequestHandler(base):  # type: ignore[misc]
        wbufsize = -1
        disable_nagle_algorithm = True
        _body: _DeclaredBody | None = None

        def make_environ(self) -> dict[str, Any]:
            environ: dict[str, Any] = super().make_environ()
            self._body = None
            if environ.get("wsgi.input_terminated"):
                return environ  # chunked: werkzeug dechunks it; we cannot know where it ends
            declared = environ.get("CONTENT_LENGTH") or "0"
            if not declared.isdigit():
                return environ
            self._body = _DeclaredBody(environ["wsgi.input"], int(declared))
            environ["wsgi.input"] = self._body
            _connection.keep_alive = True
            return environ

        def send_header(self, keyword: str, value: str) -> None:
            if (
                keyword.lower() == "connection"
                and value.lower() == "close"
                and self._body is not None
                and not self.close_connection
            ):
                return  # werkzeug's unconditional close; the client decides, as HTTP/1.1 says
            super().send_header(keyword, value)

        def handle_expect_100(self) -> bool:
            # The interim answer must leave now: the client waits for it before sending the body.
            answered = bool(super().handle_expect_100())
            self.wfile.flush()
            return answered

        def handle_one_request(self) -> None:
            self._body = None
            _connection.keep_alive = False
            try:
                super().handle_one_request()
            finally:
                _connection.keep_alive = False
            body, self._body = self._body, None
            # Drained even when closing: a socket closed with unread data resets
            # the connection, and the client would not see the response.
            if body is None or not body.drain():
                self.close_connection = True

    KeepAliveRequestHandler.__name__ = f"KeepAlive{base.__name__}"
    KeepAliveRequestHandler.__qualname__ = KeepAliveRequestHandler.__name__
    return KeepAliveRequestHandler


def install(moto_server: Any) -> None:
    """Serve moto's server with keep-alive: its handler class, and werkzeug's drain.

    ``moto.server.main`` reads its handler class from its module; werkzeug's
    post-response drain must learn to leave kept-alive connections alone.
    """
    moto_server.MotoRequestHandler = keep_alive_handler(moto_server.MotoRequestHandler)
    serving: Any = importlib.import_module("werkzeug.serving")
    serving.selectors = _SelectorsForWerkzeug
