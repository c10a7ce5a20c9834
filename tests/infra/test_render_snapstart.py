"""Lambda SnapStart as rendered: published versions, the live alias, and every caller on it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.infra.conftest import ROOT, write_tree
from tests.infra.hclconfig import Config
from tests.infra.test_terraform_offline import init_errors
from trellis.infra import render
from trellis.manifest import ManifestError, load_manifest_text

BASE = """
[project]
name = "acme"
region = "us-east-1"
environments = ["dev"]
github_repository = "acme/backend"
python = "3.12"

[services.api]
runtime = "lambda"
route = "/api"
auth = "none"
snap_start = true
uses = { jobs = "consume" }

[services.plain]
runtime = "lambda"
route = "/plain"
auth = "none"

[queues.jobs]
visibility_timeout_s = 180

[schedules.nightly]
expression = "cron(0 3 * * ? *)"
target = "api"
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("snapstart"), render(load_manifest_text(BASE)))


@pytest.fixture(scope="module")
def tree(rendered: Path) -> Config:
    return Config.load(rendered / "terraform")


def test_terraform_init_accepts_the_arguments(rendered: Path) -> None:
    assert init_errors(rendered / "terraform") == ""


def test_the_service_runs_the_projects_python_with_snapstart(tree: Config) -> None:
    api, plain = tree.modules["api_service"], tree.modules["plain_service"]
    assert (api["runtime"], api["snap_start"]) == ("python3.12", True)
    assert plain["runtime"] == "python3.12" and "snap_start" not in plain


def test_the_gateway_and_the_schedule_invoke_the_alias(tree: Config) -> None:
    routes = tree.modules["gateway"]["routes"]
    assert routes["api"]["lambda_invoke_arn"] == "${module.api_service.invoke_arn}"
    assert routes["api"]["lambda_function_name"] == "${module.api_service.invoke_function_name}"
    assert tree.modules["nightly_schedule"]["target_arn"] == "${module.api_service.target_arn}"


def test_the_module_publishes_snapshots_and_points_its_callers_at_the_live_alias() -> None:
    module = Config.load(ROOT / "terraform" / "modules" / "lambda-service")
    fn = module.resources[("aws_lambda_function", "this")]
    assert fn["publish"] == "${var.snap_start}"
    assert module.resources[("aws_lambda_alias", "live")]["function_version"] == (
        "${aws_lambda_function.this.version}"
    )
    esm = module.resources[("aws_lambda_event_source_mapping", "sqs")]
    assert esm["function_name"] == "${local.target_arn}"
    text = (ROOT / "terraform/modules/lambda-service/main.tf").read_text()
    assert re.search(r'dynamic "snap_start" \{\s*for_each = var.snap_start', text)
    assert 'apply_on = "PublishedVersions"' in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('python = "3.12"\n', ""),
            r"^services\.api\.snap_start: Lambda SnapStart for Python needs 3\.12 or later: "
            r'set \[project\] python = "3\.12"$',
        ),
        (
            ('runtime = "lambda"\nroute = "/api"', 'runtime = "apprunner"\nroute = "/api"'),
            r"^services\.api\.snap_start: SnapStart is for Lambda services",
        ),
        (('python = "3.12"', 'python = "3.10"'), r"^project\.python: "),
    ],
)
def test_the_manifest_refuses_snapstart_where_lambda_has_none(
    change: tuple[str, str], message: str
) -> None:
    text = BASE.replace(*change, 1)
    if "apprunner" in text:
        text = text.replace(
            '[schedules.nightly]\nexpression = "cron(0 3 * * ? *)"\ntarget = "api"\n', ""
        )
    with pytest.raises(ManifestError) as err:
        load_manifest_text(text)
    assert re.search(message, str(err.value)), str(err.value)
    assert "\n" not in str(err.value)


def test_a_project_on_311_keeps_the_modules_default_runtime() -> None:
    text = BASE.replace('python = "3.12"\n', "").replace("snap_start = true\n", "")
    files = render(load_manifest_text(text))
    assert "python3" not in files["terraform/service_api.tf"]
    assert "snap_start" not in files["terraform/service_api.tf"]
