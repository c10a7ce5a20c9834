"""CLI conventions: --version, global options anywhere, colour variables, --json, stderr, tables."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trellis._console import color_enabled, table
from trellis.cli import main as cli

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = str(ROOT / "trellis.toml")


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_:
        cli(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"trellis {version('trellis')}"


def test_the_manifest_option_goes_after_the_command_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = str(tmp_path / "nope.toml")
    assert cli(["validate", "--manifest", missing]) == 2
    assert "nope.toml: no such file" in capsys.readouterr().err
    # A nested command takes it as well.
    assert cli(["iam", "show", "api", "--manifest", MANIFEST]) == 0
    capsys.readouterr()


def test_a_value_before_the_command_is_not_reset_by_the_commands_default(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Run from a directory without trellis.toml: only the top-level value can find it.
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert cli(["--manifest", MANIFEST, "validate"]) == 0
        assert cli(["--manifest", MANIFEST, "iam", "show", "api"]) == 0
    finally:
        os.chdir(cwd)
    assert capsys.readouterr().err == ""


def test_a_usage_error_is_exit_2_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli(["validate", "--no-such-option"])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "--no-such-option" in captured.err
    assert cli(["--manifest", MANIFEST, "env", "nobody"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "unknown service 'nobody'" in captured.err


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("choice", "environ", "tty", "expected"),
    [
        ("auto", {}, True, True),
        ("auto", {}, False, False),
        ("auto", {"NO_COLOR": "1"}, True, False),
        ("auto", {"NO_COLOR": ""}, True, True),  # empty: not set
        ("auto", {"FORCE_COLOR": "1"}, False, True),
        ("auto", {"FORCE_COLOR": "0"}, True, False),
        ("auto", {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, True),
        ("never", {"FORCE_COLOR": "1"}, True, False),
        ("always", {"NO_COLOR": "1"}, False, True),
    ],
)
def test_colour_follows_the_flag_then_force_color_and_no_color_then_the_terminal(
    choice: str, environ: dict[str, str], tty: bool, expected: bool
) -> None:
    stream = _Tty() if tty else io.StringIO()
    assert color_enabled(stream, choice, environ) is expected


def test_dev_chooses_its_colour_with_the_same_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    import trellis.local.dev as dev

    seen: list[bool] = []
    monkeypatch.setattr(dev, "run_dev", lambda _m, options: seen.append(options.color) or 0)
    monkeypatch.setattr(sys, "stdout", _Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert cli(["dev", "--manifest", MANIFEST]) == 0  # a terminal, but NO_COLOR
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert cli(["dev", "--manifest", MANIFEST]) == 0  # no terminal, but FORCE_COLOR
    assert cli(["dev", "--manifest", MANIFEST, "--color", "never"]) == 0
    assert seen == [False, True, False]


def _json(capsys: pytest.CaptureFixture[str], argv: list[str], status: int = 0) -> object:
    assert cli(argv) == status
    captured = capsys.readouterr()
    return json.loads(captured.out)


def test_validate_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, ["validate", "--json", "--manifest", MANIFEST])
    assert isinstance(data, dict) and data["ok"] is True
    assert set(data["services"]) == {"api", "worker"}
    assert data["services"]["worker"] == {"runtime": "lambda", "route": "/worker"}
    assert "jobs" in data["resources"]["queue"]


def test_env_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, ["env", "worker", "--json", "--manifest", MANIFEST])
    assert isinstance(data, dict) and data["service"] == "worker" and data["env"] == "dev"
    assert data["variables"]["JOBS_QUEUE_URL"].endswith("/acme-dev-jobs")


def test_iam_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, ["iam", "show", "worker", "--json", "--manifest", MANIFEST])
    assert isinstance(data, dict) and data["service"] == "worker"
    actions = {a for st in data["policy"]["Statement"] for a in st["Action"]}
    assert "sqs:ReceiveMessage" in actions


def test_check_json_and_its_failure_on_stderr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "trellis.toml").write_text((ROOT / "trellis.toml").read_text())
    data = _json(capsys, ["check", "--json", "--manifest", str(tmp_path / "trellis.toml")], 1)
    assert isinstance(data, dict) and data["ok"] is False
    assert {"path", "status", "summary", "diff"} <= set(data["differ"][0])
    assert any(d["status"] == "missing" for d in data["differ"])
    # Without --json the failure goes to stderr, nothing to stdout.
    assert cli(["check", "--manifest", str(tmp_path / "trellis.toml")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "file(s) differ" in captured.err and "trellis generate" in captured.err
    # The example project's own Terraform matches.
    data = _json(capsys, ["check", "--json", "--manifest", MANIFEST])
    assert isinstance(data, dict) and data == {"ok": True, "manifest": "trellis.toml", "differ": []}


def test_tables_are_as_wide_as_their_cells() -> None:
    url = "http://127.0.0.1:8000/" + "x" * 18
    assert len(url) == 40
    lines = table([["SERVICE", "URL", "AUTH"], ["notification", url, "jwt"], ["api", "-", "none"]])
    assert lines == [
        "SERVICE       URL                                       AUTH",
        f"notification  {url}  jwt",
        "api           -                                         none",
    ]


def test_the_console_script_answers_version() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "trellis", "--version"], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0 and proc.stdout.startswith("trellis ")
