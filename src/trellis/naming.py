"""Names of everything Trellis derives from the manifest.

One module owns the rules so that Terraform, the local emulator, the env vars
and the IAM policies can never disagree on what a resource is called.

>>> physical_name("acme", "dev", "jobs")
'acme-dev-jobs'
>>> env_var_name("queue", "job-records")
'JOB_RECORDS_QUEUE_URL'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from trellis.runtime._kinds import RUNTIME_KINDS

if TYPE_CHECKING:
    from trellis.kinds import ResourceKind
    from trellis.manifest import Manifest

# AWS limits on the names of what is not a resource kind (inclusive maxima); each kind's
# limit is in its registry entry (``trellis.kinds``).
MAX_LENGTH: Final[dict[str, int]] = {
    "function": 64,  # Lambda function name
    "role": 64,  # IAM role name
    "apprunner": 40,  # App Runner service name
    "ecs": 255,
}

PROJECT_RE: Final = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
ENVIRONMENT_RE: Final = re.compile(r"^[a-z][a-z0-9]*$")
RESOURCE_RE: Final = re.compile(r"^[a-z][a-z0-9_-]*$")
BUCKET_RE: Final = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")

DLQ_SUFFIX: Final = "-dlq"
FIFO_SUFFIX: Final = ".fifo"


def physical_name(project: str, env: str, name: str) -> str:
    """The AWS name of a resource or service: ``<project>-<env>-<name>``."""
    return f"{project}-{env}-{name}"


def queue_name(project: str, env: str, name: str, *, fifo: bool = False, dlq: bool = False) -> str:
    """SQS queue name; a FIFO queue's name must end in ``.fifo``, after the DLQ suffix."""
    base = physical_name(project, env, name) + (DLQ_SUFFIX if dlq else "")
    return base + (FIFO_SUFFIX if fifo else "")


def secret_name(project: str, env: str, name: str) -> str:
    """Secrets Manager name, a path so that IAM can scope by prefix."""
    return f"{project}/{env}/{name}"


#: The secret a container service checks every request for (the gateway adds it as a
#: header): proof that the request came through the gateway. A manifest name cannot
#: start with ``_``, so it never clashes with a declared secret.
ORIGIN_SECRET = "_trellis-origin"  # noqa: S105 - a name, not a value


def origin_secret_name(project: str, env: str) -> str:
    """Secrets Manager name of the environment's gateway origin secret."""
    return secret_name(project, env, ORIGIN_SECRET)


def authorizer_function_name(project: str, env: str, service: str | None = None) -> str:
    """The JWT authorizer's Lambda function: the project's, or a service's own issuer's."""
    # "_" cannot appear in a service name: no clash with a service's function.
    owner = "" if service is None else f"{service}-"
    return physical_name(project, env, f"{owner}jwt_authz")


def key_alias(project: str, env: str) -> str:
    """The alias of an environment's customer-managed KMS key: ``alias/<project>-<env>-key``.

    Inside ``<project>-<env>-*``, so the denies on other environments' names cover it.
    """
    return f"alias/{physical_name(project, env, 'key')}"


def parameter_name(project: str, env: str, name: str) -> str:
    """SSM parameter name (hierarchical, with the leading slash SSM expects)."""
    return f"/{project}/{env}/{name}"


def resource_name(manifest: Manifest, kind: ResourceKind, name: str, env: str) -> str:
    """The AWS name of a manifest resource in ``env`` (its kind's rule: FIFO, paths, ...)."""
    # Imported here: the registry's entries build their names with this module.
    from trellis.kinds import kind as registered

    entry = registered(kind)
    return entry.physical_name(manifest.project.name, env, name, manifest.specs(entry)[name])


def env_var_name(kind: ResourceKind | str, name: str) -> str:
    """Env var that hands a resource's address to a service, e.g. ``USERS_TABLE_NAME``.

    A kind that hands services no address (a schedule) has none: ``ValueError``.
    """
    runtime = RUNTIME_KINDS.get(kind)
    if runtime is None:
        raise ValueError(f"a {kind} hands services no address: it has no env var")
    return f"{name.upper().replace('-', '_')}_{runtime.env_suffix}"


def settings_field_name(kind: ResourceKind | str, name: str) -> str:
    """The typed-settings field that reads :func:`env_var_name` (its lower-case form)."""
    return env_var_name(kind, name).lower()


def service_module(service: str) -> str:
    """Python package name of a service's code: ``order-api`` → ``order_api``."""
    return service.replace("-", "_")
