"""A local PostgreSQL or Valkey whose chosen port is taken before it binds starts on another.

The port is free when the server is planned, but a parallel test or another stack may
bind it before the server does; the server then exits ("Address already in use") and
the stack failed to start.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from trellis.local.servers._base import ServerError
from trellis.local.servers.postgres import PostgresServer
from trellis.local.servers.valkey import ValkeyServer

pytestmark = pytest.mark.integration

SERVERS: dict[str, Callable[..., Any]] = {
    "postgres": lambda folder, **kw: PostgresServer(folder, durable=False, **kw),
    "valkey": lambda folder, **kw: ValkeyServer(folder, durable=False, **kw),
}


def squat(port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen()
    return sock


@pytest.mark.parametrize("kind", sorted(SERVERS))
def test_a_chosen_port_taken_before_the_server_binds_it_is_chosen_again(
    tmp_path: Path, kind: str
) -> None:
    server = SERVERS[kind](tmp_path / kind)
    chosen = server.port
    with squat(chosen):
        server.start()
        try:
            assert server.port != chosen
            assert server.running
            # The next run starts where this one serves.
            assert (tmp_path / kind / "port").read_text().strip() == str(server.port)
        finally:
            server.stop()


@pytest.mark.parametrize("kind", sorted(SERVERS))
def test_a_port_the_caller_gave_is_never_changed(tmp_path: Path, kind: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        given = probe.getsockname()[1]
    server = SERVERS[kind](tmp_path / kind, port=given)
    with squat(given), pytest.raises(ServerError, match="exited"):
        server.start(timeout_s=20)
    assert server.port == given
