"""`trellis queue stats|redrive <queue>`: operate a queue and its DLQ.

Against AWS by default (credentials and region from the usual places), or the
local emulator with ``--local`` (``trellis dev`` must be running).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from trellis import naming
from trellis.cli._common import UsageError, environment
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
            default=EMULATOR_PORT,
            help="with --local: the port `trellis dev --emulator-port` gave (default: %(default)s)",
        )
        parser.add_argument("--endpoint-url", help="an AWS-compatible endpoint (default: AWS)")
    stats.set_defaults(run=_stats)
    redrive.set_defaults(run=_redrive)


def _clients(args: argparse.Namespace, manifest: Manifest) -> tuple[Any, Any]:
    import boto3

    from trellis.local.emulator import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, emulator_endpoint

    region = manifest.project.region
    endpoint = args.endpoint_url or (
        emulator_endpoint(args.emulator_port) if args.local else os.environ.get("AWS_ENDPOINT_URL")
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
    print(f"queue {args.queue}  ({main.rsplit('/', 1)[-1]})")
    print(f"  visible      {s.visible}")
    print(f"  in flight    {s.in_flight}")
    print(f"  delayed      {s.delayed}")
    print(f"  oldest       {_age(s.oldest_age_s)}")
    print(
        f"  DLQ          {s.dlq_visible} visible, {s.dlq_in_flight} in flight, oldest {_age(s.dlq_oldest_age_s)}"
    )
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
        print(f"{result.failed} message(s) could not be sent and stay in the DLQ")
        return 1
    return 0
