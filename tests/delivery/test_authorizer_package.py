"""The JWT authorizer's Lambda package: built from the lock, alone enough to verify tokens.

The zip is extracted and its handler run in a bare interpreter (-I -S: nothing but
the zip and the standard library) against a key set served over HTTP, with a token
of `trellis dev`'s issuer: a good token is allowed with its claims, a bad or
expired one is "Unauthorized" (API Gateway's 401).
"""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from trellis.local.auth import DevIssuer
from trellis.packaging import LambdaPackage, build_authorizer

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="host packages are built for glibc Linux"
)

ROOT = Path(__file__).resolve().parents[2]
ISSUER = "https://issuer.example.com"

RUN = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
assert not any("site-packages" in p for p in sys.path), sys.path
from trellis.authorizer import handler
out = []
for event in json.loads(sys.stdin.read()):
    try:
        out.append({"ok": handler(event, None)})
    except Exception as exc:
        out.append({"error": str(exc)})
print(json.dumps({"results": out, "trellis": sorted(m for m in sys.modules if m.startswith("trellis"))}))
"""


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> LambdaPackage:
    return build_authorizer(ROOT, platform="host", out_dir=tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> DevIssuer:
    return DevIssuer(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def jwks_url(issuer: DevIssuer) -> Iterator[str]:
    body = json.dumps(issuer.jwks()).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json"
    server.shutdown()


def test_the_package_holds_the_authorizer_and_pyjwt_only(package: LambdaPackage) -> None:
    with zipfile.ZipFile(package.path) as zf:
        tops = {name.split("/", 1)[0] for name in zf.namelist()}
        trellis = {
            n.split("/")[1] for n in zf.namelist() if n.startswith("trellis/") and n.count("/") > 1
        }
    assert {"jwt", "cryptography", "trellis"} <= tops
    assert not tops & {"fastapi", "boto3", "moto", "pydantic", "mangum"}
    assert trellis == {"authorizer"}


def test_the_packaged_handler_allows_good_tokens_and_refuses_the_rest(
    package: LambdaPackage, issuer: DevIssuer, jwks_url: str, tmp_path: Path
) -> None:
    with zipfile.ZipFile(package.path) as zf:
        zf.extractall(tmp_path)
    arn = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/api/users"

    def event(token: str) -> dict[str, str]:
        return {"type": "TOKEN", "authorizationToken": f"Bearer {token}", "methodArn": arn}

    good = issuer.mint(issuer=ISSUER, audience=["acme-web"], subject="u-1", scopes=["a"])
    events = [
        event(good),
        event(issuer.mint(issuer=ISSUER, audience=["acme-web"], ttl_s=-60)),
        event(issuer.mint(issuer=ISSUER, audience=["other"])),
        {"type": "TOKEN", "authorizationToken": "", "methodArn": arn},
    ]
    env = {
        "TRELLIS_JWT_ISSUER": ISSUER,
        "TRELLIS_JWT_AUDIENCE": "acme-web,acme-mobile",
        "TRELLIS_JWT_JWKS_URL": jwks_url,
    }
    run = subprocess.run(
        [sys.executable, "-I", "-S", "-c", RUN, str(tmp_path)],
        input=json.dumps(events),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.splitlines()[-1])
    allowed = out["results"][0]["ok"]
    assert allowed["principalId"] == "u-1"
    statement = allowed["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*"
    assert json.loads(allowed["context"]["claims"])["scope"] == "a"
    assert [r.get("error") for r in out["results"][1:]] == ["Unauthorized"] * 3
    assert not any(m.startswith("trellis.runtime") for m in out["trellis"])
