"""``trellis iam verify``: prove each service's policy is sufficient and minimal.

1. **Sufficient**: the services' tests run against the IAM-enforcing emulator,
   each service with its own key and derived policy (``trellis_service``), and
   must pass. The emulator records every decision (user, action, resource) and
   the fixture records which test and service each user belongs to.
2. **Minimal**: for every (action, resource) the manifest grants a service —
   one per statement, so ``dynamodb:PutItem`` on ``files`` and on
   ``job_records`` are two grants — one test that used it runs again with that
   action withheld on that resource only (``TRELLIS_IAM_DENY``,
   ``service:action@Sid``). The grant is proven needed when that run fails
   *and* the emulator denied the action on that resource during it (a failure
   for any other reason proves nothing, so the next test that used it is
   tried). A grant no test used, or whose withholding no test noticed, is
   reported and makes the command fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from trellis.iam import Arns, Statement, service_statements
from trellis.iam_eval import arn_matches
from trellis.local.emulator import LOCAL_ACCOUNT_ID
from trellis.local.processes import child_preexec
from trellis.manifest import Manifest

#: How many tests that used an action are tried with it withheld before giving up.
MAX_CANDIDATES = 3

#: Grants the emulator can never ask for, by action prefix, and why: they are reported
#: as not checked locally instead of failing verification as unused.
NOT_CHECKED_LOCALLY = {
    # Measured (moto 5.2.5): SQS, SNS, S3 (SSE-KMS), DynamoDB, Secrets Manager, SSM
    # SecureString and CloudWatch Logs accept a missing or disabled key and never call KMS
    # on the caller's behalf, so no kms: action is ever authorised (docs/iam.md).
    "kms:": "the emulator never calls KMS on a caller's behalf",
}


def not_checked_locally(action: str) -> str:
    """Why the emulator cannot prove ``action`` needed ("" when it can)."""
    return next((why for p, why in NOT_CHECKED_LOCALLY.items() if action.startswith(p)), "")


@dataclass
class ActionResult:
    """What verification found for one granted action on one resource of one service."""

    service: str
    action: str
    #: The manifest resource (``files``, ``jobs (DLQ)``) and the statement granting it.
    resource: str = ""
    sid: str = ""
    #: The test that failed without the action ("" if none did).
    needed_by: str = ""
    #: Tests that used the action on the resource in the full run.
    used_by: list[str] = field(default_factory=list)
    #: Why the emulator cannot check the grant ("" when it can): see NOT_CHECKED_LOCALLY.
    unchecked: str = ""

    @property
    def status(self) -> str:
        if self.needed_by:
            return "needed"
        if self.unchecked:
            return "not checked locally"
        return "unused" if not self.used_by else "not needed"


@dataclass
class VerifyReport:
    """The outcome of ``trellis iam verify``."""

    results: list[ActionResult]
    baseline_ok: bool
    baseline_output: str = ""
    #: Actions tests asked for but the policy did not grant during the full run.
    denied_in_baseline: list[tuple[str, str, str]] = field(default_factory=list)
    seconds: float = 0.0
    pytest_runs: int = 0

    @property
    def ok(self) -> bool:
        return self.baseline_ok and all(r.needed_by or r.unchecked for r in self.results)

    def table(self) -> str:
        rows = [("SERVICE", "ACTION", "RESOURCE", "TEST THAT NEEDS IT")]
        for r in self.results:
            if r.needed_by:
                verdict = r.needed_by
            elif r.unchecked:
                verdict = f"NOT CHECKED LOCALLY: {r.unchecked}"
            elif r.used_by:
                verdict = f"NOT NEEDED: used by {len(r.used_by)} test(s), none failed without it"
            else:
                verdict = "UNUSED: no test calls it"
            rows.append((r.service, r.action, r.resource, verdict))
        width = [max(len(row[i]) for row in rows) for i in range(3)]
        return "\n".join(
            "  ".join(f"{cell:<{width[i]}}" for i, cell in enumerate(row[:3])) + f"  {row[3]}"
            for row in rows
        )


def granted_actions(manifest: Manifest, env: str) -> dict[str, list[tuple[str, str, str]]]:
    """Every ``(action, resource, sid)`` each service's policy grants, in policy order."""
    arns = Arns(region=manifest.project.region, account_id="123456789012")
    out: dict[str, list[tuple[str, str, str]]] = {}
    for service in manifest.services:
        out[service] = [
            (action, statement.resource, statement.sid)
            for statement in service_statements(manifest, service, env, arns)
            for action in statement.actions
        ]
    return out


class _Grants:
    """Which statement of a service's policy a decision used: its ARN against the patterns.

    The fixture provisions each test under a fresh project name; the user's name
    (``<project>-<env>-<service>``) says which, so the ARNs are that project's.
    """

    def __init__(self, manifest: Manifest, env: str) -> None:
        self.manifest = manifest
        self.env = env
        self._cache: dict[tuple[str, str], list[Statement]] = {}

    def statements(self, user: str, service: str) -> list[Statement]:
        suffix = f"-{self.env}-{service}"
        project = user.removesuffix(suffix) if user.endswith(suffix) else self.manifest.project.name
        key = (project, service)
        if key not in self._cache:
            fresh = self.manifest.model_copy(
                update={"project": self.manifest.project.model_copy(update={"name": project})}
            )
            arns = Arns(region=self.manifest.project.region, account_id=LOCAL_ACCOUNT_ID)
            self._cache[key] = service_statements(fresh, service, self.env, arns)
        return self._cache[key]

    def sids(self, user: str, service: str, action: str, resource: str) -> list[str]:
        """The statements granting ``action`` that cover ``resource``."""
        return [
            st.sid
            for st in self.statements(user, service)
            if any(a.lower() == action.lower() for a in st.actions)
            and any(arn_matches(pattern, resource) for pattern in st.resources)
        ]


def default_test_paths(manifest: Manifest, root: Path) -> list[Path]:
    """``<service path>/tests`` of every service that has one."""
    paths = []
    for service in manifest.services:
        tests = root / manifest.service_path(service) / "tests"
        if tests.is_dir():
            paths.append(tests)
    return paths


@dataclass
class _Run:
    ok: bool
    output: str
    decisions: list[dict[str, object]]
    users: dict[str, tuple[str, str]]
    durations: dict[str, float]
    #: junit key → "passed" / "failed" / "skipped".
    outcomes: dict[str, str]


def _pytest(
    root: Path,
    args: Sequence[str],
    *,
    deny: str | None,
    workdir: Path,
    label: str,
    plan: Path | None = None,
    timeout_s: float | None = None,
) -> _Run:
    decisions = workdir / f"{label}.decisions.jsonl"
    users = workdir / f"{label}.users.jsonl"
    junit = workdir / f"{label}.junit.xml"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"TRELLIS_IAM", "TRELLIS_IAM_DENY", "TRELLIS_IAM_DENY_BY_TEST"}
    }
    env.update({"TRELLIS_IAM_LOG": str(decisions), "TRELLIS_IAM_USERS": str(users)})
    if deny:
        env["TRELLIS_IAM_DENY"] = deny
    if plan is not None:
        env["TRELLIS_IAM_DENY_BY_TEST"] = str(plan)
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(root),
        f"--junitxml={junit}",
        *args,
    ]
    try:
        proc = subprocess.run(
            argv,
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            preexec_fn=child_preexec,  # the run dies with `trellis iam verify`
            timeout=timeout_s,
        )
        ok, output = proc.returncode == 0, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        # A test that hangs without a permission (a thread that never ends) must not
        # hang verification: the run counts as failed, its unfinished tests prove nothing.
        ok, output = False, f"pytest did not finish within {timeout_s} s: {exc}"
    return _Run(
        ok=ok,
        output=output,
        decisions=_read_jsonl(decisions),
        users={str(u["user"]): (str(u["service"]), str(u["test"])) for u in _read_jsonl(users)},
        durations=_junit_durations(junit),
        outcomes=_junit_outcomes(junit),
    )


def _read_jsonl(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _junit_cases(path: Path) -> list[tuple[str, ET.Element]]:
    """``module.path::name`` and its ``testcase`` element, for each test pytest reported."""
    if not path.exists():
        return []
    return [
        (f"{case.get('classname', '')}::{case.get('name', '')}", case)
        for case in ET.parse(path).iter("testcase")  # noqa: S314 - a file pytest just wrote
    ]


def _junit_durations(path: Path) -> dict[str, float]:
    """``module.path::name`` → seconds, to try the quickest test first."""
    return {key: float(case.get("time") or 0) for key, case in _junit_cases(path)}


def _junit_outcomes(path: Path) -> dict[str, str]:
    out = {}
    for key, case in _junit_cases(path):
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            out[key] = "failed"
        elif "skipped" in tags:
            out[key] = "skipped"
        else:
            out[key] = "passed"
    return out


def _junit_key(nodeid: str) -> str:
    path, *rest = nodeid.split("::")
    module = path.removesuffix(".py").replace("/", ".")
    return ".".join([module, *rest[:-1]]) + "::" + (rest[-1] if rest else "")


def verify(
    manifest: Manifest,
    root: Path,
    env: str,
    *,
    tests: Sequence[Path] | None = None,
    services: Sequence[str] | None = None,
    progress: Callable[[str], None] = lambda _line: None,
) -> VerifyReport:
    """Run the tests under least privilege, then withhold each granted action in turn."""
    started = time.perf_counter()
    paths = [str(p) for p in (tests or default_test_paths(manifest, root))]
    granted = granted_actions(manifest, env)
    wanted = list(services or manifest.services)
    with tempfile.TemporaryDirectory(prefix="trellis-iam-verify-") as tmp:
        workdir = Path(tmp)
        progress(f"baseline: running {' '.join(paths)} under each service's policy")
        base = _pytest(root, paths, deny=None, workdir=workdir, label="baseline")
        progress(f"baseline: {'passed' if base.ok else 'FAILED'}")
        runs = 1
        report = VerifyReport([], baseline_ok=base.ok, baseline_output=base.output)
        grants = _Grants(manifest, env)
        used: dict[tuple[str, str, str], dict[str, None]] = {}
        for decision in base.decisions:
            user = str(decision["user"])
            owner = base.users.get(user)
            if owner is None:
                continue
            service, test = owner
            action = str(decision["action"])
            if decision["allowed"]:
                for sid in grants.sids(user, service, action, str(decision["resource"])):
                    used.setdefault((service, action.lower(), sid), {})[test] = None
            else:
                report.denied_in_baseline.append((service, action, test))
        if not base.ok:
            report.seconds = time.perf_counter() - started
            report.pytest_runs = runs
            return report
        results = [
            ActionResult(
                service,
                action,
                resource,
                sid,
                used_by=list(used.get((service, action.lower(), sid), {})),
                unchecked=not_checked_locally(action),
            )
            for service in wanted
            for action, resource, sid in granted.get(service, [])
        ]
        candidates = {
            id(r): sorted(r.used_by, key=lambda t: base.durations.get(_junit_key(t), 0.0))[
                :MAX_CANDIDATES
            ]
            for r in results
        }
        # Each round is one pytest run: every unproven action is withheld in its next
        # candidate test, each test withholding one action (TRELLIS_IAM_DENY_BY_TEST).
        while True:
            assigned: dict[str, ActionResult] = {}
            for r in results:
                if r.needed_by or r.unchecked:
                    continue
                pending = candidates[id(r)]
                for test in pending:
                    if test not in assigned:
                        assigned[test] = r
                        pending.remove(test)
                        break
            if not assigned:
                break
            label = f"round{runs}"
            plan = workdir / f"{label}.deny.json"
            # A test missing a permission often fails by waiting for what never
            # happens: bound it by its own duration in the full run, not the suite's 120 s.
            plan.write_text(
                json.dumps(
                    {
                        t: {
                            "deny": f"{r.service}:{r.action}@{r.sid}",
                            "timeout": int(3 * base.durations.get(_junit_key(t), 10.0)) + 10,
                        }
                        for t, r in assigned.items()
                    }
                ),
                encoding="utf-8",
            )
            unproven = sum(1 for r in results if not (r.needed_by or r.unchecked))
            progress(
                f"round {runs}: withholding {len(assigned)} action(s), one per test "
                f"({unproven} grant(s) unproven)"
            )
            budget = sum(int(3 * base.durations.get(_junit_key(t), 10.0)) + 10 for t in assigned)
            run = _pytest(
                root,
                list(assigned),
                deny=None,
                workdir=workdir,
                label=label,
                plan=plan,
                timeout_s=budget + 120,
            )
            runs += 1
            proven_before = sum(1 for r in results if r.needed_by)
            for test, r in assigned.items():
                denied = any(
                    not d["allowed"]
                    and str(d["action"]).lower() == r.action.lower()
                    and run.users.get(str(d["user"])) == (r.service, test)
                    and _covers(grants, str(d["user"]), r, str(d["resource"]))
                    for d in run.decisions
                )
                if denied and run.outcomes.get(_junit_key(test)) == "failed":
                    r.needed_by = test
            proven = sum(1 for r in results if r.needed_by) - proven_before
            progress(f"round {runs - 1}: {proven} of {len(assigned)} proven needed")
        report.results = results
        report.seconds = time.perf_counter() - started
        report.pytest_runs = runs
        return report


def _covers(grants: _Grants, user: str, result: ActionResult, resource: str) -> bool:
    """Whether ``resource`` is one the withheld statement would have granted."""
    for st in grants.statements(user, result.service):
        if st.sid == result.sid:
            return any(arn_matches(pattern, resource) for pattern in st.resources)
    return False
