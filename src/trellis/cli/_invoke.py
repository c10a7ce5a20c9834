"""`trellis invoke <service> --event sqs|schedule|s3`: one event, the way its source sends it.

It asks the running ``trellis dev`` (found from the state it records, or
``--port``) to send the event: see :mod:`trellis.local.on_demand`. The
dashboard's "Send a test event" buttons do the same.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path

from trellis.cli._common import UsageError, environment, service
from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    invoke = sub.add_parser(
        "invoke",
        help="send one SQS message, schedule firing or S3 notification to a service of trellis dev",
        description="Send one event to a service of the running `trellis dev` through the path "
        "its source uses: sqs (a message to the queue it consumes), schedule (what EventBridge "
        "Scheduler delivers), s3 (a bucket's object-created notification). Waits for the "
        "outcome: exit 0 when the service handled it, 1 when not.",
    )
    invoke.add_argument("service")
    invoke.add_argument("--event", required=True, choices=["sqs", "schedule", "s3"])
    invoke.add_argument("--queue", help="sqs: the queue (default: the one the service consumes)")
    invoke.add_argument(
        "--body", help="sqs: the message body; @PATH reads it from a file, - from stdin"
    )
    invoke.add_argument("--schedule", help="schedule: its name (default: the only one)")
    invoke.add_argument("--bucket", help="s3: the bucket (default: the one notifying the service)")
    invoke.add_argument("--key", help="s3: the object's key")
    invoke.add_argument(
        "--file",
        type=Path,
        help="s3: upload this file as the object first (S3 then sends the notification); "
        "without it the object must exist",
    )
    invoke.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for the outcome (default: %(default)s; 0: don't)",
    )
    invoke.add_argument("--env", help="environment (default: the manifest's first)")
    invoke.add_argument(
        "--port",
        type=int,
        help="trellis dev's gateway port (default: the running trellis dev's, else the last's)",
    )
    invoke.set_defaults(run=_invoke)


def _body(value: str | None) -> str | None:
    if value is None:
        return None
    if value == "-":
        return sys.stdin.read()
    if value.startswith("@"):
        path = Path(value[1:])
        try:
            return path.read_text()
        except OSError as exc:
            raise UsageError(f"--body {value}: {exc.strerror}") from None
    return value


def dev_gateway(args: argparse.Namespace, manifest: Manifest) -> str:
    """The running ``trellis dev``'s gateway URL (``--port``, its ports file, else the last's)."""
    from trellis.local.auth import DevAuthState
    from trellis.local.state import read_state

    env = environment(manifest, args.env)
    root = Path(args.manifest).resolve().parent
    running = read_state(root, env)
    if args.port is not None:
        return f"http://127.0.0.1:{args.port}"
    if running is not None:
        return running.gateway
    # The last trellis dev's gateway (it may have been killed before removing its state).
    state = DevAuthState.read(root, env)
    if state is None:
        raise UsageError(f"no trellis dev has run here (env {env}): start it, or give --port")
    return state.gateway


def _invoke(args: argparse.Namespace, manifest: Manifest) -> int:
    import httpx

    name = service(manifest, args.service)
    gateway = dev_gateway(args, manifest)
    request: dict[str, object] = {
        "service": name,
        "event": args.event,
        "queue": args.queue,
        "body": _body(args.body),
        "schedule": args.schedule,
        "bucket": args.bucket,
        "key": args.key,
        "wait_s": args.wait,
    }
    if args.file is not None:
        try:
            data = args.file.read_bytes()
        except OSError as exc:
            raise UsageError(f"--file {args.file}: {exc.strerror}") from None
        # Any bytes: an upload need not be text.
        request["content_base64"] = base64.b64encode(data).decode()
    try:
        response = httpx.post(
            f"{gateway}/_trellis/api/invoke",
            json=request,
            headers={"x-trellis-dashboard": "1"},
            timeout=args.wait + 15,
        )
    except httpx.TransportError:
        print(f"trellis: no trellis dev answers on {gateway}: start it first", file=sys.stderr)
        return 1
    try:
        result = response.json()
    except ValueError:
        print(f"trellis: unexpected answer ({response.status_code})", file=sys.stderr)
        return 1
    if response.status_code == 400:
        raise UsageError(result["error"]["message"])
    if response.status_code != 200:
        print(f"trellis: {result.get('error', {}).get('message', result)}", file=sys.stderr)
        return 1
    print(
        f"{result['event']} → {result['service']} via {result['via']}: {result['status']}"
        + (f" (message {result['message_id']})" if result.get("message_id") else "")
    )
    if result.get("error"):
        print(f"  error: {result['error']}")
    detail = result.get("detail") or {}
    if detail.get("trace_id"):
        print(f"  trace: {gateway}/_trellis/traces/{detail['trace_id']}")
    if result.get("payload") is not None:
        print(f"  returned: {json.dumps(result['payload'])}")
    if result["status"] == "sent" and args.wait > 0 and "waited_s" in detail:
        print(f"  no outcome within {args.wait:.0f} s (see the dashboard's jobs page)")
    return 0 if result["ok"] else 1
