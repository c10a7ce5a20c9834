"""The kind registry: every entry is complete, and every part of Trellis finds a kind through it."""

from __future__ import annotations

import importlib
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from trellis import kinds, naming
from trellis.kinds import KINDS, Arns, Kind, UnknownKind
from trellis.manifest import Manifest, load_manifest_text
from trellis.runtime._kinds import RUNTIME_KINDS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "src" / "trellis" / "scaffold" / "templates"
MODULES = ROOT / "terraform" / "modules"

MANIFEST = load_manifest_text(
    '[project]\nname = "acme"\nregion = "us-east-1"\nenvironments = ["dev"]\n'
    'github_repository = "acme/backend"\n'
    '[services.api]\nruntime = "lambda"\n'
    '[services.web]\nruntime = "ecs-express"\n'
)

each_kind = pytest.mark.parametrize("entry", KINDS, ids=lambda k: k.name)


def test_the_registry_lists_each_kind_once_queues_first() -> None:
    names = [k.name for k in KINDS]
    assert names == list(kinds.kind_names())
    assert len(set(names)) == len(names)
    assert len({k.section for k in KINDS}) == len(KINDS)
    # Buckets, topics and schedules deliver to queues: queues are provisioned and listed first.
    assert names[0] == "queue"


def test_an_unknown_kind_is_an_error_not_a_fall_through() -> None:
    with pytest.raises(UnknownKind, match="unknown resource kind 'stream'"):
        kinds.kind("stream")
    with pytest.raises(UnknownKind):
        Arns(region="us-east-1", account_id="123456789012").of("stream", "x")  # type: ignore[arg-type]


def test_the_manifest_has_one_section_per_kind_in_registry_order() -> None:
    fields = list(Manifest.model_fields)
    assert fields == [
        "project",
        "auth",
        "network",
        "alarms",
        "services",
        *(k.section for k in KINDS),
    ]
    for entry in KINDS:
        assert MANIFEST.specs(entry) == {}


@each_kind
def test_a_kinds_env_var_and_probe_are_the_runtime_halfs(entry: Kind[Any]) -> None:
    if entry.runtime is None:
        assert entry.name not in RUNTIME_KINDS
        assert entry.module_output is None
        with pytest.raises(ValueError, match="no env var"):
            naming.env_var_name(entry.name, "x")
    else:
        assert RUNTIME_KINDS[entry.name] is entry.runtime
        assert naming.env_var_name(entry.name, "a-b") == f"A_B_{entry.runtime.env_suffix}"


def test_the_runtime_half_knows_no_kind_the_registry_does_not() -> None:
    assert set(RUNTIME_KINDS) <= {k.name for k in KINDS}


@each_kind
def test_a_kinds_levels_have_a_verb_and_a_probe_template(entry: Kind[Any]) -> None:
    assert set(entry.verbs) == set(entry.levels)
    for level in entry.levels:
        if entry.name == "queue" and level == "consume":
            expected = [f"probe_consume_{runtime}.py.tmpl" for runtime in ("lambda", "container")]
        else:
            expected = [f"probe_{level}.py.tmpl"]
        for name in expected:
            assert (TEMPLATES / "kinds" / entry.name / name).is_file(), (entry.name, name)


@each_kind
def test_readwrite_is_read_plus_write(entry: Kind[Any]) -> None:
    # A cache's readwrite is its only level (elasticache:Connect: no read-only login).
    if "readwrite" in entry.levels and "read" in entry.levels:
        rw = entry.levels["readwrite"]
        assert set(rw) == set(entry.levels["read"]) | set(entry.levels["write"])
        assert len(rw) == len(set(rw))


@each_kind
def test_a_kinds_terraform_module_exists_with_its_output(entry: Kind[Any]) -> None:
    module = MODULES / entry.terraform_module
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (module / name).is_file(), (entry.terraform_module, name)
    outputs = (module / "outputs.tf").read_text()
    if entry.module_output is not None:
        assert re.search(rf'output "{entry.module_output}"', outputs)


@each_kind
def test_a_kinds_local_provisioner_is_importable(entry: Kind[Any]) -> None:
    module = importlib.import_module(entry.local_provisioner)
    assert callable(module.provision)
    assert entry.local_provisioner.startswith("trellis.local.provisioners.")


@each_kind
def test_a_kind_with_levels_has_arns_within_the_environment(entry: Kind[Any]) -> None:
    scope = kinds.EnvScope("acme", "dev")
    owned = entry.owned_arns(scope)
    assert owned
    assert all(("acme-dev-" in arn or "acme/dev/" in arn) for arn in owned)
    for arn in entry.data_arns(scope):
        if entry.name == "database":
            # rds-db:connect names the cluster's resource id, which AWS picks: no name of the
            # environment is in it (docs/iam.md says what isolates databases instead).
            assert arn == "arn:{p}:rds-db:{r}:{a}:dbuser:*/*"
            continue
        # Each data ARN lies inside an owned pattern (IAM's wildcards: `*` spans `/` too).
        assert any(fnmatchcase(arn, o) for o in owned), arn


def test_only_a_bucket_has_a_level_its_readiness_probe_is_not_allowed() -> None:
    # wiring's TRELLIS_WRITE_ONLY_BUCKETS names every grant without its probe's action:
    # a kind other than a bucket with such a level needs the variable generalised.
    unprobed = {
        (entry.name, level)
        for entry in KINDS
        if entry.runtime is not None
        for level, actions in entry.levels.items()
        if entry.runtime.probe_action not in actions
    }
    assert unprobed == {("bucket", "write")}


def test_a_fifo_topic_is_named_and_granted_with_its_fifo_suffix() -> None:
    manifest = load_manifest_text(
        '[project]\nname = "acme"\nregion = "us-east-1"\nenvironments = ["dev"]\n'
        'github_repository = "acme/backend"\n'
        '[services.api]\nruntime = "lambda"\nuses = { events = "publish" }\n'
        "[topics.events]\nfifo = true\n"
    )
    from trellis.iam import service_statements
    from trellis.infra.addresses import AwsAddresses

    arns = Arns(region="us-east-1", account_id="123456789012")
    (statement,) = service_statements(manifest, "api", "dev", arns)
    assert statement.resources == ("arn:aws:sns:us-east-1:123456789012:acme-dev-events.fifo",)
    assert AwsAddresses(manifest, "dev").address("topic", "events") == statement.resources[0]
