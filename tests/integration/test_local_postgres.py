"""The local PostgreSQL of a database: real server, a role per `connect`, data kept."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg
import pytest
from tests.integration._local_servers import manifest, process_tree, provision_locally

from trellis.local.dev import wipe_local_data
from trellis.local.provision import stop_servers
from trellis.local.servers.postgres import PostgresServer

pytestmark = pytest.mark.integration

API_ONLY = manifest('{ audit = "connect", sessions = "readwrite" }')


def test_a_declaring_service_reads_and_writes_but_only_the_owner_changes_the_schema(
    tmp_path: Path,
) -> None:
    servers, out = provision_locally(API_ONLY, tmp_path)
    try:
        url = out.service_address("database", "audit", "api")
        assert url.startswith("postgresql://api:") and url.endswith("/audit")
        server = servers[("database", "audit")]
        with server.connect("audit") as admin:
            admin.execute("CREATE TABLE history (id serial PRIMARY KEY, what text)")
        with psycopg.connect(url) as conn:
            conn.execute("INSERT INTO history (what) VALUES ('created')")
            assert conn.execute("SELECT what FROM history").fetchall() == [("created",)]
            assert conn.execute("SELECT current_user").fetchone() == ("api",)
        with psycopg.connect(url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE mine (id int)")
        # Its login reaches its own database only.
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(url.replace("/audit", "/postgres"))
    finally:
        stop_servers(servers)


def test_a_service_without_connect_cannot_log_in_and_a_revoked_one_loses_its_role(
    tmp_path: Path,
) -> None:
    both = manifest('{ audit = "connect" }', '{ audit = "connect" }')
    servers, out = provision_locally(both, tmp_path)
    try:
        worker_url = out.service_address("database", "audit", "worker")
        with psycopg.connect(worker_url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        # The worker's grant goes away: so does its role, at the next provisioning.
        _, out = provision_locally(API_ONLY, tmp_path, servers)
        assert ("database", "audit", "worker") not in out.per_service
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(worker_url)
        # The superuser's password is needed too: no trust auth anywhere.
        server = servers[("database", "audit")]
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(server.url("audit", "trellis", "wrong"))
    finally:
        stop_servers(servers)


def test_data_survives_a_restart_and_fresh_wipes_it(tmp_path: Path) -> None:
    servers, out = provision_locally(API_ONLY, tmp_path)
    url = out.service_address("database", "audit", "api")
    with servers[("database", "audit")].connect("audit") as admin:
        admin.execute("CREATE TABLE kept (v text)")
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO kept VALUES ('before restart')")
    stop_servers(servers)

    servers, out = provision_locally(API_ONLY, tmp_path)
    try:
        with psycopg.connect(out.service_address("database", "audit", "api")) as conn:
            assert conn.execute("SELECT v FROM kept").fetchall() == [("before restart",)]
    finally:
        stop_servers(servers)

    wiped = wipe_local_data(tmp_path, "dev")
    assert tmp_path / ".trellis/dev/dev/databases" in wiped
    servers, out = provision_locally(API_ONLY, tmp_path)
    try:
        with psycopg.connect(out.service_address("database", "audit", "api")) as conn:
            assert conn.execute("SELECT to_regclass('kept')").fetchone() == (None,)
    finally:
        stop_servers(servers)


def test_stop_leaves_no_process_and_the_server_dies_with_its_parent(tmp_path: Path) -> None:
    server = PostgresServer(tmp_path / "db").start()
    assert server.proc is not None
    with server.connect():  # a backend process too
        tree = process_tree(server.proc.pid)
        assert len(tree) > 2, tree  # the postmaster, its workers and this backend
    server.stop()
    assert not [pid for pid in tree if _alive(pid)]

    # A parent killed outright (SIGKILL) takes its server with it.
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from trellis.local.servers.postgres import PostgresServer
        s = PostgresServer(Path({str(tmp_path / "db")!r})).start()
        print(s.proc.pid, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 15
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(os.geteuid() != 0, reason="the shim is only used as root")
def test_as_root_with_an_unusable_dev_null_the_server_still_starts(tmp_path: Path) -> None:
    # A private mount namespace where /dev/null is a mode-000 node, as on the CI machine;
    # nothing outside it changes.
    node = tmp_path / "null000"
    before = os.stat("/dev/null").st_mode
    script = textwrap.dedent(
        f"""
        import os, stat
        from pathlib import Path
        from trellis.local.servers.postgres import PostgresServer, null_usable_by_others
        assert not null_usable_by_others(), oct(os.stat("/dev/null").st_mode)
        with PostgresServer(Path({str(tmp_path / "db")!r})) as s:
            with s.connect() as c:
                print(c.execute("SELECT current_setting('data_directory')").fetchone()[0])
        """
    )
    shell = (
        f"mknod {node} c 1 3 && chmod 000 {node} && mount --bind {node} /dev/null && "
        f'exec {sys.executable} -c "$0"'
    )
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", shell, script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr + (tmp_path / "db/server.log").read_text(
        errors="replace"
    )
    assert done.stdout.strip() == "/tmp/.trellis-servers/srv/pgdata"
    # Outside, /dev/null is as it was.
    assert os.stat("/dev/null").st_mode == before


def test_a_restart_waits_for_the_previous_server_to_finish_shutting_down(tmp_path: Path) -> None:
    """Regression: a trellis dev started right after another stopped found the data locked.

    The previous server was still checkpointing (its trellis dev killed, or stopped without
    waiting); the new one exited with "lock file postmaster.pid already exists".
    """
    import threading

    first = PostgresServer(tmp_path / "pg", durable=False).start()
    with first.connect("postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE kept")
    previous = first.proc
    assert previous is not None
    # Its shutdown begins now and ends a moment later, as a killed trellis dev's server does.
    stopper = threading.Timer(0.5, first.stop)
    stopper.start()
    try:
        second = PostgresServer(tmp_path / "pg", durable=False, port=first.port).start()
    finally:
        stopper.join()
    try:
        assert previous.poll() is not None
        with second.connect("kept") as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("kept",)
    finally:
        second.stop()
