"""A small AWS workload against emulators, alternating rounds: what a patch set or an engine costs.

    uv run python bench/emulator_workload.py                     # patch set off vs on (IAM on both)
    uv run python bench/emulator_workload.py --baseline-src ../main/src   # another checkout's emulator vs this one
    uv run python bench/emulator_workload.py --peer http://127.0.0.1:4566 --peer-name MiniStack
    uv run python bench/emulator_workload.py --ministack          # starts MiniStack itself

``--ministack`` runs MiniStack (``ministack`` 1.5.33 on PyPI, a pure-Python AWS
emulator) from its own tool environment (``uv tool run``: it pins a botocore of
its own) on a free port, and stops it afterwards.

One client thread. Per round and emulator: SQS send batch of 10 + receive 10 +
delete batch (messages/s, the queue stays shallow); DynamoDB conditional
PutItem, consistent GetItem and Query ``Limit=10`` on a table of
``--items`` items (ops/s); S3 PutObject and GetObject of 1 KiB (ops/s).
Rounds alternate between the emulators so both see the same noise; the
figures are medians over the rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from botocore.config import Config

from trellis.local.emulator import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, Emulator, free_port

ROWS = [
    ("SQS batch send+receive+delete", "msgs/s"),
    ("DynamoDB PutItem (conditional)", "ops/s"),
    ("DynamoDB GetItem (consistent)", "ops/s"),
    ("DynamoDB Query Limit=10", "ops/s"),
    ("DynamoDB UpdateItem (conditional)", "ops/s"),
    ("DynamoDB TransactWriteItems (Put + Update)", "ops/s"),
    ("S3 PutObject 1 KiB", "ops/s"),
    ("S3 GetObject 1 KiB", "ops/s"),
]


class Target:
    def __init__(self, label: str, endpoint: str, items: int) -> None:
        import boto3

        self.label = label
        config = Config(
            retries={"mode": "standard", "max_attempts": 2}, s3={"addressing_style": "path"}
        )

        def client(service: str) -> Any:
            return boto3.client(
                service,  # type: ignore[call-overload]
                region_name="us-east-1",
                endpoint_url=endpoint,
                aws_access_key_id=LOCAL_ACCESS_KEY,
                aws_secret_access_key=LOCAL_SECRET_KEY,
                config=config,
            )

        self.sqs, self.ddb, self.s3 = client("sqs"), client("dynamodb"), client("s3")
        tag = uuid.uuid4().hex[:8]
        self.queue = self.sqs.create_queue(QueueName=f"bench-{tag}")["QueueUrl"]
        self.table = f"bench-{tag}"
        self.ddb.create_table(
            TableName=self.table,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for start in range(0, items, 25):
            self.ddb.batch_write_item(
                RequestItems={
                    self.table: [
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
            )
        self.bucket = f"bench-{tag}"
        self.s3.create_bucket(Bucket=self.bucket)
        self.s3.put_object(Bucket=self.bucket, Key="k1", Body=b"x" * 1024)
        self.n = 0

    def sqs_round(self) -> int:
        self.sqs.send_message_batch(
            QueueUrl=self.queue, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(10)]
        )
        got = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if got:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)
                ],
            )
        return len(got)

    def put(self) -> int:
        self.n += 1
        self.ddb.put_item(
            TableName=self.table,
            Item={"pk": {"S": f"new{self.n % 50}"}, "sk": {"S": str(self.n)}, "v": {"S": "y"}},
            ConditionExpression="attribute_not_exists(pk)",
        )
        return 1

    def get(self) -> int:
        self.n += 1
        self.ddb.get_item(
            TableName=self.table,
            Key={"pk": {"S": f"p{self.n % 100}"}, "sk": {"S": f"{self.n % 100:06d}"}},
            ConsistentRead=True,
        )
        return 1

    def query(self) -> int:
        self.n += 1
        self.ddb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": f"p{self.n % 100}"}},
            Limit=10,
        )
        return 1

    def update(self) -> int:
        self.n += 1
        self.ddb.update_item(
            TableName=self.table,
            Key={"pk": {"S": f"p{self.n % 100}"}, "sk": {"S": f"{self.n % 100:06d}"}},
            UpdateExpression="SET #c = if_not_exists(#c, :zero) + :one, touched = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#c": "count"},
            ExpressionAttributeValues={
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":now": {"S": str(self.n)},
            },
        )
        return 1

    def transact(self) -> int:
        self.n += 1
        self.ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": {"pk": {"S": f"tx{self.n}"}, "sk": {"S": "a"}, "v": {"S": "y"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": {
                            "pk": {"S": f"p{self.n % 100}"},
                            "sk": {"S": f"{self.n % 100:06d}"},
                        },
                        "UpdateExpression": "SET last_tx = :n",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": {":n": {"S": str(self.n)}},
                    }
                },
            ]
        )
        return 1

    def s3_put(self) -> int:
        self.n += 1
        self.s3.put_object(Bucket=self.bucket, Key=f"k{self.n % 200}", Body=b"x" * 1024)
        return 1

    def s3_get(self) -> int:
        self.s3.get_object(Bucket=self.bucket, Key="k1")["Body"].read()
        return 1

    def operations(self) -> list[Callable[[], int]]:
        return [
            self.sqs_round,
            self.put,
            self.get,
            self.query,
            self.update,
            self.transact,
            self.s3_put,
            self.s3_get,
        ]


@contextmanager
def ministack(version: str) -> Iterator[str]:
    """MiniStack on a free port of 127.0.0.1, from its own tool environment: its endpoint."""
    import os
    import subprocess
    import urllib.request

    port = free_port()
    process = subprocess.Popen(
        ["uv", "tool", "run", "--from", f"ministack=={version}", "ministack"],
        env={**os.environ, "GATEWAY_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(endpoint, timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("MiniStack did not start (is `uv` on PATH?)") from None
                time.sleep(0.5)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def rate(operation: Callable[[], int], seconds: float) -> float:
    done = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        done += operation()
    return done / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0, help="per operation, per round")
    parser.add_argument("--items", type=int, default=1000, help="items in the DynamoDB table")
    parser.add_argument(
        "--peer",
        help="endpoint of another emulator, compared with the Trellis emulator (patch set on)",
    )
    parser.add_argument("--peer-name", default="peer")
    parser.add_argument(
        "--ministack",
        nargs="?",
        const="1.5.33",
        metavar="VERSION",
        help="start MiniStack (this version, default 1.5.33) and compare with it",
    )
    parser.add_argument(
        "--no-iam", action="store_true", help="run the Trellis emulator without IAM enforcement"
    )
    parser.add_argument(
        "--baseline-src", help="run the baseline emulator from this src/ directory (e.g. main's)"
    )
    args = parser.parse_args()
    with ExitStack() as stack:
        targets: list[Target] = []

        def ours(label: str, fidelity: str, src: str | None = None) -> Target:
            # A baseline from another checkout: its src/ first on the emulator's path.
            env = {"TRELLIS_EMULATOR_FIDELITY": fidelity, **({"PYTHONPATH": src} if src else {})}
            emulator = Emulator(port=free_port(), iam=not args.no_iam, extra_env=env).start()
            stack.callback(emulator.stop)
            return Target(label, emulator.endpoint, args.items)

        if args.ministack:
            args.peer, args.peer_name = stack.enter_context(ministack(args.ministack)), "MiniStack"
        if args.peer:
            targets = [ours("Trellis", "1"), Target(args.peer_name, args.peer, args.items)]
        elif args.baseline_src:
            targets = [ours("baseline", "1", args.baseline_src), ours("this checkout", "1")]
        else:
            targets = [ours("patch set off", "0"), ours("patch set on", "1")]
        results: dict[str, dict[int, list[float]]] = {t.label: defaultdict(list) for t in targets}
        for round_number in range(args.rounds):
            order = targets if round_number % 2 == 0 else list(reversed(targets))
            for row in range(len(ROWS)):
                for target in order:
                    results[target.label][row].append(rate(target.operations()[row], args.seconds))
        labels = [t.label for t in targets]
        # Against a peer: Trellis / peer (below 1, the peer is faster); else new / baseline.
        top, bottom = (0, 1) if args.peer else (1, 0)
        print(f"| operation | {' | '.join(labels)} | ratio {labels[top]} / {labels[bottom]} |")
        print("| --- |" + " ---: |" * (len(labels) + 1))
        for row, (what, unit) in enumerate(ROWS):
            medians = [statistics.median(results[label][row]) for label in labels]
            print(
                f"| {what}, {unit} | "
                + " | ".join(f"{m:,.0f}" for m in medians)
                + f" | {medians[top] / medians[bottom]:.2f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
