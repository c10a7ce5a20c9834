"""`trellis iam verify` on a small stack: a needed action is proven, an unneeded one reported."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from trellis.cli import main as cli

pytestmark = pytest.mark.integration

MANIFEST = """
[project]
name = "vfy"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]

[services.reader]
runtime = "lambda"
path = "reader"
uses = { flags = "read" }

[services.lazy]
runtime = "lambda"
path = "lazy"
uses = { flags = "read", limits = "read" }

[parameters.flags]
value = "on"

[parameters.limits]
value = "10"
"""

READER_TESTS = """
import os

import boto3


def NAME():
    return f"/{os.environ['TRELLIS_PROJECT']}/{os.environ['TRELLIS_ENV']}/flags"


def test_reads_one_flag(trellis_service):
    trellis_service("reader")
    ssm = boto3.client("ssm")
    assert ssm.get_parameter(Name=NAME())["Parameter"]["Value"] == "on"


def test_reads_flags_in_one_call(trellis_service):
    trellis_service("reader")
    ssm = boto3.client("ssm")
    got = ssm.get_parameters(Names=[NAME()])["Parameters"]
    assert [p["Value"] for p in got] == ["on"]
"""

# Granted `read` (GetParameter and GetParameters) on two parameters, but only ever calls
# GetParameter on one: each (action, resource) grant is proven on its own.
LAZY_TESTS = """
import os

import boto3


def NAME():
    return f"/{os.environ['TRELLIS_PROJECT']}/{os.environ['TRELLIS_ENV']}/flags"


def test_reads_one_flag(trellis_service):
    trellis_service("lazy")
    assert boto3.client("ssm").get_parameter(Name=NAME())["Parameter"]["Value"] == "on"
"""


@pytest.mark.timeout(300)
def test_verify_proves_needed_actions_and_reports_the_unused_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "trellis.toml").write_text(MANIFEST)
    for service, text in (("reader", READER_TESTS), ("lazy", LAZY_TESTS)):
        (tmp_path / service / "tests").mkdir(parents=True)
        (tmp_path / service / "tests" / f"test_{service}.py").write_text(textwrap.dedent(text))

    status = cli(["--manifest", str(tmp_path / "trellis.toml"), "iam", "verify"])

    out = capsys.readouterr().out
    rows = {
        tuple(line.split(None, 3)[:3]): line.split(None, 3)[3]
        for line in out.splitlines()
        if line.startswith(("reader ", "lazy "))
    }
    assert rows == {
        ("reader", "ssm:GetParameter", "flags"): "reader/tests/test_reader.py::test_reads_one_flag",
        (
            "reader",
            "ssm:GetParameters",
            "flags",
        ): "reader/tests/test_reader.py::test_reads_flags_in_one_call",
        ("lazy", "ssm:GetParameter", "flags"): "lazy/tests/test_lazy.py::test_reads_one_flag",
        ("lazy", "ssm:GetParameters", "flags"): "UNUSED: no test calls it",
        # The same action on another resource is another grant: no test needs this one.
        ("lazy", "ssm:GetParameter", "limits"): "UNUSED: no test calls it",
        ("lazy", "ssm:GetParameters", "limits"): "UNUSED: no test calls it",
    }, out
    assert "3 of 6 grants (action on a resource) needed by a test" in out
    assert status == 1


def test_verify_fails_when_the_tests_fail_under_the_policies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "trellis.toml").write_text(MANIFEST.replace('uses = { flags = "read" }', "", 1))
    (tmp_path / "reader" / "tests").mkdir(parents=True)
    (tmp_path / "reader" / "tests" / "test_reader.py").write_text(textwrap.dedent(READER_TESTS))

    status = cli(
        ["--manifest", str(tmp_path / "trellis.toml"), "iam", "verify", "--service", "reader"]
    )

    assert status == 1
    assert "the tests fail under the services' policies" in capsys.readouterr().err


@pytest.mark.timeout(300)
def test_verify_json_is_the_table_as_data_and_progress_goes_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json
    import re

    (tmp_path / "trellis.toml").write_text(MANIFEST)
    (tmp_path / "reader" / "tests").mkdir(parents=True)
    (tmp_path / "reader" / "tests" / "test_reader.py").write_text(textwrap.dedent(READER_TESTS))

    status = cli(
        [
            "iam",
            "verify",
            "--service",
            "reader",
            "--json",
            "--manifest",
            str(tmp_path / "trellis.toml"),
        ]
    )

    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert status == 0 and report["ok"] is True
    assert {(g["action"], g["resource"], g["status"]) for g in report["grants"]} == {
        ("ssm:GetParameter", "flags", "needed"),
        ("ssm:GetParameters", "flags", "needed"),
    }
    assert (report["needed"], report["total"]) == (2, 2)
    assert report["pytest_runs"] >= 2
    # Progress: each line with the seconds since the start; the rounds numbered.
    progress = captured.err.splitlines()
    assert progress and all(
        re.match(r"^trellis iam verify: \[ *\d+\.\d s\] ", line) for line in progress
    ), progress
    assert any("baseline: running" in line for line in progress)
    assert any("round 1: withholding" in line for line in progress)


KEYED_MANIFEST = """
[project]
name = "vfk"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]
encryption = "customer"

[services.reader]
runtime = "lambda"
path = "reader"
uses = { signing = "read" }

[parameters.signing]
secure = true
local_value = "s3cr3t"
"""

KEYED_TESTS = """
import os

import boto3


def NAME():
    return f"/{os.environ['TRELLIS_PROJECT']}/{os.environ['TRELLIS_ENV']}/signing"


def test_reads_the_signing_key(trellis_service):
    trellis_service("reader")
    ssm = boto3.client("ssm")
    got = ssm.get_parameter(Name=NAME(), WithDecryption=True)["Parameter"]["Value"]
    assert got == "s3cr3t"


def test_reads_it_in_one_call(trellis_service):
    trellis_service("reader")
    ssm = boto3.client("ssm")
    got = ssm.get_parameters(Names=[NAME()], WithDecryption=True)["Parameters"]
    assert [p["Value"] for p in got] == ["s3cr3t"]
"""


@pytest.mark.timeout(300)
def test_verify_passes_a_customer_key_stack_and_says_its_kms_grant_is_not_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "trellis.toml").write_text(KEYED_MANIFEST)
    (tmp_path / "reader" / "tests").mkdir(parents=True)
    (tmp_path / "reader" / "tests" / "test_reader.py").write_text(textwrap.dedent(KEYED_TESTS))

    status = cli(["--manifest", str(tmp_path / "trellis.toml"), "iam", "verify"])

    out = capsys.readouterr().out
    # Columns are two spaces apart; "signing (key)" has one inside.
    rows = {
        tuple(cells[:3]): cells[3]
        for line in out.splitlines()
        if line.startswith("reader ")
        for cells in [re.split(r"\s{2,}", line.strip(), maxsplit=3)]
    }
    assert rows == {
        ("reader", "ssm:GetParameter", "signing"): (
            "reader/tests/test_reader.py::test_reads_the_signing_key"
        ),
        ("reader", "ssm:GetParameters", "signing"): (
            "reader/tests/test_reader.py::test_reads_it_in_one_call"
        ),
        # The emulator decrypts without KMS: the grant is listed, never failed as unused.
        ("reader", "kms:Decrypt", "signing (key)"): (
            "NOT CHECKED LOCALLY: the emulator never calls KMS on a caller's behalf"
        ),
    }, out
    assert "2 of 3 grants (action on a resource) needed by a test" in out
    assert "1 not checked locally" in out
    assert status == 0
