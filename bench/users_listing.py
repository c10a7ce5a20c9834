"""Listing users: a bounded GSI page vs. the guide's single ``scan()``, on one table.

    uv run python bench/users_listing.py [--users 20000] [--page 50] [--pages 5]

Starts its own emulator, provisions the example manifest's ``users`` table
(keys and the ``by_created`` GSI), fills it with ``--users`` users plus their
email uniqueness items (as the api writes them) via ``BatchWriteItem``, then
measures, in the same run:

- ``UsersRepository.list(page)``: first page and ``--pages`` pages deep,
  with DynamoDB's ``ScannedCount`` (items read) per page;
- the guide's listing, one ``scan(TableName=...)`` call: items read, items
  returned (and how many of them are users), and whether it silently stopped
  at the 1 MB page limit;
- once, what a correct scan-based listing costs: following ``LastEvaluatedKey``
  to the end.

The three timed listings alternate within each repeat (same noise for all).

The emulator's latency is its own (it scans in memory for every query), so
read the item counts as the result and the latencies as ratios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._stacks import api_stack_manifest  # noqa: E402

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
            api_stack_manifest("bench"), "dev", emulator.client, account_id=LOCAL_ACCOUNT_ID
        )
        table = addresses.address("table", "users")
        dynamodb = emulator.client("dynamodb", read_timeout_s=120)
        fill_s = fill(dynamodb, table, args.users)
        users = UsersRepository(dynamodb, table)

        first = users.list(args.page, None)
        cursor = first.next_cursor
        for _ in range(args.pages - 1):
            cursor = users.list(args.page, cursor).next_cursor
        deep = users.list(args.page, cursor)

        # Interleaved: each repeat times the three listings one after the other.
        samples: dict[str, list[float]] = {"first": [], "deep": [], "scan": []}
        scan: dict[str, Any] = {}
        for _ in range(args.repeat):
            for name, call in (
                ("first", lambda: users.list(args.page, None)),
                ("deep", lambda: users.list(args.page, cursor)),
                ("scan", lambda: dynamodb.scan(TableName=table)),
            ):
                started = time.perf_counter()
                result = call()
                samples[name].append((time.perf_counter() - started) * 1000)
                if name == "scan":
                    scan = result
        ms = {name: statistics.median(values) for name, values in samples.items()}

        # What a correct scan-based listing costs: follow LastEvaluatedKey to the end (once).
        full_read, full_calls, full_users, key = 0, 0, 0, None
        started = time.perf_counter()
        while True:
            kwargs: dict[str, Any] = {"TableName": table}
            if key:
                kwargs["ExclusiveStartKey"] = key
            page = dynamodb.scan(**kwargs)
            full_calls += 1
            full_read += page["ScannedCount"]
            full_users += sum(1 for it in page["Items"] if "list_pk" in it)
            key = page.get("LastEvaluatedKey")
            if not key:
                break
        full_ms = (time.perf_counter() - started) * 1000

        total = args.users * 2
        scan_users = sum(1 for it in scan["Items"] if "list_pk" in it)
        truncated = "LastEvaluatedKey" in scan
        print(
            report(
                args,
                total=total,
                fill_s=fill_s,
                first=first,
                deep=deep,
                scan=scan,
                scan_users=scan_users,
                truncated=truncated,
                ms=ms,
                full=(full_calls, full_read, full_users, full_ms),
            )
        )
    finally:
        emulator.stop()


def report(
    args: argparse.Namespace,
    *,
    total: int,
    fill_s: float,
    first: Any,
    deep: Any,
    scan: dict[str, Any],
    scan_users: int,
    truncated: bool,
    ms: dict[str, float],
    full: tuple[int, int, int, float],
) -> str:
    full_calls, full_read, full_users, full_ms = full
    page = args.page
    first_label = f"Trellis: GSI page, `limit={page}` (first)"
    deep_label = f"Trellis: GSI page, `limit={page}` (page {args.pages + 1})"
    rows = [
        (first_label, first.scanned_count, len(first.items), len(first.items), ms["first"]),
        (deep_label, deep.scanned_count, len(deep.items), len(deep.items), ms["deep"]),
        ("guide: one `scan()` call", scan["ScannedCount"], scan["Count"], scan_users, ms["scan"]),
    ]
    lines = [
        f"### Users listing ({args.users} users + {args.users} email uniqueness items = "
        f"{total} items, filled with `BatchWriteItem` in {fill_s:.1f} s; medians of "
        f"{args.repeat} interleaved repeats)",
        "",
        "| listing | items read (`ScannedCount`) | items returned | users among them | median ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [f"| {n} | {r} | {c} | {u} | {t:.1f} |" for n, r, c, u, t in rows]
    lines += [
        f"| guide, made correct: `scan()` following `LastEvaluatedKey` ({full_calls} call{'s' if full_calls > 1 else ''}, once) "
        f"| {full_read} | {full_read} | {full_users} | {full_ms:.1f} |",
        "",
        f"Items read per listing, guide's scan / Trellis page: "
        f"**{scan['ScannedCount'] / max(first.scanned_count, 1):.0f}x**; latency ratio "
        f"(scan / first page, emulator): **{ms['scan'] / ms['first']:.1f}x**. "
        f"Page {args.pages + 1} reads {deep.scanned_count} items, the first "
        f"{first.scanned_count}: a page costs the same however deep it is.",
        "",
        (
            f"The guide's `scan()` is not only slower, it is wrong: it stopped at DynamoDB's 1 MB "
            f"page (`LastEvaluatedKey` set) and returned {scan['Count']} of the table's {total} "
            f"items, of which {scan_users} are users (of {args.users}); the others are email "
            f"uniqueness items a listing must not show. Which items the first page holds "
            f"depends on the table's internal order (the emulator's: key order; DynamoDB's: "
            f"hash order), never on what the caller asked for."
            if truncated
            else f"The guide's `scan()` read the whole table in one page at this size (under "
            f"1 MB) and returned {scan['Count']} items, of which {scan_users} are users: the "
            f"others are email uniqueness items a listing must not show."
        ),
        "",
        "The emulator answers a `Query` with `Limit` by scanning in memory, so its latencies "
        "overstate a page's cost; the items-read counts are what DynamoDB bills and does.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
