"""`trellis db`: the local databases — a psql shell, and alembic migrations."""

from __future__ import annotations

import argparse
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trellis.cli._common import UsageError, environment, service
from trellis.kinds import DATABASE
from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="the local databases: psql shell, migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    shell = db_sub.add_parser(
        "shell",
        help="open psql on a local database (trellis dev's, or its data when dev is not running)",
    )
    shell.add_argument("--database", help="the database (default: the manifest's only one)")
    shell.add_argument(
        "--service", help="log in as this service's own user (default: the owner, trellis)"
    )
    shell.add_argument("--env", help="environment (default: the manifest's first)")
    shell.add_argument("-c", "--command", dest="sql", help="run one SQL command and exit (psql -c)")
    shell.set_defaults(run=_shell)
    migrate = db_sub.add_parser(
        "migrate",
        help="run a service's alembic migrations (<service path>/migrations) on a local database",
    )
    migrate.add_argument("--service", required=True, help="the service whose migrations to run")
    migrate.add_argument("--database", help="the database (default: the manifest's only one)")
    migrate.add_argument("--env", help="environment (default: the manifest's first)")
    migrate.add_argument(
        "--revision", default="head", help="alembic revision to upgrade to (default: head)"
    )
    migrate.set_defaults(run=_migrate)


def _database(manifest: Manifest, requested: str | None) -> str:
    names = list(manifest.specs(DATABASE))
    if requested is None:
        if len(names) != 1:
            raise UsageError(
                "--database: the manifest has "
                + (f"several databases ({', '.join(names)})" if names else "no [databases.*]")
            )
        return names[0]
    if requested not in names:
        raise UsageError(
            f"--database {requested}: unknown database (databases: {', '.join(names) or 'none'})"
        )
    return requested


@contextmanager
def local_database(manifest: Manifest, root: Path, env: str, name: str) -> Iterator[Any]:
    """The PostgreSQL server of database ``name``: trellis dev's, or started for the command.

    Either way its database and the services' roles are made as trellis dev makes them.
    """
    from trellis.kinds import database_name, database_user
    from trellis.local.provision import data_dir
    from trellis.local.provisioners import database as provisioner
    from trellis.local.servers import PostgresServer, ServerError
    from trellis.local.state import read_state

    directory = data_dir(root, env, DATABASE, name)
    running = read_state(root, env)
    port = None if running is None else running.databases.get(name)
    server = PostgresServer(directory, port=port)
    try:
        if port is None:
            server.start()
    except ServerError as exc:
        raise UsageError(f"databases.{name}: {exc}") from None
    try:
        roles = [database_user(s) for s in provisioner.connecting_services(manifest, name)]
        provisioner.ensure_database(server, database_name(name), roles)
        yield server
    finally:
        if port is None:
            server.stop()


def _shell(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.kinds import database_name, database_user
    from trellis.local.provisioners.database import connecting_services
    from trellis.local.servers.postgres import SUPERUSER, install_dir

    env = environment(manifest, args.env)
    name = _database(manifest, args.database)
    user, key = SUPERUSER, SUPERUSER
    if args.service is not None:
        service(manifest, args.service)
        if args.service not in connecting_services(manifest, name):
            raise UsageError(
                f"--service {args.service}: services.{args.service}.uses has no "
                f'{name} = "connect", so it has no database user'
            )
        user = database_user(args.service)
        key = f"role:{user}"
    root = Path(args.manifest).resolve().parent
    with local_database(manifest, root, env, name) as server:
        password = server.credentials.password(key)
        argv = [
            str(install_dir() / "bin" / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(server.port),
            "-U",
            user,
            "-d",
            database_name(name),
        ]
        if args.sql:
            argv += ["-c", args.sql]
        # The password in the environment, not on the command line (ps shows that).
        child_env = {**os.environ, "PGPASSWORD": password}
        return subprocess.run(argv, env=child_env, check=False).returncode


def _migrate(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.local.migrations import migrate_database

    env = environment(manifest, args.env)
    svc = service(manifest, args.service)
    name = _database(manifest, args.database)
    root = Path(args.manifest).resolve().parent
    migrations = root / manifest.service_path(svc) / "migrations"
    if not (migrations / "env.py").is_file():
        raise UsageError(
            f"services.{svc}.path: no alembic migrations at {migrations} (env.py missing)"
        )
    with local_database(manifest, root, env, name) as server:
        migrate_database(manifest, root, server, name, args.revision, only=svc)
    print(f"databases.{name}: migrated to {args.revision} ({migrations.relative_to(root)})")
    return 0
