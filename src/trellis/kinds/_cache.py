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
from typing import Final, Literal

from pydantic import Field

from trellis import naming
from trellis.kinds._kind import Kind, Spec
from trellis.runtime._kinds import RUNTIME_KINDS

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
    local_provisioner = "trellis.local.provisioners.cache"
    verbs = {"readwrite": "reads and writes"}

    def physical_name(self, project: str, env: str, name: str, spec: Cache) -> str:
        return cache_identifier(project, env, name)

    def name_problems(self, full: str) -> Iterator[str]:
        if "${" not in full and not _IDENTIFIER_RE.match(full):
            yield (
                f"{full!r} is not an ElastiCache name (letters, digits and single hyphens, "
                "starting with a letter)"
            )


#: The registry entry (``trellis.kinds.CACHE``).
CACHE: Final = CacheKind()
