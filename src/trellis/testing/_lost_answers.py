"""A loopback proxy that loses the answer of a chosen AWS call, as a timeout does on AWS."""

from __future__ import annotations

import http.client
import socket
import threading
from typing import Any

_TARGET = "x-amz-target"
_HOP_BY_HOP = frozenset({"transfer-encoding", "connection", "content-length"})


class AnswerDroppingProxy:
    """Forwards HTTP requests to ``upstream`` (the emulator); drops the answers it is told to.

    ``drop_next("PutItem")`` makes the next call of that operation (the last part
    of its ``X-Amz-Target``: DynamoDB, SQS, SSM, Secrets Manager, EventBridge)
    reach the emulator and be applied, while its caller sees the connection
    closed without a response, as after a read timeout or a reset on AWS. The SDK
    then retries it: code that writes conditionally must recognise its own
    earlier attempt (:func:`trellis.runtime.tables.item_as_it_was`). ``seen``
    lists the operations that went through, retries included.

    ::

        proxy = AnswerDroppingProxy(trellis_emulator.endpoint)
        settings = settings.model_copy(update={"aws_endpoint_url": proxy.endpoint})
        proxy.drop_next("PutItem")
        repository(settings).create(...)          # must not answer 409
        assert proxy.seen.count("PutItem") == 2
        proxy.close()
    """

    def __init__(self, upstream: str) -> None:
        host, _, port = upstream.removeprefix("http://").partition(":")
        self._upstream = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.seen: list[str] = []
        self._drop: list[str] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name="answer-dropping-proxy", daemon=True).start()

    def drop_next(self, operation: str) -> None:
        """Lose the answer of the next call of ``operation`` (one per call of this method)."""
        with self._lock:
            self._drop.append(operation)

    def close(self) -> None:
        self._listener.close()

    def __enter__(self) -> AnswerDroppingProxy:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _dropping(self, operation: str) -> bool:
        with self._lock:
            self.seen.append(operation)
            if operation in self._drop:
                self._drop.remove(operation)
                return True
            return False

    def _serve(self, client: socket.socket) -> None:
        upstream = http.client.HTTPConnection(*self._upstream, timeout=30)
        reader = client.makefile("rb")
        try:
            while True:
                request_line = reader.readline()
                if not request_line:
                    return
                method, path, _ = request_line.decode("latin-1").split(" ", 2)
                headers: list[tuple[str, str]] = []
                while (line := reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers.append((name.strip(), value.strip()))
                length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
                body = reader.read(length)
                target = next((v for k, v in headers if k.lower() == _TARGET), "")
                upstream.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    upstream.putheader(name, value)
                upstream.endheaders(body)
                response = upstream.getresponse()
                content = response.read()
                if self._dropping(target.rpartition(".")[2]):
                    return  # applied upstream; the caller never hears of it
                head = [f"HTTP/1.1 {response.status} {response.reason}"]
                head += [
                    f"{k}: {v}" for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP
                ]
                head.append(f"Content-Length: {len(content)}")
                client.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + content)
        except OSError:
            return
        finally:
            reader.close()
            client.close()
            upstream.close()
