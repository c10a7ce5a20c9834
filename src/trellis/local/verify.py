"""``trellis iam verify``: prove each service's policy is sufficient and minimal.

1. **Sufficient**: the services' tests run against the IAM-enforcing emulator,
   each service with its own key and derived policy (``trellis_service``), and
   must pass. The emulator records every decision (user, action, resource) and
   the fixture records which test and service each user belongs to.
2. **Minimal**: for every action the manifest grants a service, one test that
   used it runs again with that action withheld (``TRELLIS_IAM_DENY``). The
   action is proven needed when that run fails *and* the emulator denied the
   action during it (a failure for any other reason proves nothing, so the
   next test that used the action is tried). An action no test used, or whose
   withholding no test noticed, is reported and makes the command fail.
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

from trellis.iam import Arns, service_statements
from trellis.local.processes import child_preexec
from trellis.manifest import Manifest

#: How many tests that used an action are tried with it withheld before giving up.
MAX_CANDIDATES = 3


@dataclass
class ActionResult:
    """What verification found for one granted action of one service."""

    service: str
    action: str
    #: The test that failed without the action ("" if none did).
    needed_by: str = ""
    #: Tests that used the action in the full run.
    used_by: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.needed_by:
            return "needed"
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
        return self.baseline_ok and all(r.needed_by for r in self.results)

    def table(self) -> str:
        rows = [("SERVICE", "ACTION", "TEST THAT NEEDS IT")]
        for r in self.results:
            if r.needed_by:
                rows.append((r.service, r.action, r.needed_by))
            elif r.used_by:
                rows.append(
                    (
                        r.service,
                        r.action,
                        f"NOT NEEDED: used by {len(r.used_by)} test(s), none failed without it",
                    )
                )
            else:
                rows.append((r.service, r.action, "UNUSED: no test calls it"))
        width = [max(len(row[i]) for row in rows) for i in range(2)]
        return "\n".join(
            f"{row[0]:<{width[0]}}  {row[1]:<{width[1]}}  {row[2]}".rstrip() for row in rows
        )


def granted_actions(manifest: Manifest, env: str) -> dict[str, list[str]]:
    """Every action each service's policy grants (any resource), in policy order."""
    arns = Arns(region=manifest.project.region, account_id="123456789012")
    out: dict[str, list[str]] = {}
    for service in manifest.services:
        actions: dict[str, None] = {}
        for statement in service_statements(manifest, service, env, arns):
            actions.update(dict.fromkeys(statement.actions))
        out[service] = list(actions)
    return out


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
        progress(f"running {' '.join(paths)} under each service's policy")
        base = _pytest(root, paths, deny=None, workdir=workdir, label="baseline")
        runs = 1
        report = VerifyReport([], baseline_ok=base.ok, baseline_output=base.output)
        used: dict[tuple[str, str], dict[str, None]] = {}
        for decision in base.decisions:
            owner = base.users.get(str(decision["user"]))
            if owner is None:
                continue
            service, test = owner
            action = str(decision["action"])
            if decision["allowed"]:
                used.setdefault((service, action.lower()), {})[test] = None
            else:
                report.denied_in_baseline.append((service, action, test))
        if not base.ok:
            report.seconds = time.perf_counter() - started
            report.pytest_runs = runs
            return report
        results = [
            ActionResult(service, action, used_by=list(used.get((service, action.lower()), {})))
            for service in wanted
            for action in granted.get(service, [])
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
                if r.needed_by:
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
                            "deny": f"{r.service}:{r.action}",
                            "timeout": int(3 * base.durations.get(_junit_key(t), 10.0)) + 10,
                        }
                        for t, r in assigned.items()
                    }
                ),
                encoding="utf-8",
            )
            progress(f"withholding {len(assigned)} action(s), one per test")
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
            for test, r in assigned.items():
                denied = any(
                    not d["allowed"]
                    and str(d["action"]).lower() == r.action.lower()
                    and run.users.get(str(d["user"])) == (r.service, test)
                    for d in run.decisions
                )
                if denied and run.outcomes.get(_junit_key(test)) == "failed":
                    r.needed_by = test
        for r in results:
            progress(f"{r.service:<10} {r.action:<32} {r.status}")
        report.results = results
        report.seconds = time.perf_counter() - started
        report.pytest_runs = runs
        return report
