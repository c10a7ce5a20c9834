"""The api's user cache and audit database: cached vs uncached reads, connections per invocation.

    uv run python bench/database_cache.py [--requests 300] [--rounds 3] [--invocations 1000]

Starts its own emulator (the example's ``users`` table), a PostgreSQL server
(the ``audit`` database, migrated with ``backend/api/migrations``) and a Valkey
server, from the wheels ``trellis dev`` uses. Then, in the same run:

- ``GET /users/{id}`` through the api app (in-process ASGI, every middleware)
  with the cache (a Valkey GET per read once warm) and without it (the app
  an api gets without a cache: a consistent DynamoDB ``GetItem`` per read), in
  alternating rounds; requests/s and the ratio;
- the api's Lambda handler invoked ``--invocations`` times in one process (one
  warm instance) with ``GET /users/{id}/history``: how many PostgreSQL sessions
  the audit database saw (``pg_stat_database.sessions``); the target is one.

The emulator's DynamoDB is an in-memory Python server, so the uncached side is
slower here than DynamoDB is in AWS; read the ratio as what the cache takes off
the read path, and the session count as exact.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._stacks import api_stack_manifest  # noqa: E402

from trellis.local.apigw import build_event  # noqa: E402
from trellis.local.emulator import LOCAL_ACCOUNT_ID, Emulator, free_port  # noqa: E402
from trellis.local.migrations import run_migrations  # noqa: E402
from trellis.local.provision import provision  # noqa: E402
from trellis.local.servers import PostgresServer, ValkeyServer  # noqa: E402

CLAIMS = json.dumps({"sub": "bench", "scope": "users:read"})


def rate(client: Any, path: str, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"GET {path}: {response.status_code} {response.text}")
    return requests / (time.perf_counter() - started)


def sessions(pg: PostgresServer, database: str) -> int:
    with pg.connect("postgres") as conn:
        row = conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", (database,)
        ).fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="GETs per side per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--invocations", type=int, default=1000)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from api.app import build_app, build_handler
    from api.settings import Settings
    from trellis.runtime import AwsClients, Principal, cache, database, get_principal

    with tempfile.TemporaryDirectory(prefix="trellis-bench-") as tmp:
        emulator = Emulator(port=free_port()).start()
        pg = PostgresServer(Path(tmp) / "pg", durable=False).start()
        valkey = ValkeyServer(Path(tmp) / "valkey").start()
        try:
            addresses = provision(
                api_stack_manifest("bench"), "dev", emulator.client, account_id=LOCAL_ACCOUNT_ID
            )
            with pg.connect("postgres", autocommit=True) as conn:
                conn.execute("CREATE DATABASE audit")
            run_migrations(ROOT / "backend/api/migrations", pg.url("audit"), service="api")
            os.environ.update(
                AWS_ENDPOINT_URL=emulator.endpoint,
                AWS_ACCESS_KEY_ID="testing",
                AWS_SECRET_ACCESS_KEY="testing",
                AWS_REGION="us-east-1",
                AUDIT_DATABASE_URL=pg.url("audit"),
                PROFILES_CACHE_URL=valkey.url(),
            )
            settings = Settings(
                trellis_project="bench",
                trellis_env="dev",
                trellis_service="api",
                users_table_name=addresses.address("table", "users"),
                files_table_name=addresses.address("table", "files"),
                uploads_bucket_name=addresses.address("bucket", "uploads"),
                audit_database_url=pg.url("audit"),
                profiles_cache_url=valkey.url(),
                aws_endpoint_url=emulator.endpoint,
            )
            clients = AwsClients(settings)
            caller = Principal("jwt", "bench", {"sub": "bench"})
            apps = {
                "cached": build_app(settings, clients, readiness=[]),
                "uncached": build_app(
                    settings.model_copy(update={"profiles_cache_url": None}),
                    clients,
                    readiness=[],
                ),
            }
            for app in apps.values():
                app.dependency_overrides[get_principal] = lambda: caller
            user = {"user_id": "ada", "name": "Ada", "email": "ada@example.com"}
            with TestClient(apps["cached"]) as http:
                assert http.post("/users", json=user).status_code == 201
            results: dict[str, list[float]] = {"cached": [], "uncached": []}
            for round_number in range(args.rounds):
                order = ["cached", "uncached"] if round_number % 2 == 0 else ["uncached", "cached"]
                for side in order:
                    with TestClient(apps[side]) as http:
                        http.get("/users/ada")  # warm: the cached side fills its entry
                        results[side].append(rate(http, "/users/ada", args.requests))
            cached, uncached = (statistics.median(results[s]) for s in ("cached", "uncached"))

            # One warm Lambda instance: a fresh process's pools, then --invocations events.
            database.close_all()
            cache.close_all()
            # As deployed: the route (stripped from the event's path) is in the settings.
            handler = build_handler(settings.model_copy(update={"trellis_route": "/api"}), clients)
            before = sessions(pg, "audit")
            event = build_event(
                method="GET",
                path="/api/users/ada/history",
                query_string=b"",
                headers=[("accept", "application/json")],
                body=b"",
                route="/api",
                stage="live",
                authorizer={"principalId": "bench", "claims": CLAIMS},
            )
            for _ in range(args.invocations):
                response = handler(event, None)
                if response["statusCode"] != 200:
                    raise SystemExit(f"history: {response['statusCode']} {response.get('body')}")
            opened = sessions(pg, "audit") - before
        finally:
            database.close_all()
            cache.close_all()
            valkey.stop()
            pg.stop()
            emulator.stop()

    print("| measure | value |")
    print("| --- | ---: |")
    print(f"| GET /users/{{id}} through the cache, req/s | {cached:,.0f} |")
    print(f"| GET /users/{{id}} from DynamoDB (no cache), req/s | {uncached:,.0f} |")
    print(f"| ratio cached / uncached | {cached / uncached:.2f} |")
    print(
        f"| PostgreSQL sessions opened by {args.invocations:,} warm Lambda invocations | {opened} |"
    )


if __name__ == "__main__":
    main()
