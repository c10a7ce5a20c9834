"""`trellis iam show|deploy|verify`: the IAM policies the manifest derives, and the proof that
each granted action is needed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from trellis.cli._common import (
    Progress,
    UsageError,
    add_json_option,
    environment,
    print_json,
    service,
)
from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    iam = sub.add_parser("iam", help="IAM policies derived from the manifest")
    iam_sub = iam.add_subparsers(dest="iam_command", required=True, metavar="IAM_COMMAND")
    show = iam_sub.add_parser("show", help="print a service's execution-role policy as JSON")
    show.add_argument("service")
    show.add_argument(
        "--env", dest="environment", help="environment (default: the manifest's first)"
    )
    show.add_argument("--account-id", default="123456789012")
    add_json_option(show, "the service, environment and policy document")
    show.set_defaults(run=_iam_show)

    deploy = iam_sub.add_parser(
        "deploy",
        help="what an environment's deploy role, its boundary, the plan role and the state "
        "bucket allow (ARNs resolved)",
    )
    deploy.add_argument("environment", metavar="ENV")
    deploy.add_argument(
        "--account",
        "--account-id",
        dest="account_id",
        default="123456789012",
        help="AWS account id to resolve ARNs for (default: %(default)s)",
    )
    deploy.add_argument("--partition", default="aws", help="aws, aws-us-gov, aws-cn")
    deploy.add_argument("--json", action="store_true", help="the policy documents as JSON")
    deploy.set_defaults(run=_iam_deploy)

    verify = iam_sub.add_parser(
        "verify",
        help="prove each granted action is needed: run the services' tests under their "
        "policies, then withhold each action in turn",
    )
    verify.add_argument(
        "--env", dest="environment", help="environment (default: the manifest's first)"
    )
    verify.add_argument(
        "--service",
        action="append",
        dest="services",
        help="verify only this service (repeatable; default: all)",
    )
    verify.add_argument(
        "--tests",
        action="append",
        type=Path,
        help="test path to run (repeatable; default: every service's <path>/tests)",
    )
    add_json_option(verify, "every grant, the test that needs it and the totals")
    verify.set_defaults(run=_iam_verify)


def _iam_show(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.iam import Arns, service_policy

    env = environment(manifest, args.environment)
    arns = Arns(region=manifest.project.region, account_id=args.account_id)
    policy = service_policy(manifest, service(manifest, args.service), env, arns)
    if args.json:
        # The document alone is JSON already; --json adds what it is the policy of.
        print_json({"service": args.service, "env": env, "policy": policy})
        return 0
    print(json.dumps(policy, indent=2))
    return 0


def _iam_deploy(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.infra._deploy import Account, deploy_documents

    if args.environment not in manifest.project.environments:
        raise UsageError(
            f"{args.environment}: not one of {', '.join(manifest.project.environments)}"
        )
    if not args.account_id.isdigit() or len(args.account_id) != 12:
        raise UsageError(f"--account {args.account_id}: an AWS account id has 12 digits")
    account = Account(args.account_id, args.partition, manifest.project.region)
    docs = deploy_documents(manifest, args.environment, account)
    if args.json:
        print(json.dumps(docs, indent=2))
        return 0
    env = args.environment
    deploy = docs["deploy_role"]
    sections = [
        (
            f"{deploy['name']}: deploys {env} (GitHub environment {env}, terraform.yaml)",
            [st for doc in deploy["policies"] for st in doc["Statement"]],
        ),
        (
            f"{docs['boundary']['name']}: boundary of every role {deploy['name']} creates",
            docs["boundary"]["policy"]["Statement"],
        ),
        (
            f"{docs['plan_role']['name']}: pull-request plans "
            f"(reads {docs['plan_role']['environment']}'s state, plans with -refresh=false)",
            docs["plan_role"]["policy"]["Statement"],
        ),
        (
            f"{docs['state_bucket']['name']}: the state bucket's policy",
            docs["state_bucket"]["policy"]["Statement"],
        ),
    ]
    for title, statements in sections:
        print(title)
        for st in statements:
            _print_statement(st)
        print()
    return 0


def _print_statement(st: dict[str, object]) -> None:
    def listed(key: str) -> str:
        value = st.get(key)
        return ", ".join(value) if isinstance(value, list) else str(value)

    actions = listed("Action") if "Action" in st else "everything but " + listed("NotAction")
    resources = listed("Resource") if "Resource" in st else "all but " + listed("NotResource")
    print(f"  {st['Effect']:<5}  {st['Sid']}: {actions}")
    print(f"         on {resources}")
    conditions = st.get("Condition")
    if isinstance(conditions, dict):
        for test, pairs in conditions.items():
            for key, values in pairs.items():
                print(f"         when {test} {key} = {', '.join(values)}")


def _iam_verify(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.local.verify import default_test_paths, verify

    env = environment(manifest, args.environment)
    for name in args.services or []:
        service(manifest, name)
    root = Path(args.manifest).resolve().parent
    tests = [p if p.is_absolute() else (Path.cwd() / p) for p in args.tests or []]
    for path in tests:
        if not path.exists():
            raise UsageError(f"--tests {path}: no such file or directory")
    if not tests and not default_test_paths(manifest, root):
        raise UsageError("no <service path>/tests directory found; pass --tests")

    progress = Progress("trellis iam verify")
    report = verify(
        manifest, root, env, tests=tests or None, services=args.services, progress=progress
    )
    proven = sum(1 for r in report.results if r.needed_by)
    if args.json:
        print_json(
            {
                "ok": report.ok,
                "env": env,
                "baseline_ok": report.baseline_ok,
                "grants": [
                    {
                        "service": r.service,
                        "action": r.action,
                        "resource": r.resource,
                        "sid": r.sid,
                        "status": r.status,
                        "needed_by": r.needed_by or None,
                        "used_by": r.used_by,
                    }
                    for r in report.results
                ],
                "denied_in_baseline": [
                    {"service": svc, "action": action, "test": test}
                    for svc, action, test in dict.fromkeys(report.denied_in_baseline)
                ],
                "needed": proven,
                "not_checked_locally": sum(
                    1 for r in report.results if r.unchecked and not r.needed_by
                ),
                "total": len(report.results),
                "pytest_runs": report.pytest_runs,
                "seconds": round(report.seconds, 1),
            }
        )
        if not report.baseline_ok:
            print(report.baseline_output[-4000:], file=sys.stderr)
        return 0 if report.ok else 1
    if not report.baseline_ok:
        print(report.baseline_output[-4000:], file=sys.stderr)
        print(
            "trellis iam verify: the tests fail under the services' policies (see above): a "
            "permission is missing from the manifest, or a test is broken",
            file=sys.stderr,
        )
        return 1
    print(report.table())
    for svc, action, test in dict.fromkeys(report.denied_in_baseline):
        print(f"note: {svc} was denied {action} in {test} (the test passed anyway)")
    unchecked = sum(1 for r in report.results if r.unchecked and not r.needed_by)
    print(
        f"\n{proven} of {len(report.results)} grants (action on a resource) needed by a test "
        f"({report.pytest_runs} pytest runs, {report.seconds:.1f} s)"
        + (f"; {unchecked} not checked locally (kms: grants, see docs/iam.md)" if unchecked else "")
    )
    if not report.ok:
        print(
            f"trellis iam verify: {len(report.results) - proven - unchecked} grant(s) no test needs "
            "(see the table): remove them from the manifest, or add a test that uses them",
            file=sys.stderr,
        )
    return 0 if report.ok else 1
