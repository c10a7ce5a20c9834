"""`trellis parameter set`: a secure parameter's value, written out of band (never in the manifest)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from trellis.cli import main
from trellis.kinds import UNSET_PARAMETER_VALUE
from trellis.local.emulator import LOCAL_ACCOUNT_ID, Emulator
from trellis.local.provision import provision
from trellis.manifest import load_manifest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _manifest(tmp_path: Path, project: str) -> Path:
    path = tmp_path / "trellis.toml"
    path.write_text(
        f"""
[project]
name = "{project}"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev", "prod"]

[parameters.signing-key]
secure = true
local_value = "local-only"

[parameters.flags]
value = "beta=on"
"""
    )
    return path


def test_set_writes_the_value_from_stdin_as_a_secure_string(
    tmp_path: Path,
    emulator_env: Emulator,
    unique_name: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = unique_name("par")
    path = _manifest(tmp_path, project)
    provision(load_manifest(path), "prod", emulator_env.client, account_id=LOCAL_ACCOUNT_ID)
    ssm = emulator_env.client("ssm")
    name = f"/{project}/prod/signing-key"
    # trellis dev / tests provision the local value, not a placeholder.
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "local-only"

    monkeypatch.setattr("sys.stdin", io.StringIO("the-real-key\n"))
    assert main(["--manifest", str(path), "parameter", "set", "signing-key", "--env", "prod"]) == 0
    assert f"{name}: set (version 2)" in capsys.readouterr().out
    parameter = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert parameter["Value"] == "the-real-key"  # the newline echo adds is not part of it
    assert parameter["Type"] == "SecureString"
    # The value went nowhere near the manifest.
    assert "the-real-key" not in path.read_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["flags", "--env", "dev"], "parameters.flags is not secure"),
        (["nope", "--env", "dev"], "unknown parameter 'nope'"),
        (["signing-key", "--env", "stage"], "--env stage: not one of dev, prod"),
    ],
)
def test_set_refuses_what_it_cannot_set_with_one_line_and_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    path = _manifest(tmp_path, "acme")
    monkeypatch.setattr("sys.stdin", io.StringIO("x\n"))
    assert main(["--manifest", str(path), "parameter", "set", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_the_unset_placeholder_is_the_one_the_module_writes() -> None:
    module = (ROOT / "terraform" / "modules" / "ssm-parameter" / "main.tf").read_text()
    assert f'unset_value = "{UNSET_PARAMETER_VALUE}"' in module
    assert "value_wo         = var.secure ? local.unset_value : null" in module
