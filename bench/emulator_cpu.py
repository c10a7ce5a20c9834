"""The emulator's own cost per operation, in process: no sockets, no client threads, one core.

    uv run python bench/emulator_cpu.py                          # patch set off vs on
    uv run python bench/emulator_cpu.py --baseline-src ../main/src

The HTTP figures of ``emulator_workload.py`` swing by 15-20 % between runs on
a shared machine. This drives moto's WSGI application directly (werkzeug's
test client, requests signed with SigV4, IAM enforced as ``trellis dev`` runs
it), one variant per child process, alternating, and counts operations per
CPU second of that process (the client's work included): what other processes
take of the machine does not count. Same operations as ``emulator_workload.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROWS = [
    "SQS batch send+receive+delete, msgs/s",
    "DynamoDB PutItem (conditional), ops/s",
    "DynamoDB GetItem (consistent), ops/s",
    "DynamoDB Query Limit=10, ops/s",
    "S3 PutObject 1 KiB, ops/s",
    "S3 GetObject 1 KiB, ops/s",
]


def child(seconds: float, items: int, calls: bool = False) -> None:
    """Measure in this process; print one JSON list of rates."""
    os.environ.setdefault("MOTO_PORT", "5000")
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.test import Client

    from trellis.local import _moto_speedups, emulator, iam_enforcement

    emulator._serialize_dynamodb()
    _moto_speedups.apply()
    if os.environ.get("TRELLIS_EMULATOR_FIDELITY", "1") != "0":
        try:
            from trellis.local import _fidelity
        except ImportError:  # a baseline from before the patch set
            pass
        else:
            _fidelity.apply()
    iam_enforcement.install(
        account_id=emulator.LOCAL_ACCOUNT_ID,
        admin_keys=emulator.ADMIN_KEYS,
        log_path=None,
    )
    client = Client(DomainDispatcherApplication(create_backend_app))
    credentials = Credentials(emulator.LOCAL_ACCESS_KEY, emulator.LOCAL_SECRET_KEY)

    def call(service: str, target: str, body: dict[str, Any]) -> dict[str, Any]:
        prefix = {"sqs": "AmazonSQS", "dynamodb": "DynamoDB_20120810"}[service]
        data = json.dumps(body)
        headers = {
            "X-Amz-Target": f"{prefix}.{target}",
            "Content-Type": "application/x-amz-json-1.0",
        }
        request = AWSRequest(
            method="POST", url="http://localhost:5000/", data=data, headers=headers
        )
        SigV4Auth(credentials, service, "us-east-1").add_auth(request)
        response = client.post(
            "http://localhost:5000/",
            data=data,
            headers={**request.headers, "Host": "localhost:5000"},
        )
        if response.status_code >= 300:
            raise RuntimeError(response.get_data(as_text=True))
        return dict(json.loads(response.get_data() or b"{}"))

    def s3(method: str, path: str, body: bytes = b"") -> bytes:
        request = AWSRequest(method=method, url=f"http://localhost:5000{path}", data=body)
        S3SigV4Auth(credentials, "s3", "us-east-1").add_auth(request)
        response = client.open(
            f"http://localhost:5000{path}",
            method=method,
            data=body,
            headers={**request.headers, "Host": "localhost:5000"},
        )
        if response.status_code >= 300:
            raise RuntimeError(response.get_data(as_text=True))
        return bytes(response.get_data())

    queue = call("sqs", "CreateQueue", {"QueueName": "bench"})["QueueUrl"]
    call(
        "dynamodb",
        "CreateTable",
        {
            "TableName": "bench",
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    for start in range(0, items, 25):
        call(
            "dynamodb",
            "BatchWriteItem",
            {
                "RequestItems": {
                    "bench": [
                        {
                            "PutRequest": {
                                "Item": {
                                    "pk": {"S": f"p{i % 100}"},
                                    "sk": {"S": f"{i:06d}"},
                                    "v": {"S": "x" * 100},
                                }
                            }
                        }
                        for i in range(start, min(items, start + 25))
                    ]
                }
            },
        )
    s3("PUT", "/bench")
    counter = iter(range(10**9))

    def sqs_round() -> int:
        call(
            "sqs",
            "SendMessageBatch",
            {
                "QueueUrl": queue,
                "Entries": [{"Id": str(i), "MessageBody": f"m{i}"} for i in range(10)],
            },
        )
        got = call("sqs", "ReceiveMessage", {"QueueUrl": queue, "MaxNumberOfMessages": 10}).get(
            "Messages", []
        )
        if got:
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)
            ]
            call("sqs", "DeleteMessageBatch", {"QueueUrl": queue, "Entries": entries})
        return len(got)

    def put() -> int:
        n = next(counter)
        item = {"pk": {"S": f"new{n % 50}"}, "sk": {"S": str(n)}, "v": {"S": "y"}}
        call(
            "dynamodb",
            "PutItem",
            {"TableName": "bench", "Item": item, "ConditionExpression": "attribute_not_exists(pk)"},
        )
        return 1

    def get() -> int:
        n = next(counter)
        key = {"pk": {"S": f"p{n % 100}"}, "sk": {"S": f"{n % 100:06d}"}}
        call("dynamodb", "GetItem", {"TableName": "bench", "Key": key, "ConsistentRead": True})
        return 1

    def query() -> int:
        n = next(counter)
        call(
            "dynamodb",
            "Query",
            {
                "TableName": "bench",
                "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": {"S": f"p{n % 100}"}},
                "Limit": 10,
            },
        )
        return 1

    def s3_put() -> int:
        s3("PUT", f"/bench/k{next(counter) % 200}", b"x" * 1024)
        return 1

    def s3_get() -> int:
        s3("GET", "/bench/k1")
        return 1

    s3_put()
    s3("PUT", "/bench/k1", b"x" * 1024)
    rates = []
    for operation in (sqs_round, put, get, query, s3_put, s3_get):
        operation()  # warm
        if calls:
            # Python function calls per unit of work: the same on a busy machine as on an idle one.
            import cProfile
            import pstats

            profile, done = cProfile.Profile(), 0
            profile.enable()
            for _ in range(50):
                done += operation()
            profile.disable()
            rates.append(pstats.Stats(profile).total_calls / done)
            continue
        # Per CPU second of this process: what other processes take of the cores does not count.
        done, started, cpu = 0, time.perf_counter(), time.process_time()
        while time.perf_counter() - started < seconds:
            done += operation()
        rates.append(done / (time.process_time() - cpu))
    print(json.dumps(rates))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument(
        "--baseline-src", help="the baseline runs from this src/ directory (e.g. main's)"
    )
    parser.add_argument(
        "--calls",
        action="store_true",
        help="count Python function calls per unit instead of timing",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.seconds, args.items, args.calls)
        return 0
    if args.baseline_src:
        variants = {"baseline": {"PYTHONPATH": args.baseline_src}, "this checkout": {}}
    else:
        variants = {"patch set off": {"TRELLIS_EMULATOR_FIDELITY": "0"}, "patch set on": {}}
    results: dict[str, list[list[float]]] = defaultdict(list)
    for round_number in range(args.rounds):
        order = list(variants.items())
        if round_number % 2:
            order.reverse()
        for label, env in order:
            output = subprocess.run(
                [
                    sys.executable,
                    str(Path(__file__)),
                    "--child",
                    "--seconds",
                    str(args.seconds),
                    "--items",
                    str(args.items),
                    *(["--calls"] if args.calls else []),
                ],
                env={**os.environ, **env},
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            results[label].append(json.loads(output.strip().splitlines()[-1]))
    labels = list(variants)
    unit = "function calls per unit" if args.calls else "per CPU second"
    print(f"| operation (in process, IAM on, {unit}) | {' | '.join(labels)} | ratio |")
    print("| --- |" + " ---: |" * (len(labels) + 1))
    for row, what in enumerate(ROWS):
        if args.calls:
            what = what.rsplit(",", 1)[0] + ", per message" if row == 0 else what.rsplit(",", 1)[0]
        medians = [statistics.median(r[row] for r in results[label]) for label in labels]
        print(
            f"| {what} | "
            + " | ".join(f"{m:,.0f}" for m in medians)
            + f" | {medians[1] / medians[0]:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
