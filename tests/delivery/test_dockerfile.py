"""The container services' Dockerfile: multi-stage, pinned bases, non-root, health check,
no secrets in layers. No Docker engine here: the file is parsed and its properties asserted
(`make workflows` also runs hadolint on it)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from trellis.manifest import Manifest, load_manifest_text
from trellis.packaging import BuildError, render_dockerfile, render_dockerignore

MANIFEST = """
[project]
name = "acme"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]

[services.api]
runtime = "ecs-express"
path = "backend/api"
port = 8081

[services.worker]
runtime = "apprunner"
path = "backend/worker"
"""
SECRETISH = re.compile(
    r"(SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|ACCESS_KEY|PRIVATE_KEY|API_KEY)", re.I
)


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)


def parse(text: str) -> list[Stage]:
    """Stages of a Dockerfile: continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    stages: list[Stage] = []
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(parts[0], name))
        else:
            assert stages, f"{keyword} before FROM"
            stages[-1].instructions.append((keyword, rest.strip()))
    return stages


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest_text(MANIFEST)


@pytest.fixture(scope="module", params=["api", "worker"])
def stages(request: pytest.FixtureRequest, root: Path, manifest: Manifest) -> list[Stage]:
    return parse(render_dockerfile(root, manifest, request.param))


def test_it_builds_in_one_stage_and_ships_another(stages: list[Stage]) -> None:
    names = [s.name for s in stages]
    assert len(stages) >= 2 and names[-1] == "runtime"
    assert "build" in names
    copies = [rest for kw, rest in stages[-1].instructions if kw == "COPY"]
    assert copies and all(c.startswith("--from=build") for c in copies), copies


def test_every_base_image_is_pinned_by_digest(stages: list[Stage]) -> None:
    named = {s.name for s in stages}
    for stage in stages:
        if stage.image in named:
            continue
        assert re.search(r"@sha256:[0-9a-f]{64}$", stage.image), stage.image


def test_the_service_runs_as_an_unprivileged_user(stages: list[Stage]) -> None:
    final = stages[-1].instructions
    users = [rest for kw, rest in final if kw == "USER"]
    assert users, "the runtime stage sets USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000
    assert not any(kw == "USER" and rest.split(":")[0] in ("0", "root") for kw, rest in final)


def test_a_health_check_probes_slash_health(stages: list[Stage]) -> None:
    checks = [rest for kw, rest in stages[-1].instructions if kw == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "/health" in checks[0] and "--timeout=" in checks[0]


def test_no_build_argument_or_variable_carries_a_secret(stages: list[Stage]) -> None:
    for stage in stages:
        for kw, rest in stage.instructions:
            assert kw != "ARG", "build arguments end up in the image history"
            if kw in ("ENV", "LABEL"):
                assert not SECRETISH.search(rest), rest
            if kw in ("COPY", "ADD"):
                assert ".env" not in rest and ".aws" not in rest, rest


def test_dependencies_come_from_the_lock_without_dev_tools(stages: list[Stage]) -> None:
    runs = " ".join(rest for s in stages for kw, rest in s.instructions if kw == "RUN")
    assert "uv sync --frozen --no-dev --no-editable --package" in runs
    assert "--constraints" in runs  # uvicorn and its dependencies at the locked versions


def test_the_command_serves_the_asgi_app_on_the_manifest_port(
    root: Path, manifest: Manifest
) -> None:
    final = parse(render_dockerfile(root, manifest, "api"))[-1].instructions
    cmd = next(rest for kw, rest in final if kw == "CMD")
    assert '"uvicorn", "api.main:app"' in cmd and '"8081"' in cmd
    assert ("EXPOSE", "8081") in final


def test_the_build_context_leaves_secrets_state_and_caches_out() -> None:
    ignored = set(render_dockerignore().splitlines())
    for pattern in ("**/.env", "**/.git", "**/*.tfstate", "**/.aws", "**/.venv", "**/*.pem"):
        assert pattern in ignored


def test_a_lambda_service_gets_no_dockerfile(root: Path) -> None:
    lambda_manifest = load_manifest_text(MANIFEST.replace('"ecs-express"', '"lambda"'))
    with pytest.raises(BuildError, match="lambda"):
        render_dockerfile(root, lambda_manifest, "api")
