"""A local Lambda execution environment for one function.

``trellis dev`` starts one of these per Lambda service:

    python -m trellis.local.lambda_host --handler api.handler.handler --port 9001

(``trellis dev`` adds ``--fd N``: a socket it bound to that port for this process.)

It imports the service's real handler once (the cold start, logged with its
duration), then serves invocations one at a time, as one Lambda instance does,
on the path the AWS Lambda runtime interface emulator uses:

    POST /2015-03-31/functions/function/invocations   (body: the event JSON)

A handler that raises answers like the Invoke API: status 200, header
``X-Amz-Function-Error: Unhandled``, body ``{"errorMessage", "errorType", "stackTrace"}``.
``GET /ping`` answers 200 once the handler is imported.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import socket
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

INVOKE_PATH = "/2015-03-31/functions/function/invocations"


class LambdaContext:
    """The context object Lambda passes to a Python handler."""

    def __init__(
        self, function_name: str, memory_mb: int, timeout_s: int, region: str, account_id: str
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self.memory_limit_in_mb = str(memory_mb)
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(spec: str) -> Callable[[dict[str, Any], Any], Any]:
    """Import ``package.module.attr`` the way the Lambda Python runtime does."""
    module_name, _, attr = spec.rpartition(".")
    if not module_name:
        raise ValueError(f"handler {spec!r} must look like 'module.function'")
    module = importlib.import_module(module_name)
    handler = getattr(module, attr)
    if not callable(handler):
        raise TypeError(f"{spec} is not callable")
    return handler  # type: ignore[no-any-return]


def _make_server(
    handler: Callable[[dict[str, Any], Any], Any], args: argparse.Namespace
) -> HTTPServer:
    region = os.environ.get("AWS_REGION", "us-east-1")

    class Invocations(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # the service logs its own requests; keep the output clean

        def do_GET(self) -> None:
            if self.path == "/ping":
                self._reply(200, b'{"status":"ok"}')
            else:
                self._reply(404, b'{"message":"not found"}')

        def do_POST(self) -> None:
            if self.path != INVOKE_PATH:
                self._reply(404, b'{"message":"not found"}')
                return
            length = int(self.headers.get("Content-Length") or 0)
            event = json.loads(self.rfile.read(length) or b"{}")
            context = LambdaContext(
                args.function_name, args.memory, args.timeout, region, args.account_id
            )
            try:
                result = handler(event, context)
            except Exception as exc:  # noqa: BLE001 - the Invoke API reports any handler error
                traceback.print_exc()
                body = {
                    "errorMessage": str(exc),
                    "errorType": type(exc).__name__,
                    "stackTrace": traceback.format_tb(exc.__traceback__),
                }
                self._reply(200, json.dumps(body).encode(), {"X-Amz-Function-Error": "Unhandled"})
                return
            self._reply(
                200, json.dumps(result).encode(), {"X-Amz-Request-Id": context.aws_request_id}
            )

        def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
            sys.stdout.flush()

    if args.fd is None:
        return HTTPServer(("127.0.0.1", args.port), Invocations)
    # A socket its parent bound for it (so that no one else takes the port meanwhile).
    server = HTTPServer(("127.0.0.1", args.port), Invocations, bind_and_activate=False)
    server.socket.close()
    server.socket = socket.socket(fileno=args.fd)
    server.server_address = server.socket.getsockname()
    server.server_activate()
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve one Lambda function locally.")
    parser.add_argument("--handler", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--fd", type=int, help="serve on this inherited socket, bound to --port")
    parser.add_argument("--function-name", default="function")
    parser.add_argument("--memory", type=int, default=512)
    parser.add_argument("--timeout", type=int, default=30)
    parser.add_argument("--account-id", default="123456789012")
    args = parser.parse_args(argv)

    # The Lambda runtime puts the task root first on sys.path.
    task_root = os.environ.get("LAMBDA_TASK_ROOT")
    if task_root:
        sys.path.insert(0, task_root)
    started = time.perf_counter()
    handler = load_handler(args.handler)
    init_ms = (time.perf_counter() - started) * 1000
    server = _make_server(handler, args)
    init: dict[str, Any] = {
        "event": "lambda.init",
        "handler": args.handler,
        "init_duration_ms": round(init_ms, 1),
    }
    if os.environ.get("TRELLIS_WARM_SPARE"):
        # A reload from a spare process: the libraries were imported before the clock started.
        init["libraries_preloaded"] = True
    print(json.dumps(init), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
