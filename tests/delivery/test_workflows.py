"""The GitHub Actions workflows: hardened (pinned, least privilege, no persisted token,
timeouts) and wired to the manifest's environments and bootstrap's outputs.

`make workflows` also runs actionlint and zizmor on them; these tests pin the
properties we rely on, whatever those tools' defaults become."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from trellis.manifest import Manifest

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.y*ml"))
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials@"


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def jobs(path: Path) -> dict[str, dict[str, Any]]:
    return load(path)["jobs"]


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def local_workflow(ref: str) -> Path:
    return WORKFLOWS / Path(ref.removeprefix("$/").removeprefix("./")).name


def assumes_aws_role(job: dict[str, Any]) -> bool:
    if "uses" in job:
        return any(assumes_aws_role(j) for j in jobs(local_workflow(job["uses"])).values())
    return any(str(s.get("uses", "")).startswith(AWS_CREDENTIALS) for s in steps(job))


def test_the_workflows_are_there() -> None:
    assert {p.name for p in FILES} >= {"ci.yaml", "deploy.yaml", "terraform.yaml"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version_noted(path: Path) -> None:
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*(-\s+)?uses:\s*(\S+)(.*)$", line)
        if not match:
            continue
        ref, rest = match.group(2), match.group(3)
        if ref.startswith(("$/", "./")):
            assert local_workflow(ref).is_file(), ref
            continue
        assert SHA_PIN.match(ref), f"{path.name}: {ref} is not pinned to a 40-hex commit"
        assert re.search(r"#\s*v\d+(\.\d+)*", rest), f"{path.name}: {ref} has no version comment"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_workflows_grant_nothing_by_default(path: Path) -> None:
    assert load(path)["permissions"] == {}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_only_jobs_that_assume_the_deploy_role_get_an_oidc_token(path: Path) -> None:
    for name, job in jobs(path).items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), f"{path.name}:{name} sets its own permissions"
        has_token = permissions.get("id-token") == "write"
        assert has_token == assumes_aws_role(job), f"{path.name}:{name}"
        assert set(permissions.values()) <= {"read", "write"}
        writes = {k for k, v in permissions.items() if v == "write"}
        assert writes <= {"id-token", "pull-requests"}, f"{path.name}:{name}: {writes}"
        if "pull-requests" in writes:
            assert not has_token, "the job that comments holds no AWS credentials"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_checkout_keeps_the_token_and_every_job_has_a_timeout(path: Path) -> None:
    for name, job in jobs(path).items():
        if "uses" in job:  # a reusable workflow: its own jobs carry the timeouts
            assert all("timeout-minutes" in j for j in jobs(local_workflow(job["uses"])).values())
            assert "secrets" not in job, "no secrets: inherit"
            continue
        assert isinstance(job.get("timeout-minutes"), int), f"{path.name}:{name}"
        for step in steps(job):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, (
                    f"{path.name}:{name}"
                )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_untrusted_trigger_and_no_expression_inside_a_script(path: Path) -> None:
    assert "pull_request_target" not in load(path)["on"]
    for job in jobs(path).values():
        for step in steps(job):
            assert "${{" not in str(step.get("run", "")), step.get("name")


def test_ci_runs_every_check_on_pull_requests_and_main() -> None:
    ci = load(WORKFLOWS / "ci.yaml")
    assert "pull_request" in ci["on"] and ci["on"]["push"]["branches"] == ["main"]
    runs = " ".join(str(s.get("run", "")) for j in ci["jobs"].values() for s in steps(j))
    for command in (
        "make lint",
        "make typecheck",
        "trellis check",
        "make tfcheck",
        "make workflows",
        "pytest",
    ):
        assert command in runs, command


def test_deploy_targets_follow_the_manifest_environments(manifest: Manifest) -> None:
    deploy = load(WORKFLOWS / "deploy.yaml")
    on = deploy["on"]
    assert on["push"]["branches"] == ["main"] and on["push"]["tags"] == ["v*"]
    assert "pull_request" in on
    dispatch = on["workflow_dispatch"]["inputs"]["environment"]["options"]
    assert dispatch == manifest.project.environments
    targets = {
        job["with"]["environment"]: (name, job)
        for name, job in deploy["jobs"].items()
        if "uses" in job and job["with"]["apply"] is True
    }
    assert set(targets) == set(manifest.project.environments)
    assert "refs/heads/main" in targets["dev"][1]["if"]
    assert "refs/tags/v" in targets["test"][1]["if"] and "refs/tags/v" in targets["prod"][1]["if"]
    assert "test" in targets["prod"][1]["needs"], "a tag reaches prod after test"
    plan = deploy["jobs"]["plan"]
    assert plan["with"] == {"environment": "dev", "apply": False}
    assert "pull_request" in plan["if"]
    for _name, job in targets.values():
        assert "build" in job["needs"]


def test_terraform_runs_bound_to_the_environment_with_bootstrap_outputs(
    manifest: Manifest, root: Path
) -> None:
    workflow = load(WORKFLOWS / "terraform.yaml")
    assert workflow["env"]["AWS_REGION"] == manifest.project.region
    plan, apply = workflow["jobs"]["plan"], workflow["jobs"]["apply"]
    assert set(workflow["jobs"]) == {"plan", "apply"}
    assert apply["if"] == "${{ inputs.apply }}" and plan["if"] == "${{ !inputs.apply }}"
    # Only an apply runs in the GitHub environment: a pull request's token never names it.
    assert apply["environment"] == "${{ inputs.environment }}"
    assert "environment" not in plan
    assert apply["concurrency"] == {
        "group": "terraform-apply-${{ inputs.environment }}",
        "cancel-in-progress": False,
    }
    assert "terraform-plan-" in plan["concurrency"]["group"]

    def creds(job: dict[str, Any]) -> dict[str, Any]:
        return next(s for s in steps(job) if str(s.get("uses", "")).startswith(AWS_CREDENTIALS))

    assert creds(apply)["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert creds(plan)["with"]["role-to-assume"] == "${{ vars.AWS_PLAN_ROLE_ARN }}"
    outputs = (root / "bootstrap" / "outputs.tf").read_text()
    for variable in ("AWS_DEPLOY_ROLE_ARN", "AWS_PLAN_ROLE_ARN", "TF_STATE_BUCKET"):
        assert variable in outputs, variable

    def scripts(job: dict[str, Any]) -> str:
        return "\n".join(str(s.get("run", "")) for s in steps(job))

    for job in (plan, apply):
        assert "TF_STATE_BUCKET" in scripts(job)
        assert "environments/${ENVIRONMENT}.backend.hcl" in scripts(job)
        download = next(
            s for s in steps(job) if str(s.get("uses", "")).startswith("actions/download-artifact@")
        )
        assert download["with"]["path"] == "dist"  # terraform's artifacts_dir: ../dist
    # The plan role may read the state and nothing else: no refresh, no lock, no apply.
    assert "terraform plan -refresh=false -lock=false" in scripts(plan)
    assert "terraform apply" not in scripts(plan)
    assert "-out=tfplan" in scripts(apply) and "terraform apply tfplan" in scripts(apply)
    assert "trellis smoke" in scripts(apply)
    assert "terraform output -raw gateway_url" in scripts(apply)


def test_the_workflow_the_deploy_roles_trust_is_the_one_that_applies(root: Path) -> None:
    # bootstrap/ binds each deploy role's token to job_workflow_ref <repo>/<this file>@<ref>.
    manifest_tf = (root / "bootstrap" / "manifest.tf").read_text()
    assert 'terraform_workflow = ".github/workflows/terraform.yaml"' in manifest_tf
    assert (WORKFLOWS / "terraform.yaml").is_file()
    deploy = load(WORKFLOWS / "deploy.yaml")
    callers = {j["uses"] for j in deploy["jobs"].values() if "uses" in j}
    assert callers == {"$/.github/workflows/terraform.yaml"}  # GitHub's self-repository syntax


def test_the_build_job_packages_every_lambda_for_arm64() -> None:
    build = load(WORKFLOWS / "deploy.yaml")["jobs"]["build"]
    runs = " ".join(str(s.get("run", "")) for s in steps(build))
    assert "trellis build --all --platform arm64" in runs
    upload = next(
        s for s in steps(build) if str(s.get("uses", "")).startswith("actions/upload-artifact@")
    )
    assert upload["with"]["path"] == "dist/*.zip"


def test_the_apply_migrates_the_databases_after_the_apply_and_before_the_smoke_test() -> None:
    apply = load(WORKFLOWS / "terraform.yaml")["jobs"]["apply"]
    runs = [str(s.get("run", "")) for s in steps(apply)]
    applied = next(i for i, r in enumerate(runs) if "terraform apply tfplan" in r)
    migrated = next(i for i, r in enumerate(runs) if "terraform output -json db_admin" in r)
    smoked = next(i for i, r in enumerate(runs) if "trellis smoke" in r)
    assert applied < migrated < smoked
    script = runs[migrated]
    # Only the admin function the stack renders (its output), once per database, and a
    # failed migration fails the deploy.
    assert 'aws lambda invoke --function-name "$fn"' in script
    assert "jq -r '.databases[]'" in script
    assert "FunctionError" in script and "exit 1" in script
