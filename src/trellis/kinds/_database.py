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
from typing import Final, Literal

from pydantic import Field, model_validator

from trellis import naming
from trellis.kinds._kind import Kind, Spec
from trellis.runtime._kinds import RUNTIME_KINDS

#: PostgreSQL majors the manifest accepts (Aurora and RDS both offer them); the first is the default.
POSTGRES_VERSIONS: Final = ("17", "16")

_IDENTIFIER_RE: Final = re.compile(r"^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$")


class Database(Spec):
    engine: Literal["postgres"] = "postgres"
    #: The PostgreSQL major version.
    version: Literal["17", "16"] = "17"
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
    local_provisioner = "trellis.local.provisioners.database"
    verbs = {"connect": "connects to"}

    def physical_name(self, project: str, env: str, name: str, spec: Database) -> str:
        return database_identifier(project, env, name)

    def name_problems(self, full: str) -> Iterator[str]:
        if "${" not in full and not _IDENTIFIER_RE.match(full):
            yield (
                f"{full!r} is not an RDS identifier (letters, digits and single hyphens, "
                "starting with a letter)"
            )


#: The registry entry (``trellis.kinds.DATABASE``).
DATABASE: Final = DatabaseKind()
