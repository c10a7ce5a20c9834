"""`trellis init/new/add/remove`: validated plans, idempotent, nothing half-written, dry runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scaffold.conftest import ROOT, run, snapshot
from trellis.infra import drift
from trellis.manifest import load_manifest
from trellis.scaffold import ScaffoldError, plan_add, plan_init, plan_remove
from trellis.scaffold._assets import terraform_files, trellis_source


def no_drift(project: Path) -> None:
    assert drift(project, load_manifest(project / "trellis.toml")) == []


def test_init_writes_a_project_whose_terraform_is_in_step(project: Path) -> None:
    for rel in (
        "trellis.toml",
        "pyproject.toml",
        "Makefile",
        "README.md",
        ".gitignore",
        ".github/workflows/ci.yml",
        "backend/api/pyproject.toml",
        "backend/api/api/app.py",
        "backend/api/api/handler.py",
        "backend/api/api/settings.py",
        "backend/api/api/resources.py",
        "backend/api/tests/test_api_app.py",
        "terraform/modules/sqs-queue/main.tf",
        "terraform/service_api.tf",
        "bootstrap/main.tf",
        "bootstrap/manifest.tf",
    ):
        assert (project / rel).is_file(), rel
    manifest = load_manifest(project / "trellis.toml")
    assert manifest.project.name == "shop"
    assert list(manifest.services) == ["api"]
    assert (
        f'trellis = {{ path = "{ROOT}", editable = true }}'
        in (project / "pyproject.toml").read_text()
    )
    no_drift(project)


def test_init_twice_changes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(project)
    assert plan_init(project).changes() == {}
    assert cli_init(project) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert snapshot(project) == before


def test_init_never_overwrites_files_of_an_existing_directory(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("mine\n")
    with pytest.raises(ScaffoldError, match=r"already has files init would write: README\.md"):
        plan_init(tmp_path, project="mine", source=str(ROOT))
    assert snapshot(tmp_path) == {"README.md": "mine\n"}


def cli_init(target: Path, *extra: str) -> int:
    from trellis.cli import main

    return main(["init", str(target), *extra])


def test_init_needs_no_manifest_and_validates_its_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_init(tmp_path / "xy", "--region", "mars-1", "--trellis-source", str(ROOT)) == 2
    assert "project.region" in capsys.readouterr().err
    assert cli_init(tmp_path / "x", "--trellis-source", str(ROOT)) == 2
    assert "project.name" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert not (tmp_path / "xy").exists()


def test_new_service_then_add_queue_between_two_services(project: Path) -> None:
    assert run(project, "new", "service", "worker") == 0
    assert run(project, "add", "queue", "jobs", "--send", "api", "--consume", "worker") == 0
    manifest = load_manifest(project / "trellis.toml")
    assert manifest.services["api"].uses == {"jobs": ["send"]}
    assert manifest.services["worker"].uses == {"jobs": ["consume"]}
    # 6x the consumer's 30 s timeout, so the manifest rule holds without the user knowing it.
    assert manifest.queues["jobs"].visibility_timeout_s == 180
    assert "jobs_queue_url: str" in (project / "backend/api/api/settings.py").read_text()
    assert "jobs_queue_url: str" in (project / "backend/worker/worker/settings.py").read_text()
    assert "def jobs_publisher(" in (project / "backend/api/api/resources.py").read_text()
    assert "def handle_jobs(" in (project / "backend/worker/worker/consumers.py").read_text()
    service_tf = (project / "terraform/service_worker.tf").read_text()
    assert "sqs:ReceiveMessage" in service_tf
    assert "JOBS_QUEUE_URL" in service_tf
    assert (project / "terraform/queue_jobs.tf").is_file()
    no_drift(project)


def test_every_command_run_twice_changes_nothing_the_second_time(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commands = [
        ["new", "service", "boxes", "--runtime", "ecs-express"],
        ["add", "queue", "jobs", "--send", "api", "--consume", "boxes"],
        ["add", "table", "orders", "--hash-key", "order_id", "--readwrite", "api"],
        ["add", "bucket", "files", "--read", "boxes"],
        ["add", "topic", "events", "--publish", "api"],
        ["add", "parameter", "flag", "--value", "on", "--read", "boxes"],
        ["add", "schedule", "nightly", "--expression", "rate(1 day)", "--target", "jobs"],
        ["remove", "parameter", "flag", "--force"],
    ]
    for argv in commands:
        assert run(project, *argv) == 0, argv
        capsys.readouterr()
        before = snapshot(project)
        assert run(project, *argv) == 0, argv
        assert "nothing to do" in capsys.readouterr().out, argv
        assert snapshot(project) == before, argv
    assert (project / "backend/boxes/Dockerfile").is_file()
    no_drift(project)


def test_generated_code_passes_ruff_even_with_long_names(project: Path) -> None:
    long = "a-rather-long-queue-name-to-wrap"
    assert run(project, "new", "service", "box-office", "--runtime", "ecs-express") == 0
    assert run(project, "add", "queue", long, "--send", "api", "box-office") == 0
    assert run(project, "add", "queue", "jobs", "--consume", "box-office", "--send", "api") == 0
    assert run(project, "add", "table", "orders", "--hash-key", "id", "--range-key", "n",
               "--range-key-type", "N", "--write", "box-office") == 0  # fmt: skip
    ruff = Path(sys.executable).parent / "ruff"
    for argv in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([ruff, *argv], cwd=project, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_add_queue_sets_its_oldest_message_alarm(project: Path) -> None:
    argv = ["add", "queue", "jobs", "--send", "api", "--oldest-message-alarm-s", "600"]
    assert run(project, *argv) == 0
    assert load_manifest(project / "trellis.toml").queues["jobs"].oldest_message_alarm_s == 600
    queue_tf = (project / "terraform/queue_jobs.tf").read_text()
    assert re.search(r"oldest_message_alarm_seconds\s+= 600\n", queue_tf)


def test_a_bad_option_is_refused_before_anything_is_written(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(project, "new", "service", "worker") == 0
    before = snapshot(project)
    # Shorter than 6x the consumer's timeout: the manifest's rule, named by its key.
    argv = ["add", "queue", "jobs", "--visibility-timeout-s", "60", "--consume", "worker"]
    assert run(project, *argv) == 2
    err = capsys.readouterr().err
    assert "queues.jobs.visibility_timeout_s" in err
    assert "nothing written" in err
    assert run(project, "add", "queue", "jobs", "--send", "nobody") == 2
    assert "no such service" in capsys.readouterr().err
    assert run(project, "add", "table", "Bad", "--hash-key", "id") == 2
    assert run(project, "new", "service", "worker", "--runtime", "ecs-express") == 2
    assert snapshot(project) == before


def test_adding_an_existing_resource_with_other_options_is_refused(project: Path) -> None:
    plan_add(project, "trellis.toml", "table", "orders", {"hash_key": "id"}, []).apply()
    with pytest.raises(ScaffoldError, match=r"tables\.orders exists with hash_key = 'id'"):
        plan_add(project, "trellis.toml", "table", "orders", {"hash_key": "sku"}, [])
    with pytest.raises(ScaffoldError, match="a table, not a queue"):
        plan_add(project, "trellis.toml", "queue", "orders", {}, [])


def test_remove_refuses_while_a_service_uses_it_unless_forced(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(project, "new", "service", "worker") == 0
    after_new = snapshot(project)
    assert run(project, "add", "queue", "jobs", "--send", "api", "--consume", "worker") == 0
    before = snapshot(project)
    assert run(project, "remove", "queue", "jobs") == 2
    err = capsys.readouterr().err
    assert "services.api (send), services.worker (consume)" in err
    assert "--force" in err
    assert snapshot(project) == before
    assert run(project, "remove", "queue", "jobs", "--force") == 0
    # Everything `add` did is undone: manifest, settings, handlers, accessors, tests, Terraform.
    assert snapshot(project) == after_new
    assert run(project, "remove", "queue", "jobs") == 0
    assert "nothing to do" in capsys.readouterr().out


def test_remove_with_force_drops_references_too(project: Path) -> None:
    plan_add(project, "trellis.toml", "queue", "jobs", {}, [("send", "api")]).apply()
    plan_add(
        project,
        "trellis.toml",
        "schedule",
        "nightly",
        {"expression": "rate(1 day)", "target": "jobs"},
        [],
    ).apply()
    with pytest.raises(ScaffoldError, match=r"schedules\.nightly"):
        plan_remove(project, "trellis.toml", "queue", "jobs")
    plan = plan_remove(project, "trellis.toml", "queue", "jobs", force=True)
    assert "removed the reference from schedules.nightly" in plan.notes
    plan.apply()
    manifest = load_manifest(project / "trellis.toml")
    assert not manifest.queues
    assert not manifest.schedules
    no_drift(project)


def test_dry_run_prints_the_diff_and_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(project)
    argv = ["add", "table", "orders", "--hash-key", "order_id", "--readwrite", "api", "--dry-run"]
    assert run(project, *argv) == 0
    out = capsys.readouterr().out
    assert "--- a/trellis.toml\n+++ b/trellis.toml\n" in out
    assert '+uses = { orders = "readwrite" }' in out
    assert "+    orders_table_name: str" in out
    assert "--- /dev/null\n+++ b/terraform/table_orders.tf" in out
    assert "nothing written" in out
    assert snapshot(project) == before


def test_a_service_not_made_by_trellis_new_only_gets_its_settings_field(tmp_path: Path) -> None:
    import shutil

    for rel in ("trellis.toml", "backend/api/api/settings.py", "backend/worker/worker/settings.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    plan = plan_add(tmp_path, "trellis.toml", "queue", "audit_events", {}, [("send", "api")])
    assert set(plan.changes()) >= {"trellis.toml", "backend/api/api/settings.py"}
    assert not any(rel.endswith("resources.py") for rel in plan.changes())
    assert any("not created by `trellis new`" in note for note in plan.notes)


def test_the_terraform_modules_come_from_the_repository_in_a_checkout() -> None:
    files = terraform_files()
    assert (
        files["terraform/modules/sqs-queue/main.tf"]
        == (ROOT / "terraform/modules/sqs-queue/main.tf").read_text()
    )
    assert "bootstrap/main.tf" in files
    assert "bootstrap/manifest.tf" not in files


def test_the_trellis_source_is_this_installation_or_the_override(tmp_path: Path) -> None:
    assert trellis_source() == f'{{ path = "{ROOT}", editable = true }}'
    assert trellis_source("git+https://github.com/acme/trellis") == (
        '{ git = "https://github.com/acme/trellis" }'
    )
    with pytest.raises(ScaffoldError, match=r"no pyproject\.toml"):
        trellis_source(str(tmp_path))


def test_the_scaffold_package_exports_its_public_api() -> None:
    import trellis.scaffold

    assert sorted(trellis.scaffold.__all__) == [
        "Plan",
        "ScaffoldError",
        "plan_add",
        "plan_add_rule",
        "plan_init",
        "plan_new_service",
        "plan_remove",
        "plan_remove_rule",
    ]


def test_the_generated_ci_workflow_passes_actionlint_and_zizmor(project: Path) -> None:
    bin_dir = Path(sys.executable).parent
    workflow = project / ".github/workflows/ci.yml"
    for argv in ([bin_dir / "actionlint", workflow], [bin_dir / "zizmor", "--offline", workflow]):
        result = subprocess.run(argv, cwd=project, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_init_and_new_service_write_an_explicit_auth(project: Path) -> None:
    manifest = load_manifest(project / "trellis.toml")
    assert manifest.services["api"].auth == "jwt"
    assert manifest.auth.jwt is not None  # a placeholder issuer, noted by init
    assert run(project, "new", "service", "ops", "--auth", "iam") == 0
    assert run(project, "new", "service", "feed", "--auth", "api_key") == 0
    manifest = load_manifest(project / "trellis.toml")
    assert (manifest.services["ops"].auth, manifest.services["feed"].auth) == ("iam", "api_key")
    assert 'auth = "iam"' in (project / "trellis.toml").read_text()


def test_a_jwt_service_in_a_project_without_an_issuer_gets_a_placeholder_one(
    tmp_path: Path,
) -> None:
    root = tmp_path / "pj"
    plan_init(root, source=str(ROOT), auth="none").apply()
    text = re.sub(r"\[auth\.jwt\]\n(?:[a-z]+ = .*\n)+", "", (root / "trellis.toml").read_text())
    (root / "trellis.toml").write_text(text)
    assert run(root, "new", "service", "web", "--runtime", "ecs-express") == 0
    manifest = load_manifest(root / "trellis.toml")
    assert manifest.services["web"].auth == "jwt"
    assert manifest.services["api"].auth == "none"
    assert manifest.auth.jwt is not None and manifest.auth.jwt.audience == ["pj"]


def test_add_database_and_cache_then_remove_them_gives_back_the_tree(project: Path) -> None:
    before = snapshot(project)
    assert run(project, "add", "database", "audit", "--engine", "postgres", "--connect", "api") == 0
    assert run(project, "add", "cache", "sessions", "--readwrite", "api") == 0
    manifest = load_manifest(project / "trellis.toml")
    assert manifest.services["api"].uses == {"audit": ["connect"], "sessions": ["readwrite"]}
    # The service depends on the drivers of what it uses (trellis's extras).
    assert (
        'dependencies = ["trellis[cache,postgres]"]'
        in (project / "backend/api/pyproject.toml").read_text()
    )
    resources = (project / "backend/api/api/resources.py").read_text()
    assert 'database.connection("audit")' in resources
    assert 'cache.client("sessions")' in resources
    tests = (project / "backend/api/tests/test_api_resources.py").read_text()
    assert 'conn.execute("SELECT 1")' in tests and 'client.set("probe:sessions"' in tests
    for rel in (
        "network.tf",
        "database_audit.tf",
        "cache_sessions.tf",
        "cache_users.tf",
        "db_admin.tf",
    ):
        assert (project / "terraform" / rel).is_file(), rel
    assert "vpc = {" in (project / "terraform/service_api.tf").read_text()
    no_drift(project)
    assert run(project, "remove", "cache", "sessions", "--force") == 0
    assert run(project, "remove", "database", "audit", "--force") == 0
    assert snapshot(project) == before
