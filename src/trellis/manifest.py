"""Load and validate ``trellis.toml``, the single source of truth of a stack.

Every mistake is reported as a :class:`ManifestError` naming the key, so that
the CLI can print one readable line and exit with status 2:

>>> load_manifest_text('[project]\\nname = "acme"\\nregion = "us-east-1"\\n'
...     'environments = ["dev"]\\ngithub_repository = "acme/backend"\\n'
...     '[services.api]\\nruntime = "lambda"\\nuses = { users = "read" }')
Traceback (most recent call last):
...
trellis.manifest.ManifestError: services.api.uses.users: unknown resource 'users' (none declared)
"""

from __future__ import annotations

import functools
import ipaddress
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar, cast

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    create_model,
    field_validator,
)

from trellis import kinds, naming, schedule_expressions
from trellis.kinds import (
    KINDS,
    Kind,
    ResourceKind,
    Spec,
)
from trellis.kinds._bucket import lifecycle_problems
from trellis.kinds._bus import bus_problems
from trellis.kinds._terraform import module_name
from trellis.runtime._kinds import RUNTIME_KINDS

Runtime = Literal["lambda", "apprunner", "ecs-express"]
#: Who may call a routed service through the gateway (see docs/manifest.md, "Auth").
AuthMode = Literal["none", "iam", "api_key", "jwt"]
AUTH_MODES: tuple[AuthMode, ...] = ("none", "iam", "api_key", "jwt")
#: The one path every service answers without auth: liveness says nothing.
HEALTH_PATH = "/health"
#: Deepest ``route_auth`` prefix below a service's route (the gateway module's resource levels).
MAX_ROUTE_AUTH_DEPTH = 3

#: Access levels each resource kind accepts (the registry's entries say their IAM actions).
ACCESS_LEVELS: dict[ResourceKind, tuple[str, ...]] = {k.name: tuple(k.levels) for k in KINDS}

#: Words bootstrap/ puts after ``<project>-`` in its own names (``acme-deploy-prod``,
#: ``acme-tfstate-<account>``, ...): an environment so named would own them, since an
#: environment's deploy role manages ``<project>-<env>-*``.
RESERVED_ENVIRONMENTS: frozenset[str] = frozenset(
    {"deploy", "plan", "boundary", "bootstrap", "tfstate", "apigateway", "ecs"}
)

#: Queue visibility must be at least this many times a consuming Lambda's timeout.
VISIBILITY_TO_TIMEOUT_RATIO = 6

_ROUTE_RE = re.compile(r"^(/[a-z0-9][a-z0-9._-]*)+$")
_ROUTE_AUTH_RE = re.compile(rf"^(/[a-z0-9][a-z0-9._-]*){{1,{MAX_ROUTE_AUTH_DEPTH}}}$")
# https only, and no quote, backslash or whitespace: the value is a header or an env var too.
_HTTPS_URL_RE = r"^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s'\"\\]*)?$"
_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
#: The admin function of an environment's databases: ``<project>-<env>-db-admin``.
DB_ADMIN = "db-admin"
#: Database names PostgreSQL or RDS keep for themselves.
RESERVED_DATABASE_NAMES = frozenset({"postgres", "template0", "template1", "rdsadmin"})
#: The master user of every database (RDS keeps its password in Secrets Manager).
DATABASE_MASTER_USER = "trellis_admin"
#: Database users RDS or PostgreSQL keep: no service may log in as one.
RESERVED_DATABASE_USERS = frozenset(
    {DATABASE_MASTER_USER, "postgres", "rdsadmin", "rds_superuser", "rds_iam", "public"}
)


class ManifestError(ValueError):
    """A mistake in the manifest, located by its dotted key."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}" if key else message)
        self.key = key
        self.message = message


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


AccessList = Annotated[list[str], BeforeValidator(_as_list)]


_Model = Spec
S = TypeVar("S", bound=Spec)


class Project(_Model):
    name: str = Field(min_length=2, max_length=24, pattern=naming.PROJECT_RE.pattern)
    region: str = Field(pattern=_REGION_RE.pattern)
    environments: list[
        Annotated[str, Field(pattern=naming.ENVIRONMENT_RE.pattern, max_length=12)]
    ] = Field(min_length=1)
    github_repository: str = Field(pattern=_REPO_RE.pattern)
    #: Tags on every resource of the stack (the AWS provider's ``default_tags``).
    tags: dict[str, str] = Field(default_factory=dict)
    #: The Python of the Lambda runtime (``python3.X``) and of ``trellis build``'s packages.
    python: Literal["3.11", "3.12", "3.13"] = "3.11"
    #: Keys at rest: AWS's own keys, or one customer-managed KMS key per environment
    #: (:mod:`trellis.kinds._encryption`) used by every resource that takes one.
    encryption: Literal["aws-managed", "customer"] = "aws-managed"


Audience = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^\s,'\"\\]+$")]],
    BeforeValidator(_as_list),
]


class JwtIssuerOverride(_Model):
    """What one environment changes of a jwt issuer (a Cognito pool per environment, say)."""

    issuer: str | None = Field(default=None, pattern=_HTTPS_URL_RE, max_length=512)
    audience: Audience | None = Field(default=None, min_length=1)
    jwks_url: str | None = Field(default=None, pattern=_HTTPS_URL_RE, max_length=512)


class JwtAuth(_Model):
    """Who issues the bearer tokens a ``jwt`` route accepts (an OIDC issuer, e.g. a Cognito pool)."""

    #: The ``iss`` claim, e.g. ``https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123``.
    issuer: str = Field(pattern=_HTTPS_URL_RE, max_length=512)
    #: Accepted ``aud`` (or Cognito access tokens' ``client_id``) values; a token needs one of them.
    audience: Audience = Field(min_length=1)
    #: Where the signing keys are; default: the issuer's OIDC discovery document.
    jwks_url: str | None = Field(default=None, pattern=_HTTPS_URL_RE, max_length=512)
    #: Per-environment replacements of the keys above, e.g. ``environments.dev.issuer``.
    environments: dict[str, JwtIssuerOverride] = Field(default_factory=dict)

    def for_environment(self, env: str) -> JwtAuth:
        """This issuer as ``env`` sees it (its override applied)."""
        override = self.environments.get(env)
        if override is None:
            return self
        return self.model_copy(
            update={
                k: v
                for k, v in override.model_dump(exclude_none=True).items()
                if k in ("issuer", "audience", "jwks_url")
            }
        )


class ApiKeyPlan(_Model):
    """The usage plan of an ``api_key`` service: throttling per key, an optional daily quota."""

    rate_limit: float = Field(default=10, gt=0, le=10_000)
    burst_limit: int = Field(default=20, ge=1, le=5_000)
    quota_per_day: int | None = Field(default=None, ge=1)


class ProjectAuth(_Model):
    """``[auth]``: project-wide defaults of the services' ``auth``."""

    #: The issuer of every ``jwt`` service that has no ``[services.<name>.jwt]`` of its own.
    jwt: JwtAuth | None = None


class Service(_Model):
    runtime: Runtime
    path: str | None = None
    route: str | None = Field(default=None, pattern=_ROUTE_RE.pattern)
    memory_mb: int = Field(default=512, ge=128, le=10240)
    timeout_s: int = Field(default=30, ge=1, le=900)
    #: Concurrent executions reserved for (and capped at) a Lambda function; None: unreserved.
    #: ``trellis dev`` runs at most this many local instances of it.
    reserved_concurrency: int | None = Field(default=None, ge=1, le=1000)
    #: Lambda SnapStart: cold starts restore a snapshot taken after init (Python 3.12+).
    snap_start: bool = False
    #: Lambda handler (``module.attr``) and ASGI app (``module:attr``) of the service.
    handler: str | None = None
    app: str | None = None
    #: Port a container service listens on.
    port: int = Field(default=8080, ge=1024, le=65535)
    uses: dict[str, AccessList] = Field(default_factory=dict)
    #: Who may call the service through the gateway; required when it has a route.
    auth: AuthMode | None = None
    #: Other auth below some path prefixes, e.g. ``{ "/jobs/process" = "iam" }``.
    route_auth: dict[str, AuthMode] = Field(default_factory=dict)
    jwt: JwtAuth | None = None
    api_key: ApiKeyPlan | None = None
    #: Extra env vars (tuning such as ``TRELLIS_AWS_READ_TIMEOUT_S``); derived ones can't be overridden.
    env: dict[str, str] = Field(default_factory=dict)
    #: Tags on the service's resources (function or container service, role, log group).
    tags: dict[str, str] = Field(default_factory=dict)
    #: Deployed, export the service's OpenTelemetry spans to X-Ray (docs/tracing.md).
    tracing: bool = False
    #: Share of the traces this service starts that are kept (0 < r <= 1); needs ``tracing``.
    trace_sample_ratio: float | None = Field(default=None, gt=0, le=1)


class Network(_Model):
    """``[network]``: the VPC that databases, caches and the services using them live in.

    Created when the manifest declares a database or a cache, or with ``enabled = true``.
    """

    #: ``true`` makes the network without a database or cache; ``false`` refuses one that needs it.
    enabled: bool | None = None
    #: Availability zones the private subnets span.
    azs: Literal[2, 3] = 2
    #: The VPC's IPv4 range (``/16`` to ``/24``); each subnet takes a sixteenth of it.
    cidr: str = "10.0.0.0/16"
    #: A NAT gateway (one, with a public subnet) for services that call the internet; VPC
    #: endpoints reach the AWS services the manifest uses without one.
    nat_gateway: bool = False

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            net = ipaddress.IPv4Network(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an IPv4 network such as 10.0.0.0/16") from None
        if not 16 <= net.prefixlen <= 24:
            raise ValueError(
                f"{value!r}: a VPC range is /16 to /24 (subnets are a sixteenth of it)"
            )
        return value


#: An email address as SNS accepts it for an ``email`` subscription (no spaces, quotes or
#: backslashes: the value is a Terraform string too).
_EMAIL_RE = r"^[A-Za-z0-9.!#$%&*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
#: An SNS topic ARN: partition, region, 12-digit account, topic name (1-256 of A-Z a-z 0-9 _ -).
_TOPIC_ARN_RE = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov):sns:([a-z]{2}(-[a-z]+)+-\d):(\d{12}):([A-Za-z0-9_-]{1,256})$"
)


def _email(value: str) -> str:
    if len(value) > 254 or not re.match(_EMAIL_RE, value):
        raise ValueError(f"{value!r} is not an email address such as oncall@example.com")
    return value


def _topic_arn(value: str) -> str:
    if not _TOPIC_ARN_RE.match(value):
        raise ValueError(
            f"{value!r} is not an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:pager"
        )
    return value


class AlarmRoute(_Model):
    """Where one environment's alarms go (``[alarms.environments.<env>]``)."""

    #: Each gets an email subscription to the environment's ``<project>-<env>-alarms`` topic
    #: (SNS mails a confirmation link first: nothing arrives until it is followed).
    emails: list[Annotated[str, AfterValidator(_email)]] = Field(default_factory=list)
    #: An existing topic (a pager, AWS Chatbot, another account's) the alarms publish to as well.
    topic_arn: Annotated[str, AfterValidator(_topic_arn)] | None = None


class Alarms(_Model):
    """``[alarms]``: who hears about the stack's alarms, per environment; no entry: nobody."""

    environments: dict[str, AlarmRoute] = Field(default_factory=dict)


class _Manifest(_Model):
    """A validated ``trellis.toml``: the project, its services, and a section per resource kind.

    The kind sections (``queues``, ``tables``, ...) come from the registry: each
    :class:`~trellis.kinds.Kind` adds ``<section>: dict[str, <its model>]``. Read them
    typed with :meth:`specs` (``manifest.specs(QUEUE)``) or as attributes
    (``manifest.queues``).
    """

    project: Project
    auth: ProjectAuth = Field(default_factory=ProjectAuth)
    network: Network = Field(default_factory=Network)
    alarms: Alarms = Field(default_factory=Alarms)
    services: dict[str, Service] = Field(default_factory=dict)

    def specs(self, kind: Kind[S]) -> dict[str, S]:
        """The resources of one kind: ``name → spec``, in manifest order."""
        return cast(dict[str, S], getattr(self, kind.section))

    def resources(self) -> Iterator[tuple[ResourceKind, str, Spec]]:
        """Every declared resource as ``(kind, name, spec)``, in registry then manifest order."""
        for entry in KINDS:
            for name, spec in self.specs(entry).items():
                yield entry.name, name, spec

    def kind_of(self, name: str) -> ResourceKind | None:
        """The kind of the resource called ``name``, or None when none is declared."""
        for kind, resource, _ in self.resources():
            if resource == name:
                return kind
        return None

    def resource(self, name: str) -> tuple[Kind[Any], Spec]:
        """The registry entry and spec of the declared resource ``name`` (KeyError if none)."""
        for kind, resource, spec in self.resources():
            if resource == name:
                return kinds.kind(kind), spec
        raise KeyError(name)

    def needs_network(self) -> bool:
        """Whether the stack has a VPC: a database or cache needs one, ``enabled = true`` asks."""
        return bool(self.network.enabled or self.specs(kinds.DATABASE) or self.specs(kinds.CACHE))

    def network_services(self) -> list[str]:
        """Services that run in the VPC: those that use a database or a cache."""
        return [
            s
            for s in self.services
            if any(self.kind_of(r) in ("database", "cache") for r in self.services[s].uses)
        ]

    def database_users(self, database: str) -> list[str]:
        """Services that log in to ``database`` (``connect``), in manifest order."""
        return [s for s, spec in self.services.items() if "connect" in spec.uses.get(database, [])]

    def cache_users(self, cache: str) -> list[str]:
        """Services that log in to ``cache`` (``readwrite``), in manifest order."""
        return [s for s, spec in self.services.items() if "readwrite" in spec.uses.get(cache, [])]

    def service_path(self, service: str) -> str:
        return self.services[service].path or f"backend/{service}"

    def lambda_handler(self, service: str) -> str:
        return self.services[service].handler or f"{naming.service_module(service)}.handler.handler"

    def asgi_app(self, service: str) -> str:
        return self.services[service].app or f"{naming.service_module(service)}.main:app"

    def uses(
        self, service: str, kind: ResourceKind | None = None
    ) -> Iterator[tuple[str, list[str]]]:
        """``(resource, access levels)`` a service declares, optionally of one kind."""
        for resource, levels in self.services[service].uses.items():
            if kind is None or self.kind_of(resource) == kind:
                yield resource, levels

    def auth_modes(self, service: str) -> set[AuthMode]:
        """Every auth a service's routes use: its ``auth`` and its ``route_auth`` values."""
        spec = self.services[service]
        modes: set[AuthMode] = set(spec.route_auth.values())
        if spec.auth is not None:
            modes.add(spec.auth)
        return modes

    def jwt_config(self, service: str) -> JwtAuth | None:
        """The issuer a service's ``jwt`` routes accept: its own, else the project's."""
        return self.services[service].jwt or self.auth.jwt

    def auth_rules(self, service: str) -> list[tuple[str, AuthMode]]:
        """``(path prefix below the route, auth)``, longest first; ``""`` is the whole service.

        ``/health`` is not in the list: it is open on every service (see :func:`auth_for`).
        """
        spec = self.services[service]
        rules: list[tuple[str, AuthMode]] = list(spec.route_auth.items())
        if spec.auth is not None:
            rules.append(("", spec.auth))
        return sorted(rules, key=lambda rule: len(rule[0]), reverse=True)

    def auth_for(self, service: str, path: str) -> AuthMode | None:
        """The auth of ``path`` (below the service's route, e.g. ``/jobs/1``): longest prefix wins."""
        if path == HEALTH_PATH:
            return "none"
        for prefix, mode in self.auth_rules(service):
            if path == prefix or path.startswith(prefix + "/") or prefix == "":
                return mode
        return None

    def alarm_route(self, env: str) -> AlarmRoute:
        """Where ``env``'s alarms go (``[alarms.environments.<env>]``); empty: nobody is told."""
        return self.alarms.environments.get(env, AlarmRoute())

    def consumers(self, queue: str) -> list[str]:
        """Services that consume ``queue``."""
        return [s for s, spec in self.services.items() if "consume" in spec.uses.get(queue, [])]


@functools.cache
def _tagged(model: type[Spec]) -> type[Spec]:
    """``model`` with a ``tags`` table: every resource section takes one, whatever its kind."""
    if "tags" in model.model_fields:
        return model
    return create_model(
        model.__name__,
        __base__=model,
        __module__=model.__module__,
        __doc__=model.__doc__,
        tags=(dict[str, str], Field(default_factory=dict)),
    )


def resource_tags(spec: Spec) -> dict[str, str]:
    """The ``tags`` of a resource's manifest entry (empty for a spec built without them)."""
    return dict(getattr(spec, "tags", None) or {})


def _manifest_model() -> type[_Manifest]:
    """:class:`_Manifest` with one section per registered kind, in registry order."""
    sections: dict[str, Any] = {
        k.section: (dict[str, _tagged(k.model)], Field(default_factory=dict))  # type: ignore[misc, arg-type]
        for k in KINDS
    }
    return create_model(
        "Manifest", __base__=_Manifest, __module__=__name__, __doc__=_Manifest.__doc__, **sections
    )


if TYPE_CHECKING:
    Manifest = _Manifest
else:
    Manifest = _manifest_model()


def load_manifest(path: str | Path = "trellis.toml") -> Manifest:
    """Read and validate a manifest file; raise :class:`ManifestError` on the first mistake."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(
            "", f"{path}: no such file (run from the project root or pass --manifest)"
        ) from None
    except IsADirectoryError:
        raise ManifestError("", f"{path}: is a directory, not a manifest file") from None
    except UnicodeDecodeError as exc:
        raise ManifestError(
            "", f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
        ) from None
    except OSError as exc:
        raise ManifestError("", f"{path}: cannot read ({exc.strerror or exc})") from None
    return load_manifest_text(text)


def load_manifest_text(text: str) -> Manifest:
    """Validate manifest TOML text; raise :class:`ManifestError` on the first mistake."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError("", f"not valid TOML: {exc}") from None
    if "project" not in data:
        raise ManifestError("project", "missing section [project]")
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc) from None
    for error in _check_rules(manifest):
        raise error
    return manifest


def _first_error(exc: ValidationError) -> ManifestError:
    err = exc.errors(include_url=False)[0]
    key = ".".join(str(part) for part in err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        return ManifestError(key, "unknown key")
    if kind == "missing":
        return ManifestError(key, "required key is missing")
    if kind == "string_pattern_mismatch":
        return ManifestError(key, f"{err['input']!r} does not match {err['ctx']['pattern']}")
    if kind == "literal_error":
        return ManifestError(key, f"{err['input']!r} is not one of {err['ctx']['expected']}")
    if kind == "value_error":
        # The model's own validators word the whole message.
        return ManifestError(key, err["msg"].removeprefix("Value error, "))
    return ManifestError(key, f"{err['msg']} (got {err['input']!r})")


#: Tags Trellis sets itself: the deploy roles find an environment's resources by
#: ``trellis-environment``, so a manifest must never set it (or the others) to something else.
RESERVED_TAGS: frozenset[str] = frozenset({"trellis-project", "trellis-environment", "managed-by"})
#: AWS's limit of tags per resource.
MAX_TAGS = 50
# AWS's tag alphabet: letters, digits, spaces and _ . : / = + - @ (Unicode letters too).
_TAG_RE = re.compile(r"^[\w\s.:/=+\-@]*$")


def _tag_problems(key: str, tags: dict[str, str], inherited: int) -> Iterator[ManifestError]:
    for tag, value in tags.items():
        tkey = f"{key}.{tag}"
        if not 1 <= len(tag) <= 128:
            yield ManifestError(tkey, "a tag key has 1-128 characters")
        elif tag.lower().startswith("aws:"):
            yield ManifestError(tkey, "tag keys starting with 'aws:' are AWS's own")
        elif tag in RESERVED_TAGS:
            yield ManifestError(tkey, f"Trellis sets {tag!r} itself on every resource")
        elif tag == "Name":
            yield ManifestError(tkey, "Trellis sets Name to each resource's name")
        elif not _TAG_RE.match(tag):
            yield ManifestError(
                tkey, "a tag key has letters, digits, spaces and _ . : / = + - @ only"
            )
        if len(value) > 256:
            yield ManifestError(tkey, "a tag value has at most 256 characters")
        elif not _TAG_RE.match(value):
            yield ManifestError(
                tkey, "a tag value has letters, digits, spaces and _ . : / = + - @ only"
            )
    if inherited + len(tags) > MAX_TAGS:
        yield ManifestError(
            key,
            f"{inherited + len(tags)} tags with Trellis's and the project's: AWS allows {MAX_TAGS}",
        )


def _check_rules(m: Manifest) -> Iterator[ManifestError]:
    """Rules that span several keys, in the order a reader would look for them."""
    project = m.project
    # Trellis's three default tags, and Name on each resource.
    yield from _tag_problems("project.tags", project.tags, len(RESERVED_TAGS))
    inherited = len(RESERVED_TAGS) + len(project.tags) + 1
    for service, svc in m.services.items():
        yield from _tag_problems(f"services.{service}.tags", svc.tags, inherited)
    for entry in KINDS:
        for name, rspec in m.specs(entry).items():
            yield from _tag_problems(
                f"{entry.section}.{name}.tags", resource_tags(rspec), inherited
            )
    longest_env = max(project.environments, key=len)
    if len(set(project.environments)) != len(project.environments):
        yield ManifestError("project.environments", "an environment is listed twice")
    for env in project.environments:
        if env in RESERVED_ENVIRONMENTS:
            yield ManifestError(
                "project.environments",
                f"{env!r} is reserved: bootstrap/ names {project.name}-{env}-* roles and buckets "
                f"that an environment called {env!r} would own (pick another name)",
            )

    yield from _check_alarms(m)

    seen: dict[str, str] = {}
    env_vars: dict[str, str] = {}
    labels: dict[str, str] = {}
    for kind, name, spec in m.resources():
        entry = kinds.kind(kind)
        key = f"{entry.section}.{name}"
        if not naming.RESOURCE_RE.match(name):
            yield ManifestError(
                key, "a name uses lower-case letters, digits, '-' and '_', starting with a letter"
            )
        if name in seen:
            yield ManifestError(key, f"duplicate name: {seen[name]} is already called {name!r}")
        if name in m.services:
            yield ManifestError(key, f"duplicate name: services.{name} is already called {name!r}")
        seen[name] = key
        if entry.runtime is not None:
            var = naming.env_var_name(kind, name)
            if var in env_vars:
                yield ManifestError(key, f"env var {var} would clash with {env_vars[var]}")
            env_vars[var] = key
        # `a-b` and `a_b` would be one Terraform module (and rendered file).
        label = module_name(kind, name)
        if label in labels:
            yield ManifestError(key, f"Terraform module {label} would clash with {labels[label]}")
        labels[label] = key
        yield from _check_length(entry, key, project.name, longest_env, name, spec)

    for service, spec in m.services.items():
        key = f"services.{service}"
        if not naming.RESOURCE_RE.match(service) or "_" in service:
            yield ManifestError(
                key,
                "a service name uses lower-case letters, digits and '-', starting with a letter",
            )
        fn = naming.physical_name(project.name, longest_env, service)
        limit = {"lambda": "function", "apprunner": "apprunner", "ecs-express": "ecs"}[spec.runtime]
        if len(fn) > naming.MAX_LENGTH[limit]:
            yield ManifestError(
                key,
                f"name {fn!r} is {len(fn)} characters, over the AWS limit of {naming.MAX_LENGTH[limit]}",
            )
        if spec.reserved_concurrency is not None and spec.runtime != "lambda":
            yield ManifestError(
                f"{key}.reserved_concurrency",
                f"only Lambda services have a reserved concurrency ({service} runs on {spec.runtime})",
            )
        if spec.snap_start and spec.runtime != "lambda":
            yield ManifestError(
                f"{key}.snap_start",
                f"SnapStart is for Lambda services ({service} runs on {spec.runtime})",
            )
        elif spec.snap_start and project.python == "3.11":
            yield ManifestError(
                f"{key}.snap_start",
                'Lambda SnapStart for Python needs 3.12 or later: set [project] python = "3.12"',
            )
        for resource, levels in spec.uses.items():
            ukey = f"{key}.uses.{resource}"
            used_kind = m.kind_of(resource)
            if used_kind is None:
                declared = ", ".join(sorted(seen)) or "none declared"
                yield ManifestError(ukey, f"unknown resource {resource!r} ({declared})")
                continue
            allowed = ACCESS_LEVELS[used_kind]
            if not levels:
                yield ManifestError(ukey, "no access level given")
            for level in levels:
                if level not in allowed:
                    choice = ", ".join(allowed) or (
                        f"none (services do not use {kinds.kind(used_kind).section} directly)"
                    )
                    yield ManifestError(
                        ukey,
                        f"access level {level!r} is not valid for a {used_kind}; use one of: {choice}",
                    )
            if len(set(levels)) != len(levels):
                yield ManifestError(ukey, "an access level is listed twice")

    for service, spec in m.services.items():
        for var in spec.env:
            yield from _check_env_var(m, service, var)
        if spec.trace_sample_ratio is not None and not spec.tracing:
            yield ManifestError(
                f"services.{service}.trace_sample_ratio",
                "samples the traces exported to X-Ray: set tracing = true as well",
            )

    if m.auth.jwt is not None:
        yield from _check_jwt_environments(m, m.auth.jwt, "auth.jwt")
    for service in m.services:
        yield from _check_auth(m, service)

    routes: dict[str, str] = {}
    for service, spec in m.services.items():
        if spec.route is None:
            continue
        part = spec.route.strip("/")
        if "/" in part:
            yield ManifestError(
                f"services.{service}.route",
                f"the api-gateway module routes one path segment (e.g. /{part.split('/')[0]}); "
                f"{spec.route} has several",
            )
        if spec.route in routes:
            yield ManifestError(
                f"services.{service}.route",
                f"route {spec.route} is already used by services.{routes[spec.route]}",
            )
        routes[spec.route] = service

    for queue, qspec in m.specs(kinds.QUEUE).items():
        consumers = m.consumers(queue)
        if len(consumers) > 1:
            yield ManifestError(
                f"queues.{queue}",
                f"consumed by {len(consumers)} services ({', '.join(consumers)}); a queue has one consumer (use a topic to fan out)",
            )
        for consumer in consumers:
            svc = m.services[consumer]
            minimum = VISIBILITY_TO_TIMEOUT_RATIO * svc.timeout_s
            if svc.runtime == "lambda" and qspec.visibility_timeout_s < minimum:
                yield ManifestError(
                    f"queues.{queue}.visibility_timeout_s",
                    f"{qspec.visibility_timeout_s} s is below {VISIBILITY_TO_TIMEOUT_RATIO}x the timeout of its consumer services.{consumer} ({svc.timeout_s} s); use at least {minimum}",
                )
        if qspec.fifo and qspec.batch_size > 10:
            yield ManifestError(
                f"queues.{queue}.batch_size", "a FIFO queue delivers at most 10 messages per batch"
            )
        if qspec.batch_size > 10 and qspec.batching_window_s == 0:
            yield ManifestError(
                f"queues.{queue}.batching_window_s",
                "a batch_size over 10 needs a batching window of at least 1 s",
            )

    queues = m.specs(kinds.QUEUE)
    for bucket, bspec in m.specs(kinds.BUCKET).items():
        for i, note in enumerate(bspec.notifications):
            nkey = f"buckets.{bucket}.notifications.{i}.queue"
            if note.queue not in queues:
                yield ManifestError(nkey, f"unknown queue {note.queue!r}")
            elif queues[note.queue].fifo:
                yield ManifestError(
                    nkey, f"S3 cannot notify a FIFO queue ({note.queue!r}); use a standard queue"
                )
    for bucket, bspec in m.specs(kinds.BUCKET).items():
        for where, problem in lifecycle_problems(bspec):
            yield ManifestError(f"buckets.{bucket}.{where}", problem)
    for topic, tspec in m.specs(kinds.TOPIC).items():
        for i, sub in enumerate(tspec.subscriptions):
            skey = f"topics.{topic}.subscriptions.{i}"
            if sub not in queues:
                yield ManifestError(skey, f"unknown queue {sub!r}")
            elif queues[sub].fifo != tspec.fifo:
                wanted = "FIFO" if tspec.fifo else "standard"
                yield ManifestError(
                    skey, f"a {wanted} topic needs {wanted} queues ({sub!r} is not)"
                )
    for name, sspec in m.specs(kinds.SCHEDULE).items():
        try:
            schedule_expressions.parse(sspec.expression)
        except schedule_expressions.ExpressionError as exc:
            yield ManifestError(f"schedules.{name}.expression", str(exc))
        zone_problem = schedule_expressions.timezone_problem(sspec.timezone)
        if zone_problem is not None:
            yield ManifestError(f"schedules.{name}.timezone", zone_problem)
        tkey = f"schedules.{name}.target"
        if sspec.target not in queues and sspec.target not in m.services:
            yield ManifestError(tkey, f"unknown queue or service {sspec.target!r}")
        elif sspec.target in m.services and m.services[sspec.target].runtime != "lambda":
            consumed = [
                q
                for q, levels in m.services[sspec.target].uses.items()
                if q in queues and "consume" in levels
            ]
            hint = (
                f"target = {consumed[0]!r}, the queue it consumes"
                if consumed
                else 'a queue it consumes (uses = { <queue> = "consume" })'
            )
            yield ManifestError(
                tkey,
                f"{sspec.target!r} runs on {m.services[sspec.target].runtime}, which a schedule "
                f"cannot invoke: aim the schedule at {hint}; the payload becomes the message body",
            )
    for where, problem in bus_problems(m):
        yield ManifestError(where, problem)
    yield from _check_network(m)
    for name, pspec in m.specs(kinds.PARAMETER).items():
        key = f"parameters.{name}"
        if pspec.secure and pspec.value is not None:
            yield ManifestError(
                f"{key}.value",
                "a secure parameter keeps its value out of trellis.toml (it would be in the "
                f"rendered Terraform and its state): remove it and run `trellis parameter set {name} "
                "--env ENV` (local_value = ... for trellis dev)",
            )
        elif not pspec.secure and pspec.value is None:
            yield ManifestError(f"{key}.value", "required key is missing")
        if not pspec.secure and pspec.local_value is not None:
            yield ManifestError(
                f"{key}.local_value", "only a secure parameter has a local_value; use value"
            )
    for table, tbl in m.specs(kinds.TABLE).items():
        for index in tbl.indexes:
            if not re.match(r"^[A-Za-z0-9_.-]{3,255}$", index):
                yield ManifestError(
                    f"tables.{table}.indexes.{index}",
                    "an index name has 3-255 letters, digits, '_', '-' or '.'",
                )


def _check_alarms(m: Manifest) -> Iterator[ManifestError]:
    for env, route in m.alarms.environments.items():
        key = f"alarms.environments.{env}"
        if env not in m.project.environments:
            yield ManifestError(
                key,
                f"unknown environment {env!r} (project.environments: {', '.join(m.project.environments)})",
            )
        if not route.emails and route.topic_arn is None:
            yield ManifestError(key, "give emails, topic_arn or both (or remove the entry)")
        if len(set(route.emails)) != len(route.emails):
            yield ManifestError(f"{key}.emails", "an address is listed twice")
        if route.topic_arn is not None:
            match = _TOPIC_ARN_RE.match(route.topic_arn)
            assert match is not None  # the model checked the pattern
            if match.group(2) != m.project.region:
                # CloudWatch notifies topics in the alarm's own region only.
                yield ManifestError(
                    f"{key}.topic_arn",
                    f"the topic is in {match.group(2)}: alarms in {m.project.region} "
                    f"can only notify topics in {m.project.region}",
                )


def _check_network(m: Manifest) -> Iterator[ManifestError]:
    """Databases, caches and the VPC they need: who may be in it, and the names AWS limits."""
    stores = [f"databases.{n}" for n in m.specs(kinds.DATABASE)] + [
        f"caches.{n}" for n in m.specs(kinds.CACHE)
    ]
    if stores and m.network.enabled is False:
        yield ManifestError(
            "network.enabled", f"{stores[0]} needs the network: remove enabled = false"
        )
    longest_env = max(m.project.environments, key=len)
    project = m.project.name
    databases = m.specs(kinds.DATABASE)
    if databases:
        if DB_ADMIN in m.services:
            yield ManifestError(
                f"services.{DB_ADMIN}",
                f"the name is taken by the databases' admin function ({project}-<env>-{DB_ADMIN})",
            )
        fn = naming.physical_name(project, longest_env, DB_ADMIN)
        if len(fn) > naming.MAX_LENGTH["function"]:
            yield ManifestError(
                "databases",
                f"the admin function's name {fn!r} is over the Lambda limit of "
                f"{naming.MAX_LENGTH['function']} characters",
            )
    for name in databases:
        db = kinds.database_name(name)
        if db in RESERVED_DATABASE_NAMES:
            yield ManifestError(f"databases.{name}", f"{db!r} is a name PostgreSQL or RDS keeps")
        for service in m.database_users(name):
            user = kinds.database_user(service)
            if user in RESERVED_DATABASE_USERS or user.startswith(("pg_", "rds")):
                yield ManifestError(
                    f"services.{service}.uses.{name}",
                    f"the database user {user!r} is one PostgreSQL or RDS keeps; rename the service",
                )
    for name in m.specs(kinds.CACHE):
        for service in m.cache_users(name):
            user = kinds.cache_user(project, longest_env, service)
            if len(user) > kinds.CACHE.max_length:
                yield ManifestError(
                    f"services.{service}.uses.{name}",
                    f"the ElastiCache user {user!r} is {len(user)} characters, over the AWS "
                    f"limit of {kinds.CACHE.max_length}",
                )


def _check_jwt_environments(m: Manifest, jwt: JwtAuth, key: str) -> Iterator[ManifestError]:
    for env in jwt.environments:
        if env not in m.project.environments:
            yield ManifestError(
                f"{key}.environments.{env}",
                f"not an environment of the project ({', '.join(m.project.environments)})",
            )


def _check_auth(m: Manifest, service: str) -> Iterator[ManifestError]:
    spec = m.services[service]
    key = f"services.{service}"
    choices = " | ".join(f'"{mode}"' for mode in AUTH_MODES)
    if spec.route is None:
        for field in ("auth", "route_auth", "jwt", "api_key"):
            if field in spec.model_fields_set:
                yield ManifestError(
                    f"{key}.{field}", "the service has no route: only routed services take auth"
                )
        return
    if spec.auth is None:
        yield ManifestError(
            f"{key}.auth",
            f"a routed service says who may call it: auth = {choices} (/health stays open)",
        )
    for prefix in spec.route_auth:
        pkey = f"{key}.route_auth.{prefix}"
        if prefix == HEALTH_PATH or prefix.startswith(HEALTH_PATH + "/"):
            yield ManifestError(pkey, f"{HEALTH_PATH} is open on every service; remove this entry")
        elif not _ROUTE_AUTH_RE.match(prefix):
            yield ManifestError(
                pkey,
                f"a path prefix below the route: 1-{MAX_ROUTE_AUTH_DEPTH} segments of lower-case "
                "letters, digits, '.', '_' or '-', e.g. /jobs/process",
            )
    modes = m.auth_modes(service)
    if spec.jwt is not None:
        yield from _check_jwt_environments(m, spec.jwt, f"{key}.jwt")
    if "jwt" in modes and m.jwt_config(service) is None:
        yield ManifestError(
            f"{key}.jwt",
            'auth "jwt" needs an issuer and audience: add [services.'
            f"{service}.jwt] or a project-wide [auth.jwt]",
        )
    if spec.jwt is not None and "jwt" not in modes:
        yield ManifestError(f"{key}.jwt", 'only used by auth = "jwt"; remove it or use jwt')
    if spec.api_key is not None and "api_key" not in modes:
        yield ManifestError(
            f"{key}.api_key", 'only used by auth = "api_key"; remove it or use api_key'
        )
    if "jwt" in modes:
        # The service's own issuer gets an authorizer function of its own.
        owner = service if spec.jwt is not None else None
        fn = naming.authorizer_function_name(
            m.project.name, max(m.project.environments, key=len), owner
        )
        if len(fn) > naming.MAX_LENGTH["function"]:
            yield ManifestError(
                f"{key}.jwt",
                f"the authorizer's function name {fn!r} is over the Lambda limit of "
                f"{naming.MAX_LENGTH['function']} characters",
            )


_ENV_VAR_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_DERIVED_VARS = {
    "TRELLIS_PROJECT",
    "TRELLIS_ENV",
    "TRELLIS_SERVICE",
    "TRELLIS_ROUTE",
    "TRELLIS_CONSUMES",
    "TRELLIS_ORIGIN_SECRET_ID",
    "OTEL_SERVICE_NAME",
    "PORT",
}


def _check_env_var(m: Manifest, service: str, var: str) -> Iterator[ManifestError]:
    key = f"services.{service}.env.{var}"
    if not _ENV_VAR_RE.match(var):
        yield ManifestError(key, "an env var name uses upper-case letters, digits and '_'")
    elif var.startswith(("AWS_", "LAMBDA_")):
        yield ManifestError(
            key, "AWS_* and LAMBDA_* variables are set by the runtime or reserved by Lambda"
        )
    elif m.services[service].tracing and var.startswith(("OTEL_", "TRELLIS_TRACES_")):
        yield ManifestError(
            key, "tracing = true derives the OTEL_* variables (endpoint, sampler, signing)"
        )
    elif var in _DERIVED_VARS or var.endswith(
        tuple(f"_{k.env_suffix}" for k in RUNTIME_KINDS.values())
    ):
        yield ManifestError(
            key, "Trellis derives this variable from the manifest; it cannot be set by hand"
        )


def _check_length(
    entry: Kind[Any], key: str, project: str, env: str, name: str, spec: Spec
) -> Iterator[ManifestError]:
    full = entry.longest_name(project, env, name, spec)
    if len(full) > entry.max_length:
        yield ManifestError(
            key,
            f"name {full!r} is {len(full)} characters, over the AWS limit of {entry.max_length}",
        )
    for problem in entry.name_problems(full):
        yield ManifestError(key, problem)
