"""`trellis init`, `trellis new service`, `trellis add` and `trellis remove`.

Each command builds its whole plan first (manifest, code, rendered Terraform),
validates it, then writes it — or, with ``--dry-run``, prints its diff.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from trellis import naming
from trellis.manifest import ACCESS_LEVELS, AUTH_MODES, Manifest
from trellis.naming import ResourceKind

_RUNTIMES = ("lambda", "apprunner", "ecs-express")
_MODULES = "terraform/modules/"

#: Resource options per kind: (flag, manifest key, argparse keyword arguments).
_OPTIONS: dict[ResourceKind, list[tuple[str, str, dict[str, Any]]]] = {
    "queue": [
        (
            "--visibility-timeout-s",
            "visibility_timeout_s",
            {"type": int, "help": "default: 6x the timeout of a Lambda consumer, at least 30"},
        ),
        (
            "--max-receive-count",
            "max_receive_count",
            {"type": int, "help": "deliveries before the DLQ (default 3)"},
        ),
        (
            "--batch-size",
            "batch_size",
            {"type": int, "help": "messages per Lambda batch (default 10)"},
        ),
        ("--delay-s", "delay_s", {"type": int}),
        ("--fifo", "fifo", {"action": "store_true", "default": None}),
    ],
    "table": [
        ("--hash-key", "hash_key", {"required": True, "help": "partition key attribute"}),
        ("--hash-key-type", "hash_key_type", {"choices": ("S", "N", "B")}),
        ("--range-key", "range_key", {"help": "sort key attribute"}),
        ("--range-key-type", "range_key_type", {"choices": ("S", "N", "B")}),
        ("--ttl-attribute", "ttl_attribute", {}),
    ],
    "bucket": [
        ("--no-versioning", "versioning", {"action": "store_const", "const": False}),
        ("--cors-origin", "cors_origins", {"action": "append", "metavar": "ORIGIN"}),
    ],
    "topic": [
        ("--fifo", "fifo", {"action": "store_true", "default": None}),
        (
            "--subscribe",
            "subscriptions",
            {"action": "append", "metavar": "QUEUE", "help": "deliver to this queue"},
        ),
    ],
    "secret": [
        ("--description", "description", {}),
        (
            "--local-value",
            "local_value",
            {"help": "the value `trellis dev` and tests give it (never deployed)"},
        ),
    ],
    "parameter": [
        ("--value", "value", {"help": "a plain parameter's value (a secure one takes none)"}),
        (
            "--secure",
            "secure",
            {
                "action": "store_true",
                "default": None,
                "help": "SecureString: its value is set with `trellis parameter set`",
            },
        ),
        ("--description", "description", {}),
        (
            "--local-value",
            "local_value",
            {"help": "a secure parameter's value in `trellis dev` and tests (never deployed)"},
        ),
    ],
    "schedule": [
        (
            "--expression",
            "expression",
            {"required": True, "help": "rate(5 minutes) | cron(...) | at(...)"},
        ),
        ("--target", "target", {"required": True, "help": "a queue or a service"}),
        ("--payload", "payload", {"type": json.loads, "help": "JSON object sent to the target"}),
    ],
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = sub.add_parser("init", help="create a new project (manifest, Makefile, CI, one service)")
    init.add_argument("directory", type=Path)
    init.add_argument("--name", help="project name (default: the directory's name)")
    init.add_argument("--region", default="us-east-1")
    init.add_argument("--github-repository", metavar="OWNER/NAME")
    init.add_argument("--environments", default="dev,test,prod", help="comma-separated")
    init.add_argument("--service", default="api", help="the first service (default: api)")
    init.add_argument("--runtime", choices=_RUNTIMES, default="lambda")
    init.add_argument("--route", help="its gateway prefix (default: /<service>)")
    init.add_argument(
        "--auth",
        choices=AUTH_MODES,
        default="jwt",
        help="who may call it through the gateway (default: %(default)s; /health stays open)",
    )
    init.add_argument(
        "--trellis-source",
        metavar="PATH_OR_GIT_URL",
        help="where the project gets trellis (default: where this trellis is installed from)",
    )
    _dry_run(init)
    init.set_defaults(run=_init, needs_manifest=False)

    new = sub.add_parser("new", help="create a service: `trellis new service NAME`")
    new_sub = new.add_subparsers(dest="what", required=True, metavar="service")
    service = new_sub.add_parser("service", help="backend/<name>/, its manifest entry, Terraform")
    service.add_argument("name")
    service.add_argument("--runtime", choices=_RUNTIMES, default="lambda")
    service.add_argument("--route", help="gateway path prefix (default: /<name>)")
    service.add_argument(
        "--auth",
        choices=AUTH_MODES,
        default="jwt",
        help="who may call it through the gateway (default: %(default)s; /health stays open)",
    )
    _dry_run(service)
    service.set_defaults(run=_new_service, needs_manifest=False)

    add = sub.add_parser("add", help="declare a resource and give services access to it")
    add_sub = add.add_subparsers(dest="kind", required=True, metavar="KIND")
    remove = sub.add_parser("remove", help="remove a resource (refused while used, unless --force)")
    remove_sub = remove.add_subparsers(dest="kind", required=True, metavar="KIND")
    for kind in naming.SECTIONS:
        parser = add_sub.add_parser(kind, help=f"add a {kind}")
        parser.add_argument("name")
        for flag, key, kwargs in _OPTIONS[kind]:
            parser.add_argument(flag, dest=f"opt_{key}", **kwargs)
        for level in ACCESS_LEVELS[kind]:
            parser.add_argument(
                f"--{level}",
                dest=f"grant_{level}",
                nargs="+",
                action="extend",
                default=[],
                metavar="SERVICE",
                help=f"services that get {level} access",
            )
        _dry_run(parser)
        parser.set_defaults(run=_add, needs_manifest=False)
        rm = remove_sub.add_parser(kind, help=f"remove a {kind}")
        rm.add_argument("name")
        rm.add_argument("--force", action="store_true", help="also remove every use of it")
        _dry_run(rm)
        rm.set_defaults(run=_remove, needs_manifest=False)


def _dry_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run", action="store_true", help="print the diff it would make; write nothing"
    )


def _manifest_location(args: argparse.Namespace) -> tuple[Path, str]:
    path = Path(args.manifest)
    return path.resolve().parent, path.name


def _finish(title: str, plan: Any, dry_run: bool) -> int:
    changes = plan.changes()
    for note in plan.notes:
        print(f"note: {note}")
    if not changes:
        print(f"{title}: nothing to do, already done")
        return 0
    if dry_run:
        sys.stdout.write(plan.diff())
        print(f"{title}: dry run, {len(changes)} file(s) would change; nothing written")
        return 0
    done = plan.apply()
    print(f"{title}:")
    modules = [rel for _action, rel in done if rel.startswith(_MODULES)]
    for action, rel in done:
        if not rel.startswith(_MODULES):
            print(f"  {action:<8} {rel}")
    if modules:
        print(f"  copied   {_MODULES} ({len(modules)} files: the hand-written Terraform modules)")
    if plan.next_steps:
        print("Next:")
        for step in plan.next_steps:
            print(f"  {step}")
    return 0


def _guard(run: Any) -> int:
    from trellis.scaffold import ScaffoldError

    try:
        return int(run())
    except ScaffoldError as exc:
        print(f"trellis: {exc} (nothing written)", file=sys.stderr)
        return 2


def _init(args: argparse.Namespace, _manifest: Manifest | None) -> int:
    from trellis.scaffold import plan_init

    def run() -> int:
        target = args.directory.resolve()
        plan = plan_init(
            target,
            project=args.name,
            region=args.region,
            github_repository=args.github_repository,
            environments=tuple(e.strip() for e in args.environments.split(",") if e.strip()),
            service=args.service,
            runtime=args.runtime,
            route=args.route,
            auth=args.auth,
            source=args.trellis_source,
        )
        return _finish(f"trellis init {args.directory}", plan, args.dry_run)

    return _guard(run)


def _new_service(args: argparse.Namespace, _manifest: Manifest | None) -> int:
    from trellis.scaffold import Plan, plan_new_service

    def run() -> int:
        root, name = _manifest_location(args)
        plan = plan_new_service(
            Plan(root), name, args.name, runtime=args.runtime, route=args.route, auth=args.auth
        )
        return _finish(f"trellis new service {args.name}", plan, args.dry_run)

    return _guard(run)


def _add(args: argparse.Namespace, _manifest: Manifest | None) -> int:
    from trellis.scaffold import plan_add

    kind: ResourceKind = args.kind
    options = {key: getattr(args, f"opt_{key}") for _flag, key, _kw in _OPTIONS[kind]}
    grants = [
        (level, service)
        for level in ACCESS_LEVELS[kind]
        for service in dict.fromkeys(getattr(args, f"grant_{level}"))
    ]

    def run() -> int:
        root, name = _manifest_location(args)
        plan = plan_add(root, name, kind, args.name, options, grants)
        return _finish(f"trellis add {kind} {args.name}", plan, args.dry_run)

    return _guard(run)


def _remove(args: argparse.Namespace, _manifest: Manifest | None) -> int:
    from trellis.scaffold import plan_remove

    def run() -> int:
        root, name = _manifest_location(args)
        plan = plan_remove(root, name, args.kind, args.name, force=args.force)
        return _finish(f"trellis remove {args.kind} {args.name}", plan, args.dry_run)

    return _guard(run)
