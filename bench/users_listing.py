"""Listing users: a bounded GSI page vs. the guide's single ``scan()``, on one table.

    uv run python bench/users_listing.py [--users 20000] [--page 50] [--pages 5]

Starts its own emulator, provisions the example manifest's ``users`` table
(keys and the ``by_created`` GSI), fills it with ``--users`` users plus their
email uniqueness items (as the api writes them) via ``BatchWriteItem``, then
measures, in the same run:

- ``UsersRepository.list(page)``: first page and ``--pages`` pages deep,
  with DynamoDB's ``ScannedCount`` (items read) per page;
- the guide's listing, one ``scan(TableName=...)`` call: items read, items
  returned, and whether it silently stopped at the 1 MB page limit.

The emulator's latency is its own (it scans in memory for every query), so
read the item counts as the result and the latencies as ratios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.api.tests.conftest import stack_manifest  # noqa: E402

from api.users import UsersRepository  # noqa: E402
from trellis.local.emulator import LOCAL_ACCOUNT_ID, Emulator, free_port  # noqa: E402
from trellis.local.provision import provision  # noqa: E402


def fill(dynamodb: object, table: str, users: int) -> float:
    started = time.perf_counter()
    items = []
    for i in range(users):
        ts = f"2026-01-01T00:{i // 60_000_000:02d}:{(i // 1_000_000) % 60:02d}.{i % 1_000_000:06d}Z"
        email = f"user{i:06d}@example.com"
        items.append(
            {
                "user_id": {"S": f"user{i:06d}"},
                "name": {"S": f"User number {i}"},
                "email": {"S": email},
                "version": {"N": "1"},
                "created_at": {"S": ts},
                "updated_at": {"S": ts},
                "list_pk": {"S": "USER"},
                "list_sk": {"S": f"{ts}#user{i:06d}"},
            }
        )
        items.append({"user_id": {"S": f"EMAIL#{email}"}, "owner": {"S": f"user{i:06d}"}})
    for start in range(0, len(items), 25):
        request = {table: [{"PutRequest": {"Item": it}} for it in items[start : start + 25]]}
        while request:
            response = dynamodb.batch_write_item(RequestItems=request)  # type: ignore[attr-defined]
            request = response.get("UnprocessedItems") or {}
    return time.perf_counter() - started


def timed(fn, repeat: int):  # type: ignore[no-untyped-def]
    samples, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - started) * 1000)
    return result, statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--page", type=int, default=50)
    parser.add_argument("--pages", type=int, default=5, help="how deep the second measurement goes")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    emulator = Emulator(port=free_port()).start()
    try:
        addresses = provision(
            stack_manifest("bench"), "dev", emulator.client, account_id=LOCAL_ACCOUNT_ID
        )
        table = addresses.address("table", "users")
        dynamodb = emulator.client("dynamodb")
        fill_s = fill(dynamodb, table, args.users)
        users = UsersRepository(dynamodb, table)

        first, first_ms = timed(lambda: users.list(args.page, None), args.repeat)
        cursor = first.next_cursor
        for _ in range(args.pages - 1):
            cursor = users.list(args.page, cursor).next_cursor
        deep, deep_ms = timed(lambda: users.list(args.page, cursor), args.repeat)

        scan, scan_ms = timed(lambda: dynamodb.scan(TableName=table), args.repeat)
        truncated = "LastEvaluatedKey" in scan

        total = args.users * 2
        print(
            f"table: {args.users} users + {args.users} email items = {total} items "
            f"(filled in {fill_s:.1f} s)"
        )
        print(f"{'listing':<44} {'items read':>10} {'returned':>9} {'median ms':>10}")
        print(
            f"{'GSI page, limit=' + str(args.page) + ' (first)':<44} "
            f"{first.scanned_count:>10} {len(first.items):>9} {first_ms:>10.1f}"
        )
        print(
            f"{'GSI page, limit=' + str(args.page) + f' (page {args.pages + 1})':<44} "
            f"{deep.scanned_count:>10} {len(deep.items):>9} {deep_ms:>10.1f}"
        )
        print(
            f"{'guide: one scan() call':<44} {scan['ScannedCount']:>10} {scan['Count']:>9} "
            f"{scan_ms:>10.1f}"
        )
        print(
            f"scan stopped at the 1 MB limit (LastEvaluatedKey set): {truncated}; "
            f"it returned {scan['Count']} of {total} items, email items included"
        )
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
