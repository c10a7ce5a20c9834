"""free_port: ports that no outgoing connection can take before their server binds them."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from trellis.local import emulator
from trellis.local.emulator import free_port


def test_a_free_port_is_below_the_ephemeral_range_and_bindable() -> None:
    low, _ = emulator._ephemeral_ports()
    ports = {free_port() for _ in range(20)}

    assert all(20_000 <= port < low for port in ports)
    assert len(ports) > 1  # drawn at random, not one after another
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


@pytest.fixture
def window_in_use() -> Iterator[range]:
    """Every port of a 1,000-port window bound (those something else holds are in use too)."""
    window = range(emulator._PICKED_PORTS_FROM, emulator._PICKED_PORTS_FROM + 1_000)
    held = []
    for port in window:
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            continue
        held.append(sock)
    yield window
    for sock in held:
        sock.close()


def test_a_port_in_use_is_never_given(
    window_in_use: range, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the held window lies below the ephemeral range: the pick falls back to bind(0).
    monkeypatch.setattr(emulator, "_ephemeral_ports", lambda: (window_in_use.stop, 60_999))

    port = free_port()

    assert port not in window_in_use
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
