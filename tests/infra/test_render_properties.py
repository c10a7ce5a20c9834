"""Any valid manifest renders to Terraform that is wired, scoped and formatted (Hypothesis)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from tests.infra.conftest import ROOT, write_tree
from tests.infra.hclconfig import Config, as_list
from tests.infra.test_wiring import wiring_problems
from trellis.infra import render
from trellis.manifest import Manifest, ManifestError, load_manifest, load_manifest_text

# Keep Hypothesis' cache out of the work tree.
set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "trellis-hypothesis"))

NAMES = st.sampled_from(["alpha", "b-2", "c_3", "delta", "echo-x", "f"])
LEVELS = {
    "queues": ["send", "consume"],
    "tables": ["read", "write", "readwrite"],
    "buckets": ["read", "write", "readwrite"],
    "topics": ["publish"],
    "secrets": ["read"],
    "parameters": ["read"],
    "databases": ["connect"],
    "caches": ["readwrite"],
}
#: Sections only Lambda services may use (the private network).
NETWORKED = {"databases", "caches"}


@st.composite
def manifests(draw: st.DrawFn) -> Manifest:
    names = draw(st.lists(NAMES, min_size=1, max_size=5, unique=True))
    sections = {name: draw(st.sampled_from(sorted(LEVELS))) for name in names}
    # S3 bucket names take no '_'.
    sections = {n: ("tables" if s == "buckets" and "_" in n else s) for n, s in sections.items()}
    services = draw(
        st.lists(
            st.sampled_from(["api", "web", "jobs-x", "old"]), min_size=1, max_size=3, unique=True
        )
    )
    lines = [
        '[project]\nname = "prop"\nregion = "us-east-1"\nenvironments = ["dev", "prod"]\n'
        'github_repository = "o/r"\n'
    ]
    consumed: set[str] = set()
    for i, service in enumerate(services):
        runtime = draw(st.sampled_from(["lambda", "lambda", "ecs-express", "apprunner"]))
        uses = {}
        for name in draw(st.lists(st.sampled_from(names), unique=True)):
            if sections[name] in NETWORKED and runtime != "lambda":
                continue
            level = draw(st.sampled_from(LEVELS[sections[name]]))
            if level == "consume":
                if name in consumed:
                    level = "send"
                consumed.add(name)
            uses[name] = level
        use_text = ", ".join(f'{k} = "{v}"' for k, v in uses.items())
        lines.append(
            f'[services.{service}]\nruntime = "{runtime}"\ntimeout_s = 10\n'
            f'route = "/r{i}"\nauth = "none"\nuses = {{ {use_text} }}\n'
        )
    for name, section in sections.items():
        body = "visibility_timeout_s = 60\n" if section == "queues" else ""
        if section == "tables":
            body = 'hash_key = "id"\n' + draw(
                st.sampled_from(["", "point_in_time_recovery = false\n"])
            )
        if section == "parameters":
            body = 'value = "v"\n'
        lines.append(f'[{section}."{name}"]\n{body}')
    return load_manifest_text("\n".join(lines))


@settings(
    max_examples=8, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(manifest=manifests())
def test_any_manifest_renders_wired_and_scoped_terraform(manifest: Manifest) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="trellis-prop-"))
    try:
        write_tree(tmp, render(manifest))
        for sub in ("terraform", "bootstrap"):
            cfg = Config.load(tmp / sub)
            assert wiring_problems(cfg) == []
        root = Config.load(tmp / "terraform")
        services = [n for n in root.modules if n.endswith("_service")]
        assert len(services) == len(manifest.services)
        for doc, statement in root.policy_statements():
            for action in as_list(statement.get("actions")):
                assert "*" not in action, f"{doc}: {action}"
        for call in root.modules.values():
            if call["source"] == "./modules/dynamodb-table":
                assert call["point_in_time_recovery"] in (True, "${var.production}")
        # A database or cache has the network, and only its users' groups reach it.
        stores = [
            c
            for c in root.modules.values()
            if c["source"] in ("./modules/rds-database", "./modules/elasticache-cache")
        ]
        assert ("network" in root.modules) == bool(stores)
        for call in stores:
            groups = set(call["client_security_group_ids"]) - {"db-admin"}
            assert groups <= set(root.modules["network"]["security_groups"])
    finally:
        shutil.rmtree(tmp)


@st.composite
def wiring_texts(draw: st.DrawFn) -> str:
    """Manifest texts that wire kinds together, valid or not: FIFO or standard queues named by
    bucket notifications, topic subscriptions and schedules; routes of one or more segments;
    services with their own jwt issuer and names near AWS's limits."""
    project = draw(st.sampled_from(["prop", "a-rather-long-project-nam"]))
    env = draw(st.sampled_from(["dev", "preproduction"]))
    lines = [
        f'[project]\nname = "{project}"\nregion = "us-east-1"\nenvironments = ["{env}"]\n'
        'github_repository = "o/r"\n'
    ]
    queues = draw(st.lists(st.sampled_from(["q1", "q2", "q3"]), min_size=1, unique=True))
    fifo = {q: draw(st.booleans()) for q in queues}
    services = draw(
        st.lists(st.sampled_from(["api", "web", "a-service-with-a-long-name"]), unique=True)
    )
    for i, service in enumerate(services):
        runtime = draw(st.sampled_from(["lambda", "ecs-express", "apprunner"]))
        route = draw(st.sampled_from([f"/r{i}", f"/v1/r{i}", None]))
        lines.append(f'[services.{service}]\nruntime = "{runtime}"\ntimeout_s = 10\n')
        if route is not None:
            lines.append(f'route = "{route}"\nauth = "jwt"\n')
            if draw(st.booleans()):
                lines.append(
                    f'[services.{service}.jwt]\nissuer = "https://i.example.com/"\naudience = "x"\n'
                )
    lines.append('[auth.jwt]\nissuer = "https://i.example.com/"\naudience = "x"\n')
    for q in queues:
        lines.append(f"[queues.{q}]\nvisibility_timeout_s = 60\nfifo = {str(fifo[q]).lower()}\n")
    if draw(st.booleans()):
        notified = draw(st.sampled_from(queues))
        lines.append(f'[buckets.b]\nnotifications = [{{ queue = "{notified}" }}]\n')
    if draw(st.booleans()):
        subscribed = draw(st.lists(st.sampled_from(queues), min_size=1, unique=True))
        subs = ", ".join(f'"{q}"' for q in subscribed)
        lines.append(
            f"[topics.t]\nfifo = {str(draw(st.booleans())).lower()}\nsubscriptions = [{subs}]\n"
        )
    targets = [*queues, *services]
    if draw(st.booleans()):
        target = draw(st.sampled_from(targets))
        lines.append(f'[schedules.s]\nexpression = "rate(1 hour)"\ntarget = "{target}"\n')
    return "\n".join(lines)


@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(text=wiring_texts())
def test_every_manifest_that_validates_renders(text: str) -> None:
    # `validate`, `dev` and `generate` refuse the same manifests: none fails only at rendering.
    try:
        manifest = load_manifest_text(text)
    except ManifestError:
        return
    render(manifest)


def _unformatted(manifest: Manifest) -> dict[str, str]:
    """What the renderer writes before formatting."""
    from unittest import mock

    with mock.patch("trellis.infra._render.format_texts", side_effect=dict):
        return render(manifest)


@settings(
    max_examples=8, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(manifest=manifests())
def test_trellis_formats_any_rendered_file_exactly_as_terraform_fmt(manifest: Manifest) -> None:
    from trellis.infra._hcl import format_texts, terraform_format_texts

    raw = _unformatted(manifest)
    assert format_texts(raw) == terraform_format_texts(raw)


@pytest.mark.parametrize(
    "path",
    [
        "trellis.toml",
        "tests/infra/stacks/everything.toml",
        *sorted(
            str(p.relative_to(ROOT)) for p in (ROOT / "tests/e2e/stacks").glob("*/trellis.toml")
        ),
    ],
)
def test_trellis_formats_the_test_stacks_exactly_as_terraform_fmt(path: str) -> None:
    from trellis.infra._hcl import format_texts, terraform_format_texts

    raw = _unformatted(load_manifest(ROOT / path))
    assert set(raw) and format_texts(raw) == terraform_format_texts(raw)
