"""Caches: Valkey on ElastiCache Serverless (``[caches.<name>]``), TLS always.

A service that declares ``readwrite`` logs in as its own ElastiCache user
(``<project>-<env>-<service>``: user ids are account-wide), with an IAM auth token in
AWS (``elasticache:Connect`` on the cache and that user) and a password locally,
where the user exists only for the services that declare it.

A service's env var (``SESSIONS_CACHE_URL``) carries ``rediss://<user>@<endpoint>:6379``
in AWS and ``redis://<user>:<pw>@127.0.0.1:<port>`` locally.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final, Literal

from pydantic import Field

from trellis import naming
from trellis.kinds._kind import CliOption, Grant, Kind, Snippet, Spec, Use
from trellis.kinds._policy import DeployStatement, EnvScope, Statement
from trellis.kinds._terraform import ENV, Expr, Tpl
from trellis.runtime._kinds import RUNTIME_KINDS

if TYPE_CHECKING:
    from trellis.manifest import Manifest

_IDENTIFIER_RE: Final = re.compile(r"^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$")


class Cache(Spec):
    engine: Literal["valkey"] = "valkey"
    #: The Valkey major version ElastiCache Serverless runs.
    version: Literal["8", "7"] = "8"
    #: Upper bounds that cap the bill: data stored (GB) and ElastiCache Processing Units per second.
    max_storage_gb: int = Field(default=10, ge=1, le=5000)
    max_ecpu_per_second: int = Field(default=5000, ge=1000, le=15_000_000)
    #: Days of daily snapshots (0: none).
    snapshot_retention_days: int = Field(default=1, ge=0, le=35)


def cache_identifier(project: str, env: str, name: str) -> str:
    """The serverless cache's name: ``acme-dev-sessions`` (ElastiCache allows no ``_``)."""
    return naming.physical_name(project, env, name).replace("_", "-")


def cache_user(project: str, env: str, service: str) -> str:
    """The ElastiCache user (id and name) a service logs in as: ``acme-dev-api``."""
    return naming.physical_name(project, env, service).replace("_", "-")


def default_user(project: str, env: str, name: str) -> str:
    """The cache's disabled ``default`` user (ElastiCache requires one in every user group)."""
    return f"{cache_identifier(project, env, name)}-default"


def cache_url(user: str, host: str, port: str, cache_name: str) -> str:
    """What a deployed service gets: TLS, its own user, no password (an IAM token).

    ``cache_name`` is what the IAM token is signed for: a serverless endpoint's first
    label is the name plus an id AWS picks, so the runtime is told the name outright.
    """
    return f"rediss://{user}@{host}:{port}?cache_name={cache_name}"


class CacheKind(Kind[Cache]):
    name = "cache"
    section = "caches"
    model = Cache
    runtime = RUNTIME_KINDS["cache"]
    levels = {"readwrite": ("elasticache:Connect",)}
    max_length = 40
    arn_template = "arn:{p}:elasticache:{r}:{a}:serverlesscache:{name}"
    terraform_module = "elasticache-cache"
    module_output = "endpoint"
    runtime_extra = "cache"
    local_provisioner = "trellis.local.provisioners.cache"
    key_argument = "kms_key_arn"
    verbs = {"readwrite": "reads and writes"}
    cli_options = (
        CliOption("--version", "version", {"choices": ["8", "7"], "help": "Valkey major"}),
        CliOption("--max-storage-gb", "max_storage_gb", {"type": int, "help": "default 10"}),
        CliOption(
            "--max-ecpu-per-second", "max_ecpu_per_second", {"type": int, "help": "default 5000"}
        ),
    )

    def physical_name(self, project: str, env: str, name: str, spec: Cache) -> str:
        return cache_identifier(project, env, name)

    def longest_name(self, project: str, env: str, name: str, spec: Cache) -> str:
        return default_user(project, env, name)

    def statements(self, grant: Grant[Cache]) -> Iterator[Statement]:
        # IAM auth authorises elasticache:Connect on the cache and on the user logging in.
        user = cache_user(grant.project, grant.env, grant.service)
        user_arn = grant.arns.resolve(f"arn:{{p}}:elasticache:{{r}}:{{a}}:user:{user}")
        yield Statement(grant.sid, grant.actions, (grant.arn, user_arn), (), grant.resource)

    def owned_arns(self, scope: EnvScope) -> tuple[str, ...]:
        # serverlesscache, user, usergroup, serverlesscachesnapshot of the environment's names.
        return (f"arn:{{p}}:elasticache:{{r}}:{{a}}:*:{scope.n}-*",)

    def terraform_arguments(
        self, manifest: Manifest, name: str, spec: Cache
    ) -> Iterator[tuple[str, object]]:
        from trellis.kinds._network import client_security_groups

        project = manifest.project.name
        yield "name", Tpl(cache_identifier(project, ENV, name))
        yield "major_engine_version", spec.version
        yield "max_storage_gb", spec.max_storage_gb
        yield "max_ecpu_per_second", spec.max_ecpu_per_second
        yield "snapshot_retention_days", spec.snapshot_retention_days
        yield "default_user_id", Tpl(default_user(project, ENV, name))
        yield (
            "user_ids",
            [
                Expr(f'module.cache_users.user_ids["{service}"]')
                for service in manifest.cache_users(name)
            ],
        )
        yield "vpc_id", Expr("module.network.vpc_id")
        yield "subnet_ids", Expr("module.network.private_subnet_ids")
        yield "client_security_group_ids", client_security_groups(manifest, name)

    def deploy_statements(self, scope: EnvScope) -> Iterator[DeployStatement]:
        yield DeployStatement(
            "ManageCaches",
            (
                "elasticache:AddTagsToResource",
                "elasticache:CreateServerlessCache",
                "elasticache:CreateUser",
                "elasticache:CreateUserGroup",
                "elasticache:DeleteServerlessCache",
                "elasticache:DeleteUser",
                "elasticache:DeleteUserGroup",
                "elasticache:DescribeServerlessCaches",
                "elasticache:DescribeUserGroups",
                "elasticache:DescribeUsers",
                "elasticache:ListTagsForResource",
                "elasticache:ModifyServerlessCache",
                "elasticache:ModifyUser",
                "elasticache:ModifyUserGroup",
                "elasticache:RemoveTagsFromResource",
            ),
            self.owned_arns(scope),
        )

    def _values(self, use: Use[Cache]) -> dict[str, str]:
        return {
            "cache": use.resource,
            "ident": use.ident,
            "field": naming.settings_field_name("cache", use.resource),
        }

    def accessor(self, use: Use[Cache]) -> Snippet | None:
        return Snippet(
            "kinds/cache/client.py.tmpl",
            self._values(use),
            imports=(("valkey", "Valkey"), ("trellis.runtime", "cache")),
        )

    def probe(self, use: Use[Cache], level: str) -> Snippet:
        if level != "readwrite":
            return super().probe(use, level)
        return Snippet(
            "kinds/cache/probe_readwrite.py.tmpl",
            self._values(use),
            imports=(("{module}", "resources"),),
        )

    def name_problems(self, full: str) -> Iterator[str]:
        if "${" not in full and not _IDENTIFIER_RE.match(full):
            yield (
                f"{full!r} is not an ElastiCache name (letters, digits and single hyphens, "
                "starting with a letter)"
            )


#: The registry entry (``trellis.kinds.CACHE``).
CACHE: Final = CacheKind()
