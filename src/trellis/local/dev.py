"""``trellis dev``: the whole stack on one machine, no Docker, no AWS account.

Start-up order: emulator → resources → services → gateway → event sources; the
services' libraries and the database and cache servers load meanwhile.
Shutdown (Ctrl-C or SIGTERM) runs it backwards and reaps every child; children
also die with this process if it is killed outright (see ``processes``).

Once ready it watches each service's folder (unless ``--no-reload``): a save
under it reloads that service alone (:meth:`DevStack.reload`), while the
emulator, its state and every other service keep running.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import uvicorn

from trellis import kinds, naming
from trellis._console import table
from trellis.kinds import BUS, QUEUE, SCHEDULE, ResourceKind
from trellis.local._warm import NICENESS_ENV
from trellis.local.auth import (
    DevAuthState,
    DevIssuer,
    LocalIdentity,
    SigV4Verifier,
    api_keys,
    auth_dir,
    invoker_policy,
    issuer_url,
    manifest_audience,
)
from trellis.local.dashboard import (
    Dashboard,
    DecisionTail,
    DeliveryFeed,
    DevEvents,
    record_request,
)
from trellis.local.emulator import (
    ADMIN_KEYS,
    CONVENTIONAL_ACCESS_KEY,
    CONVENTIONAL_SECRET_KEY,
    EMULATOR_PORT,
    LOCAL_ACCESS_KEY,
    LOCAL_ACCOUNT_ID,
    LOCAL_SECRET_KEY,
    Emulator,
    bind_port,
)
from trellis.local.event_rules import RuleTarget
from trellis.local.event_source import POLL_WAIT_S, SqsEventSource
from trellis.local.gateway import Gateway, GatewayAuth, Route
from trellis.local.identities import (
    DENY_ENV,
    ServiceCredentials,
    create_service_identity,
    denied_actions,
    local_aws_variables,
    local_policy,
)
from trellis.local.provision import (
    LocalAddresses,
    ProvisionError,
    data_dir,
    provision,
    server_kinds,
    start_servers,
    stop_servers,
)
from trellis.local.scheduler import LocalScheduler
from trellis.local.services import (
    DEFAULT_IDLE_S,
    DEFAULT_LOCAL_INSTANCES,
    ContainerService,
    LambdaFunction,
    ServiceStartError,
)
from trellis.local.state import DevState, read_state
from trellis.manifest import Manifest
from trellis.wiring import service_environment

#: Host variables a service process keeps; everything else comes from the manifest,
#: so a developer's real AWS credentials or profile never reach a local service.
_PASSTHROUGH = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TERM",
    "TMPDIR",
    "VIRTUAL_ENV",
    "SYSTEMROOT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)


def _passthrough_env() -> dict[str, str]:
    """The host variables of :data:`_PASSTHROUGH` that are set here."""
    return {k: os.environ[k] for k in _PASSTHROUGH if k in os.environ}


#: The start-up spares' CPU priority while they import (:mod:`trellis.local._warm`).
STARTUP_SPARE_NICENESS = 0

_COLORS = ("36", "33", "35", "32", "34", "31")


@dataclass
class DevOptions:
    root: Path
    env: str
    port: int = 8000
    emulator_port: int = EMULATOR_PORT
    color: bool = False
    #: Enforce IAM: each service runs with its own key carrying its derived policy.
    iam: bool = True
    #: Reload a service when a file under its path changes.
    reload: bool = True
    #: Local instances of a Lambda function at most (its reserved concurrency, if lower).
    lambda_instances: int = DEFAULT_LOCAL_INSTANCES
    #: Seconds an idle Lambda instance stays warm before it is retired.
    lambda_idle_s: float = DEFAULT_IDLE_S
    #: Point every service's OpenTelemetry exporter at the dashboard's OTLP receiver.
    traces: bool = True
    #: Wipe the local databases' and caches' data first (``.trellis/dev/<env>/databases|caches``).
    fresh: bool = False


class ConsoleLog:
    """Writes ``name | line`` for every service, one colour each when on a terminal."""

    def __init__(self, out: TextIO, color: bool, width: int = 9) -> None:
        self.out = out
        self.color = color
        #: The label column's width: the longest name that logs (services, ``emulator``, ...).
        self.width = width
        self._colors: dict[str, str] = {}
        #: Also told every line (the dashboard's logs page).
        self.sinks: list[Callable[[str, str], None]] = []

    def __call__(self, name: str, line: str) -> None:
        label = f"{name:<{self.width}}|"
        if self.color:
            code = self._colors.setdefault(name, _COLORS[len(self._colors) % len(_COLORS)])
            label = f"\033[{code}m{label}\033[0m"
        self.out.write(f"{label} {line}\n")
        self.out.flush()
        for sink in self.sinks:
            sink(name, line)


@dataclass
class DevStack:
    """Everything ``trellis dev`` runs, so tests can drive it without a subprocess too."""

    manifest: Manifest
    options: DevOptions
    log: ConsoleLog
    emulator: Emulator | None = None
    addresses: LocalAddresses | None = None
    #: The databases' and caches' servers, by ``(kind, name)``.
    servers: dict[tuple[ResourceKind, str], Any] = field(default_factory=dict)
    functions: dict[str, LambdaFunction] = field(default_factory=dict)
    containers: dict[str, ContainerService] = field(default_factory=dict)
    sources: list[SqsEventSource] = field(default_factory=list)
    #: Each service's own IAM identity (empty with ``--no-iam``).
    credentials: dict[str, ServiceCredentials] = field(default_factory=dict)
    #: Seconds each start-up phase took, for the "ready in" line.
    phases: dict[str, float] = field(default_factory=dict)
    #: What the gateway checks callers with, and what `trellis token` reads.
    gateway_auth: GatewayAuth | None = None
    auth_state: DevAuthState | None = None
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    #: The gateway's port, bound first so that nothing takes it while the stack starts.
    _gateway_socket: socket.socket | None = None
    _gateway: Gateway | None = None
    #: What the dashboard shows: requests, spans, deliveries, denials, log lines.
    events: DevEvents = field(default_factory=DevEvents)
    #: What the local commands read to find this stack (``.trellis/dev/<env>.json``).
    state: DevState | None = None
    _reloads: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    #: Fires the manifest's schedules; set one with an injected clock before ``start`` to test.
    scheduler: LocalScheduler | None = None
    _reload_again: dict[str, list[Path]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.log.sinks.append(self.events.log)

    @property
    def decision_log(self) -> Path:
        """Where the emulator appends its IAM decisions (the dashboard reads the denials)."""
        return auth_dir(self.options.root) / self.options.env / "iam-decisions.jsonl"

    @property
    def dashboard_url(self) -> str:
        return f"http://127.0.0.1:{self.options.port}/_trellis/"

    def _warn_version(self, name: str, server: Any) -> None:
        """Say so when AWS will run an older PostgreSQL major than the local server."""
        wanted = self.manifest.specs(kinds.DATABASE)[name].version
        local = (server.pgdata / "PG_VERSION").read_text().strip()
        if local != wanted:
            self.log(
                "trellis",
                f"databases.{name}.version is {wanted}: AWS runs PostgreSQL {wanted}, this "
                f"machine {local} (the embedded server has no {wanted} build); avoid "
                f"features newer than {wanted}",
            )

    async def start(self, stop: asyncio.Event) -> float:
        """Bring everything up; return seconds until every routed service answered ``/health``.

        What does not wait on anything else starts at once: each service's process
        loading its libraries (a spare, :mod:`trellis.local._warm`), the emulator and
        then its resources, the database and cache servers and then their databases
        and migrations. The services' own code runs once both sides are done; event
        sources, schedules and the IAM decision tail start once every service answers
        (a first delivery would otherwise take the instance the health check needs).
        """
        started = time.perf_counter()
        opts = self.options
        try:
            self._gateway_socket = bind_port(opts.port)
        except OSError as exc:
            raise DevError(
                f"port {opts.port} is already in use ({exc.strerror}); pick another with --port"
            ) from None
        iam_log = None
        if opts.iam:
            self.decision_log.parent.mkdir(parents=True, exist_ok=True)
            self.decision_log.unlink(missing_ok=True)
            iam_log = str(self.decision_log)
        self.emulator = Emulator(
            port=opts.emulator_port,
            region=self.manifest.project.region,
            iam=opts.iam,
            iam_log=iam_log,
        )
        if opts.fresh:
            running = read_state(opts.root, opts.env)
            if running is not None and running.pid != os.getpid():
                raise DevError(
                    f"--fresh: trellis dev (pid {running.pid}) is running for {opts.env} "
                    "on this data; stop it first"
                )
            wipe_local_data(opts.root, opts.env)
        await self._start_spares()
        self.addresses = LocalAddresses()
        sides = await asyncio.gather(
            asyncio.to_thread(self._emulator_side, started),
            asyncio.to_thread(self._server_side),
            return_exceptions=True,
        )
        for failure in sides:
            if isinstance(failure, ProvisionError):
                raise DevError(str(failure)) from None
            if isinstance(failure, BaseException):
                raise failure
        self.phases["resources"] = time.perf_counter() - started - sum(self.phases.values())
        await asyncio.gather(*(self._start_service(name) for name in self.manifest.services))
        self.phases["services"] = time.perf_counter() - started - sum(self.phases.values())
        await self._start_gateway()
        await self.wait_healthy()
        self.phases["gateway"] = time.perf_counter() - started - sum(self.phases.values())
        self._start_background(stop)
        self.state = DevState(
            env=opts.env,
            pid=os.getpid(),
            gateway_port=opts.port,
            emulator_port=opts.emulator_port,
            region=self.manifest.project.region,
            databases={n: s.port for (k, n), s in self.servers.items() if k == "database"},
            caches={n: s.port for (k, n), s in self.servers.items() if k == "cache"},
        )
        self.state.write(opts.root)
        return time.perf_counter() - started

    def _emulator_side(self, started: float) -> None:
        """The emulator, what lives in it, the services' identities and the gateway's auth."""
        assert self.emulator is not None and self.addresses is not None
        self.emulator.start()
        self.phases["emulator"] = time.perf_counter() - started
        self.log("emulator", f"AWS emulator (moto) on {self.emulator.endpoint}")
        provision(
            self.manifest,
            self.options.env,
            self.emulator.shared_client,
            account_id=LOCAL_ACCOUNT_ID,
            part="emulator",
            out=self.addresses,
        )
        if self.options.iam:
            self._create_identities()
        self._prepare_auth()

    def _server_side(self) -> None:
        """The database and cache servers, their databases, users and migrations."""
        assert self.emulator is not None and self.addresses is not None
        opts = self.options
        self.servers = start_servers(self.manifest, opts.root, opts.env)
        for (kind, name), server in self.servers.items():
            what = "PostgreSQL" if kind == "database" else "Valkey"
            shown = os.path.relpath(server.directory, opts.root)
            self.log("trellis", f"{kind} {name}: {what} on 127.0.0.1:{server.port} (data {shown})")
            if kind == "database":
                self._warn_version(name, server)
        if not self.servers:
            return
        provision(
            self.manifest,
            opts.env,
            self.emulator.shared_client,
            account_id=LOCAL_ACCOUNT_ID,
            servers=self.servers,
            part="servers",
            out=self.addresses,
        )
        self._migrate_databases()
        self._empty_caches()

    async def _start_spares(self) -> None:
        """Each service's first process, loading its libraries while the resources are made.

        Its environment is the part known before provisioning; the rest (addresses,
        keys) comes when it is told to run (:meth:`ManagedProcess.take_over`).
        """
        for name in self.manifest.services:
            service = self._service(name)
            env = _passthrough_env()
            env.update(self._runtime_env(self.service_root(name)))
            env[NICENESS_ENV] = str(STARTUP_SPARE_NICENESS)
            service.env = env
            await service.prestart()

    def _service(self, name: str) -> LambdaFunction | ContainerService:
        """The service's local runtime (made once, not started)."""
        if name in self.functions:
            return self.functions[name]
        if name in self.containers:
            return self.containers[name]
        spec = self.manifest.services[name]
        cwd = self.service_root(name)
        if not cwd.is_dir():
            raise DevError(f"services.{name}.path: {cwd} is not a directory")
        if spec.runtime == "lambda":
            self.functions[name] = LambdaFunction(
                name,
                handler=self.manifest.lambda_handler(name),
                function_name=naming.physical_name(
                    self.manifest.project.name, self.options.env, name
                ),
                env={},
                cwd=cwd,
                timeout_s=spec.timeout_s,
                memory_mb=spec.memory_mb,
                log=self.log,
                max_instances=min(
                    spec.reserved_concurrency or self.options.lambda_instances,
                    self.options.lambda_instances,
                ),
                idle_s=self.options.lambda_idle_s,
            )
            return self.functions[name]
        self.containers[name] = ContainerService(
            name, app=self.manifest.asgi_app(name), env={}, cwd=cwd, log=self.log
        )
        return self.containers[name]

    async def _start_gateway(self) -> None:
        opts = self.options
        routes = []
        for name, spec in self.manifest.services.items():
            if spec.route is None:
                continue
            rules = tuple(self.manifest.auth_rules(name))
            if name in self.functions:
                routes.append(Route(spec.route, name, function=self.functions[name], auth=rules))
            else:
                routes.append(Route(spec.route, name, container=self.containers[name], auth=rules))
        self._gateway = Gateway(
            routes,
            stage=opts.env,
            log=self.log,
            auth=self.gateway_auth,
            console=Dashboard(self),
            on_request=lambda record: record_request(self.events, record),
        )
        config = uvicorn.Config(
            self._gateway, host="127.0.0.1", port=opts.port, log_level="warning", lifespan="off"
        )
        self._server = _GatewayServer(config)
        sockets = [self._gateway_socket] if self._gateway_socket is not None else None
        self._tasks.append(asyncio.create_task(self._server.serve(sockets=sockets)))
        while not self._server.started:
            if self._tasks[0].done():
                raise DevError(f"the gateway could not listen on 127.0.0.1:{opts.port}")
            await asyncio.sleep(0.02)

    def _start_background(self, stop: asyncio.Event) -> None:
        """Event sources, schedules, the IAM decision tail and the containers' supervisors."""
        opts = self.options
        self._start_event_sources(stop)
        if self.manifest.specs(SCHEDULE):
            self.scheduler = self.scheduler or LocalScheduler(self)
            self._tasks.append(asyncio.create_task(self.scheduler.run(stop)))
        if opts.iam:
            users = {creds.user: name for name, creds in self.credentials.items()}
            tail = DecisionTail(
                self.decision_log,
                self.events,
                self.manifest,
                opts.env,
                LOCAL_ACCOUNT_ID,
                users=lambda: users,
                log=self.log,
            )
            self._tasks.append(asyncio.create_task(tail.run(stop)))
        for container in self.containers.values():
            self._tasks.append(asyncio.create_task(container.supervise(stop)))

    async def _start_service(self, name: str) -> None:
        assert self.emulator is not None and self.addresses is not None
        service = self._service(name)
        service.env = self.process_env(name)
        await service.start()

    def _migrate_databases(self) -> None:
        """Each database migrated to its services' latest migrations, as a deploy does first.

        A migration that fails stops ``trellis dev`` with its error: the services would
        otherwise start on a schema their code does not expect.
        """
        from trellis.local.migrations import migrate_database

        for (kind, name), server in self.servers.items():
            if kind != "database":
                continue
            try:
                revisions = migrate_database(self.manifest, self.options.root, server, name)
            except Exception as exc:  # noqa: BLE001 - alembic and the migrations raise anything
                raise DevError(
                    f"databases.{name}: its migrations failed: {type(exc).__name__}: {exc}"
                ) from None
            for service, revision in revisions.items():
                self.log("trellis", f"database {name}: {service}'s migrations at {revision}")

    def _empty_caches(self) -> None:
        """Every cache starts empty, as the emulator's tables and queues do.

        The databases keep their data across restarts; a cache's entries could then
        describe items the fresh emulator no longer has (a user cached before the
        restart, served stale after it). A cache may always be emptied.
        """
        for (kind, _name), server in self.servers.items():
            if kind == "cache":
                with server.client() as client:
                    client.flushall()

    def _create_identities(self) -> None:
        """Give every service its own IAM user and key, with the policy Terraform gives its role."""
        assert self.emulator is not None
        iam = self.emulator.shared_client("iam")
        for name in self.manifest.services:
            try:
                deny = denied_actions(name)
            except ValueError as exc:
                raise DevError(str(exc)) from None
            self.credentials[name] = create_service_identity(
                iam, self.manifest, name, self.options.env, account_id=LOCAL_ACCOUNT_ID, deny=deny
            )
            if deny:
                self.log("trellis", f"{name}: withholding {', '.join(sorted(deny))} ({DENY_ENV})")

    def _prepare_auth(self) -> None:
        """The development issuer, local API keys, SigV4 callers and the origin secret."""
        assert self.emulator is not None
        m, env = self.manifest, self.options.env
        region, project = m.project.region, m.project.name
        directory = auth_dir(self.options.root)
        gateway = f"http://127.0.0.1:{self.options.port}"
        issuer = DevIssuer(directory)
        iss = issuer_url(gateway)
        auth = GatewayAuth(issuer=issuer, issuer_url=iss)
        for name in m.services:
            config = m.jwt_config(name)
            if "jwt" in m.auth_modes(name) and config is not None:
                auth.jwt[name] = issuer.verifier(iss, config.for_environment(env).audience)
        keyed = [s for s in m.services if "api_key" in m.auth_modes(s)]
        keys = api_keys(directory, keyed)
        auth.api_keys = {value: naming.physical_name(project, env, s) for s, value in keys.items()}
        # The caller of `iam` routes: an emulator user allowed execute-api:Invoke on the stage.
        iam = self.emulator.shared_client("iam")
        user = naming.physical_name(project, env, "invoker")
        policy = invoker_policy(region, LOCAL_ACCOUNT_ID, env)
        with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
            iam.create_user(UserName=user)
        iam.put_user_policy(
            UserName=user, PolicyName="trellis-invoker", PolicyDocument=json.dumps(policy)
        )
        key = iam.create_access_key(UserName=user)["AccessKey"]
        arn = f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:user/{user}"
        identities = [
            LocalIdentity(arn, key["AccessKeyId"], key["SecretAccessKey"], (policy,)),
            *(
                LocalIdentity(
                    f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:user/trellis-admin",
                    admin_key,
                    admin_secret,
                    ({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},),
                )
                for admin_key, admin_secret in ADMIN_KEYS
            ),
        ]
        for name, creds in self.credentials.items():
            service_policy = local_policy(m, name, env, account_id=LOCAL_ACCOUNT_ID)
            identities.append(
                LocalIdentity(
                    f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:user/{creds.user}",
                    creds.access_key_id,
                    creds.secret_access_key,
                    (service_policy,),
                )
            )
        auth.sigv4 = SigV4Verifier(
            identities, region=region, account_id=LOCAL_ACCOUNT_ID, stage=env
        )
        assert self.addresses is not None
        auth.origin_secret = self.addresses.origin_secret
        self.gateway_auth = auth
        self.auth_state = DevAuthState(
            gateway=gateway,
            issuer=iss,
            audience=manifest_audience(m, env),
            api_keys=keys,
            invoker={
                "access_key_id": key["AccessKeyId"],
                "secret_access_key": key["SecretAccessKey"],
                "arn": arn,
            },
        )
        self.auth_state.write(self.options.root, env)

    def service_key(self, name: str) -> tuple[str, str]:
        """The key a service's code (and its event source mapping) calls AWS with."""
        creds = self.credentials.get(name)
        if creds is None:
            return LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
        return creds.access_key_id, creds.secret_access_key

    def process_env(self, name: str) -> dict[str, str]:
        """The service's manifest env vars, plus what its runtime and the emulator add."""
        assert self.emulator is not None and self.addresses is not None
        spec = self.manifest.services[name]
        env = _passthrough_env()
        env.update(service_environment(self.manifest, name, self.options.env, self.addresses))
        cwd = str((self.options.root / self.manifest.service_path(name)).resolve())
        env.update(local_aws_variables(self.emulator.endpoint, self.service_key(name)))
        runtime = self._runtime_env(Path(cwd))
        if "OTEL_EXPORTER_OTLP_ENDPOINT" in env:
            # A collector of the developer's own (or the service's env) wins over the dashboard.
            runtime = {k: v for k, v in runtime.items() if not k.startswith("OTEL_")}
        env.update(runtime)
        region = self.manifest.project.region
        if spec.runtime == "lambda":
            function_name = naming.physical_name(self.manifest.project.name, self.options.env, name)
            # What the Lambda runtime itself sets in every execution environment.
            env.update(
                {
                    "AWS_REGION": region,
                    "AWS_DEFAULT_REGION": region,
                    "AWS_LAMBDA_FUNCTION_NAME": function_name,
                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
                    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                    "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info.major}.{sys.version_info.minor}",
                    "LAMBDA_TASK_ROOT": cwd,
                    "_HANDLER": self.manifest.lambda_handler(name),
                }
            )
        return env

    def _runtime_env(self, cwd: Path) -> dict[str, str]:
        """What every service process gets from ``trellis dev`` itself: its import path, traces."""
        env = {"PYTHONUNBUFFERED": "1", "PYTHONPATH": str(cwd)}
        if self.options.traces and "OTEL_EXPORTER_OTLP_ENDPOINT" not in os.environ:
            # The dashboard's receiver; a collector of the developer's own (the variable
            # set in trellis dev's environment) wins. Containers export within half a second.
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = (
                f"http://127.0.0.1:{self.options.port}/_trellis/otlp"
            )
            env["OTEL_BSP_SCHEDULE_DELAY"] = "500"
        return env

    def _start_event_sources(self, stop: asyncio.Event) -> None:
        assert self.emulator is not None and self.addresses is not None
        feed = DeliveryFeed(self.events)
        for queue, spec in self.manifest.specs(QUEUE).items():
            for consumer in self.manifest.consumers(queue):
                fn = self.functions.get(consumer)
                if fn is None:
                    # Container consumers poll the queue themselves with their own loop.
                    continue
                source = SqsEventSource(
                    queue_name=queue,
                    queue_url=self.addresses.address("queue", queue),
                    queue_arn=self.addresses.queue_arns[queue],
                    region=self.manifest.project.region,
                    function=fn,
                    # Short timeouts, no SDK retries: the event source backs off on its own.
                    # It polls with the consumer's key: on AWS the event source mapping
                    # uses the function's execution role (hence the `consume` actions).
                    sqs=self.emulator.client(
                        "sqs",
                        read_timeout_s=POLL_WAIT_S + 2,
                        max_attempts=1,
                        credentials=self.service_key(consumer),
                    ),
                    batch_size=spec.batch_size,
                    batching_window_s=spec.batching_window_s,
                    max_concurrency=spec.max_concurrency,
                    log=self.log,
                    max_receive_count=spec.max_receive_count,
                    observer=feed,
                )
                self.sources.append(source)
                self._tasks.append(asyncio.create_task(source.run(stop)))
        self._start_rule_targets(stop)

    def _start_rule_targets(self, stop: asyncio.Event) -> None:
        """Feed each rule's Lambda targets from their relay queues (trellis.local.event_rules)."""
        assert self.emulator is not None and self.addresses is not None
        for bus, spec in self.manifest.specs(BUS).items():
            for rule, rspec in spec.rules.items():
                for target in rspec.targets:
                    relay = self.addresses.rule_relays.get((rule, target))
                    fn = self.functions.get(target)
                    if relay is None or fn is None:
                        continue
                    url, arn = relay
                    source = SqsEventSource(
                        queue_name=f"{bus}/{rule}",
                        queue_url=url,
                        queue_arn=arn,
                        region=self.manifest.project.region,
                        function=RuleTarget(bus, rule, fn),
                        # EventBridge invokes with the function's resource policy, not a
                        # service's key: the relay is read as the administrator.
                        sqs=self.emulator.client(
                            "sqs", read_timeout_s=POLL_WAIT_S + 2, max_attempts=1
                        ),
                        # One event per invocation, as an asynchronous invocation is.
                        batch_size=1,
                        max_concurrency=10,
                        log=self.log,
                    )
                    self.sources.append(source)
                    self._tasks.append(asyncio.create_task(source.run(stop)))

    def service_root(self, name: str) -> Path:
        return (self.options.root / self.manifest.service_path(name)).resolve()

    def start_reloading(self, stop: asyncio.Event) -> None:
        """Watch every service's folder and reload the service whose files change."""
        self._tasks.append(asyncio.create_task(self._prepare_spares(stop)))
        self._tasks.append(asyncio.create_task(self._watch(stop)))

    async def _prepare_spares(self, stop: asyncio.Event, quiet_s: float = 1.5) -> None:
        """Keep a spare process per service, started while the stack is quiet.

        Quiet: no request, delivery, span or log line for ``quiet_s``. Starting a
        spare costs an interpreter's worth of imports, which would otherwise slow
        the first requests after start-up or after a reload.
        """
        while not stop.is_set():
            version = self.events.version
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), quiet_s)
            if stop.is_set() or self.events.version != version:
                continue
            for fn in self.functions.values():
                fn.prepare_reload()
            for container in self.containers.values():
                container.prepare_reload()

    async def _watch(self, stop: asyncio.Event) -> None:
        from watchfiles import DefaultFilter, awatch

        roots = {name: self.service_root(name) for name in self.manifest.services}
        ignore = (*DefaultFilter.ignore_dirs, ".trellis", ".ruff_cache", "dist")
        # A short debounce: editors write a file in one or two events, and the reload is
        # what the developer is waiting for.
        async for changes in awatch(
            *sorted(set(roots.values())),
            watch_filter=DefaultFilter(ignore_dirs=ignore),
            stop_event=stop,
            debounce=400,
            step=20,
        ):
            touched: dict[str, list[Path]] = {}
            for _change, raw in sorted(changes):
                path = Path(raw)
                for name, root in roots.items():
                    if path.is_relative_to(root):
                        touched.setdefault(name, []).append(path)
            for name, paths in touched.items():
                self.reload(name, paths)

    def reload(self, name: str, changed: list[Path] | None = None) -> asyncio.Task[None]:
        """Reload one service (again after the current reload if one is running)."""
        paths = changed or [self.service_root(name)]
        running = self._reloads.get(name)
        if running is not None and not running.done():
            self._reload_again.setdefault(name, []).extend(paths)
            return running
        task = asyncio.create_task(self._reload(name, paths))
        self._reloads[name] = task
        return task

    async def _reload(self, name: str, paths: list[Path]) -> None:
        while True:
            started = time.perf_counter()
            service: LambdaFunction | ContainerService = (
                self.functions[name] if name in self.functions else self.containers[name]
            )
            try:
                shown = paths[0].relative_to(self.options.root)
            except ValueError:
                shown = paths[0]
            try:
                await service.reload(paths)
            except ServiceStartError as exc:
                self.log("trellis", f"{name}: reload failed: {exc}; save a fix to try again")
            else:
                elapsed = time.perf_counter() - started
                self.log("trellis", f"{name}: reloaded in {elapsed:.2f} s ({shown} changed)")
            again = self._reload_again.pop(name, None)
            if again is None:
                return
            paths = again

    async def wait_healthy(self, timeout_s: float = 20.0) -> None:
        """Every routed service answers ``GET <route>/health`` with 200 through the gateway."""
        import httpx

        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.options.port}", timeout=5.0
        ) as client:
            for name, spec in self.manifest.services.items():
                if spec.route is None:
                    continue
                while True:
                    try:
                        if (await client.get(f"{spec.route}/health")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        raise DevError(
                            f"service {name} did not answer {spec.route}/health with 200"
                        )
                    await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self.state is not None:
            self.state.remove(self.options.root)
        for reload in self._reloads.values():
            reload.cancel()
        # The gateway stops last: until the services are gone it receives their traces, and
        # an exporter whose endpoint refuses it retries for seconds at every invocation.
        server = self._tasks[0] if self._server is not None and self._tasks else None
        for task in [t for t in self._tasks if t is not server]:
            await self._settle(task)
        await asyncio.gather(
            *(fn.stop() for fn in self.functions.values()),
            *(c.stop() for c in self.containers.values()),
        )
        if self._server is not None:
            self._server.should_exit = True
        if server is not None:
            await self._settle(server)
        if self._gateway_socket is not None:
            self._gateway_socket.close()
        if self._gateway is not None:
            await self._gateway.aclose()
        if self.emulator is not None:
            await asyncio.gather(
                asyncio.to_thread(self.emulator.stop),
                asyncio.to_thread(stop_servers, self.servers),
            )
        else:
            await asyncio.to_thread(stop_servers, self.servers)

    async def _settle(self, task: asyncio.Task[Any]) -> None:
        try:
            await asyncio.wait_for(task, 5)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
        except Exception as exc:  # noqa: BLE001 - one broken part must not stop the rest from stopping
            self.log("trellis", f"stopping: {type(exc).__name__}: {exc}")

    def summary(self) -> str:
        """The table printed once the stack is ready."""
        assert self.emulator is not None and self.addresses is not None
        base = f"http://127.0.0.1:{self.options.port}"
        lines = ["", f"  Trellis dev — {self.manifest.project.name} ({self.options.env})", ""]
        services = [["SERVICE", "RUNTIME", "URL", "AUTH", "USES"]]
        for name, spec in self.manifest.services.items():
            url = f"{base}{spec.route}" if spec.route else "(no route)"
            auth = "+".join(sorted(self.manifest.auth_modes(name))) or "-"
            uses = ", ".join(f"{r}:{'+'.join(levels)}" for r, levels in spec.uses.items())
            services.append([name, spec.runtime, url, auth, uses])
        lines.extend(table(services, indent="  "))
        lines.append("")
        resources = [["RESOURCE", "KIND", "ADDRESS"]]
        resources.extend(
            [name, kind, value] for (kind, name), value in self.addresses.values.items()
        )
        lines.extend(table(resources, indent="  "))
        lines.append("")
        if self.options.iam:
            lines.append(
                "  IAM enforced: each service runs with its own key and derived policy "
                "(trellis iam show <service>; --no-iam turns it off)"
            )
        else:
            lines.append("  IAM not enforced (--no-iam): services run with the administrator's key")
        lines.extend(self._auth_summary())
        if self.options.reload:
            lines.append(
                "  reload: a save under a service's path restarts that service alone, "
                "state kept (--no-reload turns it off)"
            )
        lines.append(
            f"  dashboard: {self.dashboard_url}  (local only: served on 127.0.0.1, no login)"
        )
        lines.append(
            f"  emulator {self.emulator.endpoint}   gateway {base}   Ctrl-C stops everything"
        )
        lines.append("  AWS CLI / boto3 on the emulator, as its administrator: paste")
        lines.append(f"    {self.aws_exports()}")
        lines.append("")
        return "\n".join(lines)

    def aws_exports(self) -> str:
        """The shell line that points the AWS CLI and boto3 at the emulator, as the administrator."""
        assert self.emulator is not None
        return (
            f"export AWS_ENDPOINT_URL={self.emulator.endpoint} "
            f"AWS_ACCESS_KEY_ID={CONVENTIONAL_ACCESS_KEY} "
            f"AWS_SECRET_ACCESS_KEY={CONVENTIONAL_SECRET_KEY} "
            f"AWS_DEFAULT_REGION={self.manifest.project.region}"
        )

    def _auth_summary(self) -> list[str]:
        state = self.auth_state
        if state is None:
            return []
        lines = []
        modes = set().union(*(self.manifest.auth_modes(s) for s in self.manifest.services))
        if "jwt" in modes:
            lines.append(
                f"  jwt: development issuer {state.issuer} (keys {state.issuer}/jwks.json); "
                "a token: trellis token [--sub S] [--scope S]"
            )
        for service, key in state.api_keys.items():
            lines.append(f"  api_key: {service} x-api-key {key}  (trellis token --api-key)")
        if "iam" in modes:
            lines.append(
                "  iam: sign with SigV4 (execute-api) as the local invoker: "
                'eval "$(trellis token --iam)"'
            )
        return lines


def wipe_local_data(root: Path, env: str) -> list[Path]:
    """``--fresh``: delete every database's and cache's local data of ``env``; return what went."""
    import shutil

    wiped = []
    for entry, _module in server_kinds():
        folder = data_dir(root, env, entry, "x").parent
        if folder.exists():
            shutil.rmtree(folder)
            wiped.append(folder)
    return wiped


class _GatewayServer(uvicorn.Server):
    """uvicorn without its own signal handling: ``trellis dev`` owns Ctrl-C and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class DevError(RuntimeError):
    """``trellis dev`` cannot start; the message says why and what to do."""


def run_dev(manifest: Manifest, options: DevOptions, out: TextIO = sys.stdout) -> int:
    """Run the stack until Ctrl-C or SIGTERM; return the process exit status."""
    return asyncio.run(
        _run(manifest, options, ConsoleLog(out, options.color, label_width(manifest)))
    )


def label_width(manifest: Manifest) -> int:
    """The width of the log's name column: its longest name, a service's or the platform's."""
    return max(len(name) for name in (*manifest.services, "emulator", "gateway", "trellis"))


async def _run(manifest: Manifest, options: DevOptions, log: ConsoleLog) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stack = DevStack(manifest, options, log)
    status = 0
    try:
        started = time.perf_counter()
        await stack.start(stop)
        ready_s = time.perf_counter() - started
        log.out.write(stack.summary() + "\n")
        phases = ", ".join(f"{name} {secs:.2f}" for name, secs in stack.phases.items())
        log("trellis", f"ready in {ready_s:.2f} s ({phases})")
        if options.reload:
            stack.start_reloading(stop)
        await stop.wait()
        log("trellis", "stopping")
    except DevError as exc:
        log("trellis", f"error: {exc}")
        status = 1
    except Exception as exc:  # noqa: BLE001 - start-up failures are reported in one line, then cleaned up
        log("trellis", f"error: {type(exc).__name__}: {exc}")
        status = 1
    finally:
        stop.set()
        await stack.stop()
    log("trellis", "stopped")
    return status
