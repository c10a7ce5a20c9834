"""The local Valkey of a cache: real server, an ACL user per `readwrite`, data kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import valkey
from tests.integration._local_servers import manifest, processes_mentioning, provision_locally

from trellis.local.provision import stop_servers

pytestmark = pytest.mark.integration

API_ONLY = manifest('{ sessions = "readwrite" }')


def test_a_declaring_service_logs_in_as_its_own_user_and_nobody_else_can(tmp_path: Path) -> None:
    servers, out = provision_locally(API_ONLY, tmp_path)
    try:
        url = out.service_address("cache", "sessions", "api")
        assert url.startswith("redis://acme-dev-api:")
        with valkey.Valkey.from_url(url) as client:
            client.set("session:1", "alice")
            assert client.get("session:1") == b"alice"
            assert client.acl_whoami() == "acme-dev-api"
        port = servers[("cache", "sessions")].port
        # The default user is off: no unauthenticated access.
        with (
            valkey.Valkey(port=port) as anonymous,
            pytest.raises(valkey.exceptions.AuthenticationError),
        ):
            anonymous.get("session:1")
        # The worker declares nothing: it has no user.
        worker = valkey.Valkey(port=port, username="acme-dev-worker", password="x")
        with pytest.raises(valkey.exceptions.AuthenticationError):
            worker.ping()
    finally:
        stop_servers(servers)


def test_data_and_users_survive_a_restart_and_a_revoked_user_is_deleted(tmp_path: Path) -> None:
    both = manifest('{ sessions = "readwrite" }', '{ sessions = "readwrite" }')
    servers, out = provision_locally(both, tmp_path)
    worker_url = out.service_address("cache", "sessions", "worker")
    with valkey.Valkey.from_url(out.service_address("cache", "sessions", "api")) as client:
        client.set("kept", "yes")
    server = servers[("cache", "sessions")]
    pid = server.proc.pid
    stop_servers(servers)
    assert pid not in processes_mentioning("valkey-server")

    servers, out = provision_locally(API_ONLY, tmp_path)
    try:
        with valkey.Valkey.from_url(out.service_address("cache", "sessions", "api")) as client:
            assert client.get("kept") == b"yes"
        assert servers[("cache", "sessions")].port == server.port  # the last run's port, free
        with pytest.raises(valkey.exceptions.AuthenticationError):
            valkey.Valkey.from_url(worker_url).ping()
    finally:
        stop_servers(servers)
