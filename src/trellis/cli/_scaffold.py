"""`trellis init`, `trellis new service`, `trellis add` and `trellis remove`.

Each command builds its whole plan first (manifest, code, rendered Terraform),
validates it, then writes it — or, with ``--dry-run``, prints its diff.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from trellis import kinds
from trellis.cli._common import manifest_location, table
from trellis.manifest import AUTH_MODES, Manifest

_RUNTIMES = ("lambda", "apprunner", "ecs-express")
_MODULES = "terraform/modules/"


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
    for entry in kinds.KINDS:
        kind = entry.name
        parser = add_sub.add_parser(kind, help=f"add a {kind}")
        parser.add_argument("name")
        for option in entry.cli_options:
            parser.add_argument(option.flag, dest=f"opt_{option.key}", **option.kwargs)
        for level in entry.levels:
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
    _register_rule(add_sub, remove_sub)


def _register_rule(
    add_sub: argparse._SubParsersAction[argparse.ArgumentParser],
    remove_sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """``add rule BUS RULE`` / ``remove rule BUS RULE``: a rule lives inside its bus."""
    rule = add_sub.add_parser("rule", help="add a rule to an event bus (events.<bus>.rules)")
    rule.add_argument("bus")
    rule.add_argument("name")
    rule.add_argument(
        "--pattern-json",
        required=True,
        type=_json_object,
        metavar="JSON",
        help='EventBridge event pattern, e.g. \'{"detail-type": ["OrderPaid"]}\'',
    )
    rule.add_argument(
        "--target",
        dest="targets",
        action="append",
        required=True,
        metavar="QUEUE_OR_SERVICE",
        help="a standard queue or a Lambda service (repeat for more, at most 5)",
    )
    rule.add_argument("--description")
    _dry_run(rule)
    rule.set_defaults(run=_add_rule, needs_manifest=False)
    rm = remove_sub.add_parser("rule", help="remove a rule from an event bus")
    rm.add_argument("bus")
    rm.add_argument("name")
    _dry_run(rm)
    rm.set_defaults(run=_remove_rule, needs_manifest=False)


def _json_object(text: str) -> dict[str, Any]:
    import json

    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("an event pattern is a JSON object")
    return value


def _add_rule(args: argparse.Namespace, _manifest: Manifest | None) -> int:
    from trellis.scaffold import plan_add_rule

    def run() -> int:
        root, name = manifest_location(args)
        plan = plan_add_rule(
            root,
            name,
            args.bus,
            args.name,
            pattern=args.pattern_json,
            targets=args.targets,
            description=args.description,
        )
        return _finish(f"trellis add rule {args.bus} {args.name}", plan, args.dry_run)

    return _guard(run)


def _remove_rule(args: argparse.Namespace, _manifest: Manifest | None) -> int:
    from trellis.scaffold import plan_remove_rule

    def run() -> int:
        root, name = manifest_location(args)
        plan = plan_remove_rule(root, name, args.bus, args.name)
        return _finish(f"trellis remove rule {args.bus} {args.name}", plan, args.dry_run)

    return _guard(run)


def _dry_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run", action="store_true", help="print the diff it would make; write nothing"
    )


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
    rows = [[action, rel] for action, rel in done if not rel.startswith(_MODULES)]
    if modules:
        rows.append(
            ["copied", f"{_MODULES} ({len(modules)} files: the hand-written Terraform modules)"]
        )
    for line in table(rows, indent="  "):
        print(line)
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
        root, name = manifest_location(args)
        plan = plan_new_service(
            Plan(root), name, args.name, runtime=args.runtime, route=args.route, auth=args.auth
        )
        return _finish(f"trellis new service {args.name}", plan, args.dry_run)

    return _guard(run)


def _add(args: argparse.Namespace, _manifest: Manifest | None) -> int:
    from trellis.scaffold import plan_add

    entry = kinds.kind(args.kind)
    kind = entry.name
    options = {o.key: getattr(args, f"opt_{o.key}") for o in entry.cli_options}
    grants = [
        (level, service)
        for level in entry.levels
        for service in dict.fromkeys(getattr(args, f"grant_{level}"))
    ]

    def run() -> int:
        root, name = manifest_location(args)
        plan = plan_add(root, name, kind, args.name, options, grants)
        return _finish(f"trellis add {kind} {args.name}", plan, args.dry_run)

    return _guard(run)


def _remove(args: argparse.Namespace, _manifest: Manifest | None) -> int:
    from trellis.scaffold import plan_remove

    def run() -> int:
        root, name = manifest_location(args)
        plan = plan_remove(root, name, args.kind, args.name, force=args.force)
        return _finish(f"trellis remove {args.kind} {args.name}", plan, args.dry_run)

    return _guard(run)
