"""The contract of a resource kind: everything Trellis derives about one kind, in one class.

An entry (``trellis.kinds._queue``, ...) subclasses :class:`Kind` and says:

- **manifest**: its section (``[queues.<name>]``) and the pydantic model of one entry;
- **names**: the physical name in an environment (FIFO ``.fifo``, secret and
  parameter paths), the name AWS limits apply to, and the limit;
- **address**: the env var a service reads it from (the runtime half,
  :mod:`trellis.runtime._kinds`, owns the suffix and the readiness probe) and the
  value that variable carries in AWS;
- **IAM**: access levels → exact actions, the ARN template(s), the statements a
  service's grant becomes, the data-plane ARNs of an environment (boundary);
- **keys**: with ``encryption = "customer"``, the module argument that takes the
  environment's key, and the ``kms:`` actions each access level needs through the
  kind's service (:mod:`trellis.kinds._encryption`);
- **Terraform**: its module under ``terraform/modules/`` and the module's arguments;
- **deploy layer**: what an environment's deploy role needs to manage it;
- **local**: the module that provisions it in the emulator;
- **scaffold**: ``trellis add`` options, the accessor ``resources.py`` gets, and the
  probe test of each access level (templates under ``scaffold/templates/kinds/``).

The registry (:mod:`trellis.kinds`) lists the entries; code that needs "what
kind is this" asks it, and an unknown kind is an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from trellis import naming
from trellis.kinds._encryption import key_statement
from trellis.kinds._policy import Arns, DeployStatement, EnvScope, Statement

if TYPE_CHECKING:
    from trellis.manifest import Manifest
    from trellis.runtime._kinds import RuntimeKind

#: Every kind of the registry, by name (the order of ``trellis.kinds.KINDS``).
ResourceKind = Literal[
    "queue",
    "table",
    "bucket",
    "topic",
    "secret",
    "parameter",
    "database",
    "cache",
    "schedule",
    "bus",
]


class Spec(BaseModel):
    """Base of every kind's manifest model: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


S = TypeVar("S", bound=Spec)


@dataclass(frozen=True)
class CliOption:
    """One ``trellis add <kind>`` option: the flag, the manifest key it sets, argparse's keywords."""

    flag: str
    key: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Grant(Generic[S]):
    """One service's use of one resource in one environment: what its statements are built from."""

    service: str
    resource: str
    spec: S
    levels: tuple[str, ...]
    project: str
    env: str
    arns: Arns
    #: The exact actions of ``levels``, in the order the levels grant them.
    actions: tuple[str, ...]
    #: The ARN of the resource.
    arn: str
    #: ``JobsQueue``: the statement id of the grant (its variants append to it).
    sid: str
    #: The environment's customer-managed key encrypts the resource (``encryption = "customer"``).
    encrypted: bool = False


@dataclass(frozen=True)
class Snippet:
    """Generated code as a template name and its values, plus what the code needs around it.

    ``imports`` are ``(module, name)`` pairs (``name`` empty for ``import module``); the
    module ``{module}`` is the service's own package. ``helpers`` are test helpers the
    code calls, by template name (``tests/received_ids.py.tmpl``).
    """

    template: str
    values: Mapping[str, str] = field(default_factory=dict)
    imports: tuple[tuple[str, str], ...] = ()
    helpers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Use(Generic[S]):
    """One service's use of one resource, as the scaffold writes code for it."""

    manifest: Manifest
    service: str
    resource: str
    spec: S
    levels: tuple[str, ...]

    @property
    def runtime(self) -> str:
        return self.manifest.services[self.service].runtime

    @property
    def ident(self) -> str:
        """The resource's name as a Python identifier: ``job-records`` → ``job_records``."""
        return naming.service_module(self.resource)


class Kind(Generic[S]):
    """One resource kind. Subclasses set the class attributes and override what differs."""

    #: The kind's name: ``trellis add <name>``, ``module.<resource>_<name>``, statement ids.
    name: ClassVar[ResourceKind]
    #: The manifest section: ``[<section>.<resource>]``.
    section: ClassVar[str]
    #: The model of one manifest entry.
    model: type[S]
    #: The env var and readiness probe (the runtime half); None: services get no address.
    runtime: ClassVar[RuntimeKind | None]
    #: Access level → exact IAM actions, in the order ``trellis add`` offers them.
    levels: ClassVar[Mapping[str, tuple[str, ...]]]
    #: AWS's limit on the length of :meth:`longest_name` (inclusive).
    max_length: ClassVar[int]
    #: The ARN of one resource, ``{name}`` its physical name (placeholders: :class:`Arns`).
    arn_template: ClassVar[str]
    #: The Terraform module: ``terraform/modules/<terraform_module>``.
    terraform_module: ClassVar[str]
    #: The module output a service's env var carries (``url``, ``name``, ``arn``); None
    #: for a kind that hands services no address.
    module_output: ClassVar[str | None]
    #: The module that provisions the kind in the local emulator (``provision(ctx, name, spec)``).
    local_provisioner: ClassVar[str]
    #: ``trellis add <kind>`` options.
    cli_options: ClassVar[tuple[CliOption, ...]] = ()
    #: Access level → what a service does with it, as a test name says it (``sends to``).
    verbs: ClassVar[Mapping[str, str]] = {}
    #: The extra of ``trellis`` a service that uses the kind depends on (its driver), if any.
    runtime_extra: ClassVar[str | None] = None
    #: Access level → the ``kms:`` actions its use needs on the environment's customer key
    #: (the service calls KMS with the caller's credentials). Empty: the kind's data is not
    #: encrypted with that key, or its use needs none.
    key_actions: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    #: The service that calls KMS for the kind (``kms:ViaService`` = ``<it>.<region>.amazonaws.com``).
    key_service: ClassVar[str | None] = None
    #: The module's argument that takes the environment's customer key (None: it takes none).
    key_argument: ClassVar[str | None] = None

    def __repr__(self) -> str:
        return f"<kind {self.name}>"

    # --- names ----------------------------------------------------------------------------

    def physical_name(self, project: str, env: str, name: str, spec: S) -> str:
        """The AWS name of the resource in ``env`` (``env`` may be a Terraform template)."""
        return naming.physical_name(project, env, name)

    def longest_name(self, project: str, env: str, name: str, spec: S) -> str:
        """The longest name the resource gets in AWS: the one the length limit applies to."""
        return self.physical_name(project, env, name, spec)

    def name_problems(self, full: str) -> Iterator[str]:
        """What else AWS refuses in a name of this kind (beyond its length)."""
        return iter(())

    def aws_address(self, physical: str, arns: Arns) -> str:
        """What the resource's env var carries in AWS (a URL, a name or an ARN)."""
        return physical

    # --- IAM ------------------------------------------------------------------------------

    def actions(self, levels: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        """The exact actions ``levels`` grant, without duplicates, in order."""
        return tuple(dict.fromkeys(a for level in levels for a in self.levels[level]))

    def all_actions(self) -> tuple[str, ...]:
        """Every action some level grants, sorted: what the environment's boundary allows."""
        return tuple(sorted({a for actions in self.levels.values() for a in actions}))

    def statements(self, grant: Grant[S]) -> Iterator[Statement]:
        """The execution-role statements of a service's grant: one, on the resource's ARN."""
        yield Statement(grant.sid, grant.actions, (grant.arn,), (), grant.resource)

    def takes_key(self, spec: S) -> bool:
        """Whether the resource is encrypted with the environment's customer key (if there is one)."""
        return self.key_argument is not None

    def key_statements(self, grant: Grant[S]) -> Iterator[Statement]:
        """The grant's use of the environment's customer key, through the kind's service only."""
        actions = tuple(
            dict.fromkeys(a for level in grant.levels for a in self.key_actions.get(level, ()))
        )
        if (
            grant.encrypted
            and actions
            and self.key_service is not None
            and self.takes_key(grant.spec)
        ):
            yield key_statement(grant, actions, self.key_service)

    def owned_arns(self, scope: EnvScope) -> tuple[str, ...]:
        """ARN patterns of every resource of this kind the environment may own."""
        return (self.arn_template.replace("{name}", f"{scope.n}-*"),)

    def data_arns(self, scope: EnvScope) -> tuple[str, ...]:
        """Where the environment's roles may use this kind's data-plane actions (the boundary)."""
        return self.owned_arns(scope)

    # --- Terraform and the deploy layer --------------------------------------------------------

    def terraform_arguments(
        self, manifest: Manifest, name: str, spec: S
    ) -> Iterator[tuple[str, object]]:
        """The module block's arguments after ``source``, in order (values: ``_terraform``)."""
        raise NotImplementedError(f"{self.name}: no Terraform arguments")

    def queue_publishers(
        self, manifest: Manifest, queue: str, specs: Mapping[str, S]
    ) -> Iterator[dict[str, object]]:
        """The AWS services of this kind's resources (``specs``) that send to ``queue``.

        Each is ``{"service": "s3.amazonaws.com", "source_arn": Tpl(...)}``: the queue's
        module lets exactly these in with its queue policy.
        """
        return iter(())

    def deploy_statements(self, scope: EnvScope) -> Iterator[DeployStatement]:
        """What the environment's deploy role needs to create, change and delete the kind."""
        raise NotImplementedError(f"{self.name}: no deploy statements")

    # --- scaffold -------------------------------------------------------------------------------

    def accessor(self, use: Use[S]) -> Snippet | None:
        """The function ``resources.py`` gets for the use (None: the settings field is enough)."""
        return None

    def probe(self, use: Use[S], level: str) -> Snippet:
        """The body of the test proving the service's own key does what ``level`` allows."""
        raise NotImplementedError(f"{self.name}: no probe for level {level!r}")
