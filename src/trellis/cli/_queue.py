"""`trellis queue stats|redrive <queue>`: operate a queue and its DLQ.

Against AWS by default (credentials and region from the usual places), or the
local emulator with ``--local``: the running ``trellis dev``'s, found from the
ports it records under ``.trellis/dev/`` (the default port when none is recorded).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from trellis import naming
from trellis.cli._common import UsageError, add_json_option, environment, print_json, table
from trellis.kinds import QUEUE
from trellis.local.emulator import EMULATOR_PORT
from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    queue = sub.add_parser("queue", help="queue statistics and DLQ redrive")
    queue_sub = queue.add_subparsers(dest="queue_command", required=True, metavar="QUEUE_COMMAND")
    stats = queue_sub.add_parser("stats", help="visible, in flight, DLQ depth, oldest message age")
    redrive = queue_sub.add_parser(
        "redrive", help="move DLQ messages back to the queue, losing none"
    )
    redrive.add_argument("--max", type=int, dest="max_messages", help="move at most this many")
    for parser in (stats, redrive):
        parser.add_argument("queue")
        parser.add_argument(
            "--env", dest="environment", help="environment (default: the manifest's first)"
        )
        parser.add_argument(
            "--local", action="store_true", help="the emulator of a running `trellis dev`"
        )
        parser.add_argument(
            "--emulator-port",
            type=int,
            default=None,
            help="with --local: the emulator's port (default: the running trellis dev's, "
            f"else {EMULATOR_PORT})",
        )
        parser.add_argument("--endpoint-url", help="an AWS-compatible endpoint (default: AWS)")
    add_json_option(stats, "the depths and ages")
    stats.set_defaults(run=_stats)
    redrive.set_defaults(run=_redrive)


def _clients(args: argparse.Namespace, manifest: Manifest) -> tuple[Any, Any]:
    import boto3

    from trellis.local.emulator import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, emulator_endpoint

    region = manifest.project.region
    endpoint = args.endpoint_url or (
        emulator_endpoint(_emulator_port(args, manifest))
        if args.local
        else os.environ.get("AWS_ENDPOINT_URL")
    )
    if args.local:
        session = boto3.session.Session(
            aws_access_key_id=LOCAL_ACCESS_KEY,
            aws_secret_access_key=LOCAL_SECRET_KEY,
            region_name=region,
        )
        return session.client("sqs", endpoint_url=endpoint), None
    session = boto3.session.Session(region_name=region)
    return session.client("sqs", endpoint_url=endpoint), session.client(
        "cloudwatch", endpoint_url=endpoint
    )


def _emulator_port(args: argparse.Namespace, manifest: Manifest) -> int:
    """``--emulator-port``, else the running ``trellis dev``'s, else the default."""
    from trellis.local.state import read_state

    if args.emulator_port is not None:
        return int(args.emulator_port)
    root = Path(args.manifest).resolve().parent
    state = read_state(root, environment(manifest, args.environment))
    return state.emulator_port if state is not None else EMULATOR_PORT


def _urls(args: argparse.Namespace, manifest: Manifest, sqs: Any) -> tuple[str, str]:
    if args.queue not in manifest.specs(QUEUE):
        raise UsageError(
            f"unknown queue {args.queue!r} (queues: {', '.join(manifest.specs(QUEUE)) or 'none'})"
        )
    env = environment(manifest, args.environment)
    fifo = manifest.specs(QUEUE)[args.queue].fifo
    project = manifest.project.name
    main = sqs.get_queue_url(QueueName=naming.queue_name(project, env, args.queue, fifo=fifo))[
        "QueueUrl"
    ]
    dlq = sqs.get_queue_url(
        QueueName=naming.queue_name(project, env, args.queue, fifo=fifo, dlq=True)
    )["QueueUrl"]
    return str(main), str(dlq)


def _age(seconds: float | None) -> str:
    return "unknown (no CloudWatch data)" if seconds is None else f"{seconds:.0f} s"


def _stats(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.ops import queue_stats

    sqs, cloudwatch = _clients(args, manifest)
    main, dlq = _urls(args, manifest, sqs)
    s = queue_stats(sqs, main, dlq, cloudwatch=cloudwatch)
    if args.json:
        print_json(
            {
                "queue": args.queue,
                "url": main,
                "dlq_url": dlq,
                "visible": s.visible,
                "in_flight": s.in_flight,
                "delayed": s.delayed,
                "oldest_age_s": s.oldest_age_s,
                "dlq": {
                    "visible": s.dlq_visible,
                    "in_flight": s.dlq_in_flight,
                    "oldest_age_s": s.dlq_oldest_age_s,
                },
            }
        )
        return 0
    print(f"queue {args.queue}  ({main.rsplit('/', 1)[-1]})")
    rows = [
        ["visible", str(s.visible)],
        ["in flight", str(s.in_flight)],
        ["delayed", str(s.delayed)],
        ["oldest", _age(s.oldest_age_s)],
        [
            "DLQ",
            f"{s.dlq_visible} visible, {s.dlq_in_flight} in flight, "
            f"oldest {_age(s.dlq_oldest_age_s)}",
        ],
    ]
    for line in table(rows, indent="  "):
        print(line)
    return 0


def _redrive(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.ops import redrive

    sqs, _ = _clients(args, manifest)
    main, dlq = _urls(args, manifest, sqs)
    result = redrive(sqs, dlq, main, max_messages=args.max_messages, log=lambda m: print(f"  {m}"))
    print(
        f"moved {result.moved} message(s) from {dlq.rsplit('/', 1)[-1]} to {main.rsplit('/', 1)[-1]} ({result.method})"
    )
    if result.failed:
        print(
            f"trellis queue redrive: {result.failed} message(s) could not be sent and stay "
            "in the DLQ",
            file=sys.stderr,
        )
        return 1
    return 0
