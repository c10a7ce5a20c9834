"""pytest fixtures for Trellis projects (registered through the ``pytest11`` entry point)."""

from __future__ import annotations

import functools
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from trellis import naming
from trellis.kinds import CACHE, DATABASE
from trellis.local.emulator import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, Emulator
from trellis.local.identities import iam_enabled
from trellis.manifest import Manifest
from trellis.testing._servers import LocalServers, TestCache, TestDatabase
from trellis.testing._service import (
    ServiceEnvironment,
    build_service_environment,
    deny_plan,
    resolve_manifest,
)

#: When set, the session emulator appends every non-admin authorisation decision here.
IAM_LOG_ENV = "TRELLIS_IAM_LOG"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``trellis iam verify``, bound each test by its own timeout from the plan.

    A test missing a permission often fails by waiting for something that never
    happens; its own budget (from its duration in the full run) ends it sooner.
    """
    plan = deny_plan()
    for item in items:
        timeout = plan.get(item.nodeid, {}).get("timeout")
        if timeout:
            item.add_marker(pytest.mark.timeout(timeout))


@pytest.fixture(scope="session")
def trellis_emulator() -> Iterator[Emulator]:
    """A moto server on a free loopback port, shared by the test session.

    It enforces IAM: the well-known local key (``emulator_env``,
    :meth:`Emulator.client`) is the administrator; services get their own keys
    from ``trellis_service``.
    """
    emulator = Emulator(port=0, iam_log=os.environ.get(IAM_LOG_ENV) or None).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """Names that no other test uses: ``unique_name("jobs")`` → ``"jobs-1f2e3d4c"``."""

    def make(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:8]}"

    return make


@pytest.fixture
def emulator_env(trellis_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """Point boto3 and the runtime's settings at the emulator, with the administrator's key."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", trellis_emulator.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", LOCAL_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", LOCAL_SECRET_KEY)
    monkeypatch.setenv("AWS_REGION", trellis_emulator.region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", trellis_emulator.region)
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return trellis_emulator


@pytest.fixture
def trellis_service(
    trellis_emulator: Emulator,
    unique_name: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Callable[..., ServiceEnvironment]:
    """Run the code under test as one service of a manifest, under its own IAM policy.

    ``trellis_service("orders")`` provisions every resource of ``trellis.toml``
    (a relative path is resolved from pytest's rootdir) under a fresh project
    name, creates the service's IAM identity with the policy derived from the
    manifest, and sets exactly the env vars ``trellis dev`` gives that service
    (its own key included) for the duration of the test. ``TRELLIS_IAM=off``
    gives the service the administrator's key instead; ``TRELLIS_IAM_DENY``
    withholds actions (see ``trellis iam verify``).

    ::

        def test_create_order(trellis_service):
            orders = trellis_service("orders")
            app = create_app_from_settings()          # reads the env
            ...
            orders.admin("dynamodb").get_item(...)    # assertions with the admin key
    """
    rootdir = Path(str(request.config.rootpath))

    def make(
        service: str, *, manifest: str | Path | Manifest = "trellis.toml", env: str | None = None
    ) -> ServiceEnvironment:
        loaded = resolve_manifest(manifest, rootdir)
        local: LocalServers | None = None
        databases, caches = loaded.specs(DATABASE), loaded.specs(CACHE)
        if databases or caches:
            local = request.getfixturevalue("trellis_servers")
        built = build_service_environment(
            trellis_emulator,
            loaded,
            service,
            env=env,
            project=unique_name(loaded.project.name[:15].rstrip("-")),
            iam=iam_enabled(),
            record_as=request.node.nodeid,
            servers=None if local is None else local.servers_for(loaded),
        )
        if local is not None:
            _own_databases_and_caches(local, built, manifest, rootdir, request)
        for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
            monkeypatch.delenv(var, raising=False)
        for key, value in built.env.items():
            monkeypatch.setenv(key, value)
        # boto3's default session keeps the credentials it first read: code under test
        # calling boto3.client() must see this service's key, not a previous test's.
        boto3 = sys.modules.get("boto3")
        if boto3 is not None:
            monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
        return built

    return make


@pytest.fixture(scope="session")
def trellis_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServers]:
    """The session's PostgreSQL and Valkey servers, one per database/cache, started on first use."""
    servers = LocalServers(tmp_path_factory.mktemp("trellis-servers"))
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def trellis_database(
    trellis_servers: LocalServers, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Callable[..., TestDatabase]]:
    """A test's own database: ``trellis_database("audit", service="api")``.

    A clone of the database's template, which the migrations of every service that
    connects (``<service path>/migrations``) built once per session; dropped after the
    test. Sets ``AUDIT_DATABASE_URL`` to the service's own URL (its own user), or the
    owner's without ``service``. ``name`` defaults to the manifest's only database.
    """
    rootdir = Path(str(request.config.rootpath))
    made: list[TestDatabase] = []

    def make(
        name: str | None = None,
        *,
        service: str | None = None,
        manifest: str | Path | Manifest = "trellis.toml",
    ) -> TestDatabase:
        loaded = resolve_manifest(manifest, rootdir)
        root = rootdir if isinstance(manifest, Manifest) else _manifest_root(manifest, rootdir)
        name = name or _only(loaded, DATABASE)
        db = trellis_servers.database(loaded, root, name, service)
        made.append(db)
        monkeypatch.setenv(naming.env_var_name("database", name), db.url)
        return db

    yield make
    for db in made:
        trellis_servers.drop_database(db)


@pytest.fixture
def trellis_cache(
    trellis_servers: LocalServers, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Callable[..., TestCache]:
    """A test's own, empty cache: ``trellis_cache("sessions", service="api")``.

    A Valkey database index of the session's server, flushed first; sets
    ``SESSIONS_CACHE_URL`` to the service's own URL (its ACL user), or the
    administrator's without ``service``.
    """
    rootdir = Path(str(request.config.rootpath))

    def make(
        name: str | None = None,
        *,
        service: str | None = None,
        manifest: str | Path | Manifest = "trellis.toml",
        env: str | None = None,
    ) -> TestCache:
        loaded = resolve_manifest(manifest, rootdir)
        name = name or _only(loaded, CACHE)
        cache = trellis_servers.cache(loaded, name, env or loaded.project.environments[0], service)
        monkeypatch.setenv(naming.env_var_name("cache", name), cache.url)
        return cache

    return make


def _own_databases_and_caches(
    local: LocalServers,
    built: ServiceEnvironment,
    manifest: str | Path | Manifest,
    rootdir: Path,
    request: pytest.FixtureRequest,
) -> None:
    """Point the service's database and cache env vars at the test's own ones."""
    root = rootdir if isinstance(manifest, Manifest) else _manifest_root(manifest, rootdir)
    m, service = built.manifest, built.service
    for name, _levels in m.uses(service, "database"):
        db = local.database(m, root, name, service)
        request.addfinalizer(functools.partial(local.drop_database, db))
        built.env[naming.env_var_name("database", name)] = db.url
    for name, _levels in m.uses(service, "cache"):
        cache = local.cache(m, name, built.env_name, service)
        built.env[naming.env_var_name("cache", name)] = cache.url


def _only(manifest: Manifest, entry: Any) -> str:
    names = list(manifest.specs(entry))
    if len(names) != 1:
        raise ValueError(
            f"name the {entry.name}: the manifest has {len(names)} ({', '.join(names)})"
        )
    return names[0]


def _manifest_root(manifest: str | Path, rootdir: Path) -> Path:
    path = Path(manifest)
    return (path if path.is_absolute() else rootdir / path).resolve().parent
