"""`trellis smoke URL`: after a deploy, every routed service answers ``/health`` and ``/ready``."""

from __future__ import annotations

import argparse
import sys

from trellis.cli._common import UsageError, table
from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    smoke = sub.add_parser(
        "smoke",
        help="after a deploy: GET <url><route>/health and /ready of every routed service",
    )
    smoke.add_argument("url", help="the gateway's URL (terraform output gateway_url)")
    smoke.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to keep retrying (default: 120)"
    )
    smoke.add_argument(
        "--health-only", action="store_true", help="skip /ready (which touches each resource)"
    )
    smoke.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="NAME: VALUE",
        help="send with every request (e.g. 'Authorization: Bearer ...'): then a guarded "
        "/ready must answer 200, not just be refused",
    )
    smoke.set_defaults(run=_smoke)


def _smoke(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.ops.smoke import smoke

    if not args.url.startswith(("https://", "http://")):
        raise UsageError(f"{args.url!r} is not an http(s) URL")
    headers = {}
    for header in args.header:
        name, sep, value = header.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"--header {header!r}: give NAME: VALUE")
        headers[name.strip()] = value.strip()
    results = smoke(
        manifest,
        args.url,
        timeout_s=args.timeout,
        ready=not args.health_only,
        headers=headers or None,
    )
    rows = [
        ["ok" if r.ok else "FAIL", r.service, r.url, f"{r.detail} ({r.attempts} attempt(s))"]
        for r in results
    ]
    for line in table(rows):
        print(line)
    if not results:
        print("trellis smoke: no service has a route; nothing to check")
    failed = [r for r in results if not r.ok]
    if failed:
        print(
            f"trellis smoke: {len(failed)} of {len(results)} check(s) failed: "
            + "; ".join(f"{r.service} {r.url}: {r.detail}" for r in failed),
            file=sys.stderr,
        )
    return 0 if not failed else 1
