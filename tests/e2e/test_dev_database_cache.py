"""`trellis dev` with a database and a cache: real servers, per-service URLs, data kept.

The service is a bare Lambda handler that reports what it sees through its own env
vars (its own database user, its own cache user), so the test checks the wiring,
not a framework.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.e2e.conftest import alive, descendants
from trellis.local.state import read_state
from trellis.testing import DevProcess

pytestmark = pytest.mark.e2e

HANDLER = """
import json, os

import psycopg
import valkey


def handler(event, context):
    if not (event.get("path") or event.get("rawPath") or "").endswith("/see"):
        return {"statusCode": 200, "body": "{}"}  # /health
    out = {"env": {k: v for k, v in os.environ.items() if k.endswith(("_DATABASE_URL", "_CACHE_URL"))}}
    if "AUDIT_DATABASE_URL" in os.environ:
        with psycopg.connect(os.environ["AUDIT_DATABASE_URL"]) as conn:
            out["db_user"] = conn.execute("SELECT current_user").fetchone()[0]
            if conn.execute("SELECT to_regclass('notes')").fetchone()[0]:
                out["notes"] = [r[0] for r in conn.execute("SELECT body FROM notes ORDER BY body")]
        with valkey.Valkey.from_url(os.environ["SESSIONS_CACHE_URL"]) as cache:
            out["cache_user"] = cache.acl_whoami()
            out["counter"] = cache.incr("hits")
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(out)}
"""

MANIFEST = """
[project]
name = "dbdev"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]

[services.probe]
runtime = "lambda"
path = "probe"
handler = "app.handler"
route = "/probe"
auth = "none"
timeout_s = 10
{uses}
{resources}
"""

USES = 'uses = { audit = "connect", sessions = "readwrite" }'
RESOURCES = "[databases.audit]\n\n[caches.sessions]\n"


def write_project(root: Path, *, with_data: bool = True) -> Path:
    (root / "probe").mkdir(parents=True, exist_ok=True)
    (root / "probe/app.py").write_text(textwrap.dedent(HANDLER))
    text = MANIFEST.format(uses=USES if with_data else "", resources=RESOURCES if with_data else "")
    (root / "trellis.toml").write_text(text)
    return root / "trellis.toml"


def probe(dev: DevProcess) -> dict:
    response = httpx.get(f"{dev.base_url}/probe/see", timeout=30)
    assert response.status_code == 200, response.text
    return json.loads(response.text)


def test_trellis_dev_runs_the_servers_hands_each_service_its_own_urls_and_keeps_data(
    tmp_path: Path,
) -> None:
    manifest = write_project(tmp_path)
    with DevProcess(manifest, args=["--no-reload"], ready_timeout_s=90) as dev:
        state = read_state(tmp_path, "dev")
        assert state is not None
        db_port, cache_port = state.databases["audit"], state.caches["sessions"]
        seen = probe(dev)
        assert seen["env"]["AUDIT_DATABASE_URL"].startswith("postgresql://probe:")
        assert seen["env"]["AUDIT_DATABASE_URL"].endswith(f"@127.0.0.1:{db_port}/audit")
        assert seen["env"]["SESSIONS_CACHE_URL"].startswith("redis://dbdev-dev-probe:")
        assert seen["env"]["SESSIONS_CACHE_URL"].endswith(f"@127.0.0.1:{cache_port}")
        assert seen["db_user"] == "probe" and seen["cache_user"] == "dbdev-dev-probe"
        assert seen["counter"] == 1
        # Data the owner writes (as a migration would), read back by the service.
        creds = json.loads(
            (tmp_path / ".trellis/dev/dev/databases/audit/credentials.json").read_text()
        )
        owner = f"postgresql://trellis:{creds['trellis']}@127.0.0.1:{db_port}/audit"
        with psycopg.connect(owner) as conn:
            conn.execute("CREATE TABLE notes (body text)")
            conn.execute("INSERT INTO notes VALUES ('kept')")
        below = descendants(dev.pid)
        first_ready = dev.ready_s
    # Stopped: nothing it started is left running (servers included).
    assert not [pid for pid in below if alive(pid)]

    with DevProcess(manifest, args=["--no-reload"], ready_timeout_s=90) as dev:
        seen = probe(dev)
        # The database keeps its data; the cache starts empty, as the emulator's tables do
        # (an entry kept across the restart could describe an item the emulator lost).
        assert seen["notes"] == ["kept"] and seen["counter"] == 1
        # The ports stay those of the last run when free: URLs do not change.
        assert read_state(tmp_path, "dev").databases["audit"] == db_port
        restart_ready = dev.ready_s

    with DevProcess(manifest, args=["--no-reload", "--fresh"], ready_timeout_s=90) as dev:
        seen = probe(dev)
        assert "notes" not in seen and seen["counter"] == 1
    print(f"\nready: first {first_ready:.2f} s, restart {restart_ready:.2f} s")


def test_ready_time_without_and_with_a_database_and_a_cache(tmp_path: Path) -> None:
    plain = write_project(tmp_path / "plain", with_data=False)
    data = write_project(tmp_path / "data")
    times = {}
    for label, manifest in (("plain", plain), ("data (first)", data), ("data (restart)", data)):
        with DevProcess(manifest, args=["--no-reload"], ready_timeout_s=90) as dev:
            assert probe(dev)
            times[label] = next(line for line in dev.lines if "ready in" in line)
    # Reported, not asserted: this machine's load decides the figures.
    print("\n" + "\n".join(f"{k}: {v}" for k, v in times.items()))
