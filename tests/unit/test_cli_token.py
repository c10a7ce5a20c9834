"""`trellis token`: a token the local gateway's verifier accepts, API keys, the invoker's key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from trellis.authorizer import TokenError
from trellis.cli import main
from trellis.local.auth import DevAuthState, DevIssuer, auth_dir, issuer_url

MANIFEST = """
[project]
name = "acme"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]

[auth.jwt]
issuer = "https://issuer.example.com"
audience = ["acme-web", "acme-cli"]

[services.api]
runtime = "lambda"
route = "/api"
auth = "jwt"

[services.feed]
runtime = "lambda"
route = "/feed"
auth = "api_key"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "trellis.toml").write_text(MANIFEST)
    return tmp_path


def token(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["--manifest", str(project / "trellis.toml"), "token", *args])
    out = capsys.readouterr()
    return status, (out.out or out.err).strip()


def test_the_token_verifies_with_the_development_issuer(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, value = token(project, capsys, "--sub", "ada", "--scope", "a b", "--scope", "c")
    assert status == 0
    verifier = DevIssuer(auth_dir(project)).verifier(
        issuer_url("http://127.0.0.1:8000"), ["acme-cli"]
    )
    claims = verifier.verify(value)
    assert claims["sub"] == "ada"
    assert claims["scope"] == "a b c"
    assert claims["aud"] == ["acme-web", "acme-cli"]


def test_the_issuer_follows_the_last_trellis_dev_or_port(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    DevAuthState("http://127.0.0.1:8100", issuer_url("http://127.0.0.1:8100"), ["acme-web"]).write(
        project, "dev"
    )
    _, value = token(project, capsys)
    issuer = DevIssuer(auth_dir(project))
    assert issuer.verifier(issuer_url("http://127.0.0.1:8100"), ["acme-web"]).verify(value)
    _, value = token(project, capsys, "--port", "9000")
    with pytest.raises(TokenError, match="another issuer"):
        issuer.verifier(issuer_url("http://127.0.0.1:8100"), ["acme-web"]).verify(value)


def test_an_expired_token_on_request(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, value = token(project, capsys, "--ttl", "-60")
    verifier = DevIssuer(auth_dir(project)).verifier(
        issuer_url("http://127.0.0.1:8000"), ["acme-web"]
    )
    with pytest.raises(TokenError, match="expired"):
        verifier.verify(value)


def test_api_key_is_stable_and_iam_needs_a_running_stack(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, first = token(project, capsys, "--api-key")
    assert status == 0 and first.startswith("trellis-dev-")
    assert token(project, capsys, "--api-key", "feed")[1] == first
    status, message = token(project, capsys, "--api-key", "api")
    assert status == 2 and "does not use" in message
    status, message = token(project, capsys, "--iam")
    assert status == 2 and "start `trellis dev`" in message


def test_a_stack_without_jwt_has_no_token_to_give(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = MANIFEST.replace('auth = "jwt"', 'auth = "none"')
    (project / "trellis.toml").write_text(text)
    status, message = token(project, capsys)
    assert status == 2 and "no service uses" in message
    shutil.rmtree(auth_dir(project), ignore_errors=True)
