"""API overhead: create + get a user through the Trellis api vs a bare FastAPI + boto3 app.

    uv run python bench/api_overhead.py [--users 300] [--rounds 4] [--concurrency 4]

Starts one emulator and two copies of the example manifest's ``users`` table
(same keys, same GSI), then serves two apps under real uvicorn on 127.0.0.1:

- **Trellis**: the example ``api`` service (``api.main:app``): the platform's app
  factory (request id, access log, body limit, error rendering), typed settings,
  the client factory, ``UsersRepository``, routes on ``trellis.runtime.APIRouter``
  (one thread-pool hop per request for a ``def`` route; FastAPI's router makes two);
- **bare**: a FastAPI + boto3 app written in this file, as the guide writes it
  (module-level client, settings from env vars, no middleware), doing *the same
  DynamoDB calls with the same items*: ``TransactWriteItems`` of the user and its
  email uniqueness item, each with ``attribute_not_exists``, then a consistent
  ``GetItem``. Its routes are plain ``def`` like the api's: the guide's
  ``async def`` around sync boto3 would block the event loop, which measures a
  defect, not the framework.

The api's routes need a verified caller: the Trellis app runs as a routed container
does (it checks the gateway's origin secret on each request, then reads the caller
from the gateway's headers), and every request to both apps carries what the gateway
sends (the bare app ignores it). The gateway itself is not in the path.

Each round sends ``--users`` create + get pairs from ``--concurrency`` client
threads to one app, then to the other (the order alternates per round), so both
see the same machine noise and tables of the same size. The emulator is the
ceiling of both figures: read the ratio.
"""

# No `from __future__ import annotations`: FastAPI must resolve the bare app's local models.
import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------- the bare app


def bare_app() -> Any:
    """The guide's shape: settings from env vars, a boto3 client at import, routes with boto3."""
    from datetime import UTC, datetime

    import boto3
    from botocore.exceptions import ClientError
    from fastapi import FastAPI, HTTPException
    from pydantic import BaseModel

    table_name = os.environ["USERS_TABLE_NAME"]
    dynamodb = boto3.client("dynamodb", region_name=os.environ.get("AWS_REGION", "us-east-1"))
    app = FastAPI(title="bare users")

    class User(BaseModel):
        user_id: str
        name: str
        email: str

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/users", status_code=201)
    def create_user(user: User) -> dict[str, Any]:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        item = {
            "user_id": {"S": user.user_id},
            "name": {"S": user.name},
            "email": {"S": user.email},
            "version": {"N": "1"},
            "created_at": {"S": now},
            "updated_at": {"S": now},
            "list_pk": {"S": "USER"},
            "list_sk": {"S": f"{now}#{user.user_id}"},
        }
        email = {"user_id": {"S": f"EMAIL#{user.email}"}, "owner": {"S": user.user_id}}
        condition = "attribute_not_exists(user_id)"
        try:
            dynamodb.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": table_name, "Item": it, "ConditionExpression": condition}}
                    for it in (item, email)
                ]
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            status = 409 if code == "TransactionCanceledException" else 500
            raise HTTPException(status_code=status, detail=code) from exc
        return {"user_id": user.user_id, "name": user.name, "email": user.email, "version": 1}

    @app.get("/users/{user_id}")
    def get_user(user_id: str) -> dict[str, Any]:
        try:
            response = dynamodb.get_item(
                TableName=table_name, Key={"user_id": {"S": user_id}}, ConsistentRead=True
            )
        except ClientError as exc:
            raise HTTPException(status_code=500, detail="dynamodb error") from exc
        if "Item" not in response:
            raise HTTPException(status_code=404, detail="User not found")
        it = response["Item"]
        return {
            "user_id": it["user_id"]["S"],
            "name": it["name"]["S"],
            "email": it["email"]["S"],
            "version": int(it["version"]["N"]),
        }

    return app


def serve_bare(port: int) -> None:
    import uvicorn

    uvicorn.run(bare_app(), host="127.0.0.1", port=port, access_log=False, log_level="warning")


# ---------------------------------------------------------------------------- harness


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60) -> None:
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"{self.name} app exited: {err[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} app did not answer /health within {timeout_s} s")

    def cpu_seconds(self) -> float:
        """User + system CPU the app's process has used so far (``/proc/<pid>/stat``)."""
        assert self.proc is not None
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class Samples:
    latencies_ms: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=lambda: {"create": [], "get": []})
    seconds: float = 0.0
    requests: int = 0
    errors: int = 0
    #: CPU the app's own process spent serving the measured requests.
    cpu_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def load(
    url: str,
    users: int,
    concurrency: int,
    prefix: str,
    samples: Samples,
    headers: dict[str, str] | None = None,
) -> None:
    """``users`` create + get pairs, from ``concurrency`` threads with one connection each."""
    import httpx

    ids = [f"{prefix}-{i}" for i in range(users)]
    lock = threading.Lock()

    def worker(chunk: list[str]) -> None:
        with httpx.Client(base_url=url, timeout=30, headers=headers) as client:
            for user_id in chunk:
                for kind, call in (
                    (
                        "create",
                        lambda u=user_id: client.post(
                            "/users",
                            json={"user_id": u, "name": "Bench User", "email": f"{u}@example.com"},
                        ),
                    ),
                    ("get", lambda u=user_id: client.get(f"/users/{u}")),
                ):
                    started = time.perf_counter()
                    response = call()
                    ms = (time.perf_counter() - started) * 1000
                    ok = response.status_code == (201 if kind == "create" else 200)
                    with lock:
                        samples.latencies_ms.append(ms)
                        samples.by_kind[kind].append(ms)
                        samples.requests += 1
                        samples.errors += 0 if ok else 1

    chunks = [ids[i::concurrency] for i in range(concurrency)]
    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    samples.seconds += time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--users", type=int, default=300, help="create + get pairs per app per round"
    )
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--warmup", type=int, default=20, help="pairs per app before measuring")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return

    sys.path.insert(0, str(ROOT))
    from bench._stacks import api_stack_manifest

    from trellis.local.emulator import (
        LOCAL_ACCESS_KEY,
        LOCAL_ACCOUNT_ID,
        LOCAL_SECRET_KEY,
        Emulator,
        free_port,
    )
    from trellis.local.provision import provision

    emulator = Emulator(port=free_port()).start()
    servers: list[Server] = []
    try:
        base_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TRELLIS_", "OTEL_"))
        }
        base_env.update(
            AWS_ENDPOINT_URL=emulator.endpoint,
            AWS_REGION=emulator.region,
            AWS_ACCESS_KEY_ID=LOCAL_ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=LOCAL_SECRET_KEY,
        )
        tables = {}
        for project in ("trellis", "bare"):
            addresses = provision(
                api_stack_manifest(project), "dev", emulator.client, account_id=LOCAL_ACCOUNT_ID
            )
            tables[project] = addresses
        t = tables["trellis"]
        origin = uuid.uuid4().hex
        secret_arn = emulator.client("secretsmanager").create_secret(
            Name="trellis/dev/_trellis-origin", SecretString=origin
        )["ARN"]
        gateway_headers = {
            "x-trellis-origin": origin,
            "x-trellis-auth": "jwt",
            "x-trellis-principal": "bench-user",
            "x-trellis-claims": '{"sub":"bench-user"}',
        }
        trellis_env = {
            **base_env,
            "TRELLIS_PROJECT": "trellis",
            "TRELLIS_ENV": "dev",
            "TRELLIS_SERVICE": "api",
            "USERS_TABLE_NAME": t.address("table", "users"),
            "FILES_TABLE_NAME": t.address("table", "files"),
            "UPLOADS_BUCKET_NAME": t.address("bucket", "uploads"),
            "TRELLIS_ORIGIN_SECRET_ID": secret_arn,
        }
        bare_env = {**base_env, "USERS_TABLE_NAME": tables["bare"].address("table", "users")}
        uvicorn_flags = ["--host", "127.0.0.1", "--no-access-log", "--log-level", "warning"]
        trellis_port, bare_port = free_port(), free_port()
        servers = [
            Server(
                "Trellis",
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "api.main:app",
                    "--port",
                    str(trellis_port),
                    *uvicorn_flags,
                ],
                trellis_env,
                trellis_port,
            ),
            Server(
                "bare",
                [sys.executable, __file__, "--serve-bare", str(bare_port)],
                bare_env,
                bare_port,
            ),
        ]
        for server in servers:
            server.start()

        run_id = uuid.uuid4().hex[:6]
        results = {s.name: Samples() for s in servers}
        for server in servers:
            load(
                server.url,
                args.warmup,
                args.concurrency,
                f"warm-{run_id}",
                Samples(),
                gateway_headers,
            )
        for r in range(args.rounds):
            order = servers if r % 2 == 0 else list(reversed(servers))
            for server in order:
                cpu_before = server.cpu_seconds()
                load(
                    server.url,
                    args.users,
                    args.concurrency,
                    f"r{r}-{run_id}",
                    results[server.name],
                    gateway_headers,
                )
                results[server.name].cpu_s += server.cpu_seconds() - cpu_before
        print(report(results, args))
        failed = {name: s.errors for name, s in results.items() if s.errors}
        if failed:
            sys.exit(f"requests failed: {failed}")
    finally:
        for server in servers:
            server.stop()
        emulator.stop()


def report(results: dict[str, Samples], args: argparse.Namespace) -> str:
    trellis, bare = results["Trellis"], results["bare"]
    pairs = args.users * args.rounds
    lines = [
        f"### API overhead ({pairs} create + get pairs per app in {args.rounds} interleaved "
        f"rounds, {args.concurrency} client threads, uvicorn, one emulator)",
        "",
        "| app | req/s | p50 ms | p99 ms | create p50 ms | get p50 ms | app CPU ms/request "
        "| errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, label in (("bare", "bare FastAPI + boto3"), ("Trellis", "Trellis api")):
        s = results[name]
        lines.append(
            f"| {label} | {s.rate:.1f} | {percentile(s.latencies_ms, 50):.1f} "
            f"| {percentile(s.latencies_ms, 99):.1f} "
            f"| {statistics.median(s.by_kind['create']):.1f} "
            f"| {statistics.median(s.by_kind['get']):.1f} "
            f"| {1000 * s.cpu_s / s.requests:.2f} | {s.errors} |"
        )
    ratio = trellis.rate / bare.rate if bare.rate else float("nan")
    p50 = percentile(trellis.latencies_ms, 50) / percentile(bare.latencies_ms, 50)
    p99 = percentile(trellis.latencies_ms, 99) / percentile(bare.latencies_ms, 99)
    cpu = (trellis.cpu_s / trellis.requests) / (bare.cpu_s / bare.requests)
    lines += [
        "",
        f"Throughput ratio (Trellis / bare): **{ratio:.2f}x**; "
        f"p50 ratio **{p50:.2f}x**, p99 ratio **{p99:.2f}x**; "
        f"app CPU per request (Trellis / bare): **{cpu:.2f}x**.",
        "",
        "The app's CPU per request is counted from its process's own clock ticks, so other "
        "load on the machine moves it far less than the rates.",
        "",
        "Both apps make the same DynamoDB calls per pair (one `TransactWriteItems` of two "
        "conditional puts, one consistent `GetItem`) on tables of the same design and size; "
        "the difference is the platform: request id, JSON access log line per request, body "
        "size limit, the gateway origin check and caller parsing, typed settings and error "
        "translation, and its routers (`trellis.runtime.APIRouter`): both apps' routes are "
        "plain `def`, for which FastAPI goes to its thread pool twice per request (the route, "
        "then the validation of its return value); the api's make one hop. The emulator "
        "serves DynamoDB one request at a time, so it bounds both figures.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
