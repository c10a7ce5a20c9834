"""The example api's audit trail outlives `trellis dev`: PostgreSQL keeps it across restarts.

The emulator's tables start empty at every start, so the user itself is gone
after the restart; its history is not, and the cache (emptied at start) serves
nothing stale: the user is a 404.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from trellis.testing import DevProcess

pytestmark = pytest.mark.e2e

MANIFEST = Path(__file__).resolve().parents[2] / "trellis.toml"


def api(dev: DevProcess) -> httpx.Client:
    return httpx.Client(base_url=f"{dev.base_url}/api", headers=dev.bearer(), timeout=15)


def test_history_survives_a_restart_and_the_cache_serves_nothing_stale() -> None:
    # The example's data folder persists between test runs too: a fresh id per run.
    user_id = f"restart-{uuid.uuid4().hex[:12]}"
    with DevProcess(MANIFEST, args=["--no-reload"], ready_timeout_s=90) as dev, api(dev) as http:
        created = http.post(
            "/users", json={"user_id": user_id, "name": "Ada", "email": f"{user_id}@e.org"}
        )
        assert created.status_code == 201, created.text
        assert http.get(f"/users/{user_id}").status_code == 200  # now cached
        assert http.patch(f"/users/{user_id}", json={"name": "Ada K", "version": 1}).is_success

    with DevProcess(MANIFEST, args=["--no-reload"], ready_timeout_s=90) as dev, api(dev) as http:
        history = http.get(f"/users/{user_id}/history")
        gone = http.get(f"/users/{user_id}")

    assert history.status_code == 200, history.text
    assert [(e["version"], e["action"]) for e in history.json()["items"]] == [
        (1, "created"),
        (2, "updated"),
    ]
    assert gone.status_code == 404, gone.text
