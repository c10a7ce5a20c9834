"""Buckets: S3 (``[buckets.<name>]``, ``terraform/modules/s3-bucket``)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Final, Literal

from pydantic import Field

from trellis import naming
from trellis.kinds._kind import CliOption, Grant, Kind, Snippet, Spec, Use
from trellis.kinds._policy import DeployStatement, EnvScope, Statement
from trellis.kinds._terraform import ENV, TF_ARNS, Tpl, module_ref
from trellis.runtime._kinds import RUNTIME_KINDS

if TYPE_CHECKING:
    from trellis.manifest import Manifest


class Notification(Spec):
    queue: str
    events: list[str] = Field(default_factory=lambda: ["s3:ObjectCreated:*"], min_length=1)
    prefix: str = ""
    suffix: str = ""


StorageClass = Literal[
    "STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"
]
#: S3's transition waterfall: an object only moves down it (Standard first, not listed).
STORAGE_CLASS_ORDER: Final[tuple[str, ...]] = (
    "STANDARD_IA",
    "INTELLIGENT_TIERING",
    "ONEZONE_IA",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
)
#: The fewest days an object must have before it may move to the class (S3 refuses fewer).
MIN_DAYS_BEFORE: Final[dict[str, int]] = {"STANDARD_IA": 30, "ONEZONE_IA": 30}
#: The fewest days an object stays in a class before a later transition of the same rule
#: (S3 refuses a shorter gap): the minimum storage durations.
MIN_DAYS_IN: Final[dict[str, int]] = {
    "STANDARD_IA": 30,
    "ONEZONE_IA": 30,
    "GLACIER_IR": 90,
    "GLACIER": 90,
}
#: Rule ids the s3-bucket module uses itself.
RESERVED_RULE_IDS: Final = frozenset(
    {"abort-incomplete-multipart-uploads", "expire-noncurrent-versions", "transitions"}
)


class Transition(Spec):
    """Move objects to ``storage_class`` ``days`` after creation (or after becoming noncurrent)."""

    days: int = Field(ge=0, le=36500)
    storage_class: StorageClass


class LifecycleRule(Spec):
    """One S3 lifecycle rule over the objects under ``prefix``."""

    id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    prefix: str = Field(default="", max_length=1024)
    transitions: list[Transition] = Field(default_factory=list)
    expiration_days: int | None = Field(default=None, ge=1, le=36500)
    noncurrent_transitions: list[Transition] = Field(default_factory=list)
    noncurrent_expiration_days: int | None = Field(default=None, ge=1, le=36500)


class Bucket(Spec):
    versioning: bool = True
    notifications: list[Notification] = Field(default_factory=list)
    cors_origins: list[str] = Field(default_factory=list)
    #: Days after which every noncurrent version is deleted (the module's bucket-wide rule).
    noncurrent_expiration_days: int = Field(default=90, ge=1, le=3650)
    lifecycle: list[LifecycleRule] = Field(default_factory=list, max_length=100)


def lifecycle_problems(spec: Bucket) -> Iterator[tuple[str, str]]:
    """(key below ``buckets.<name>``, problem) for each rule S3 would refuse or never apply."""
    seen: set[str] = set()
    for i, rule in enumerate(spec.lifecycle):
        key = f"lifecycle.{i}"
        if rule.id in RESERVED_RULE_IDS:
            yield f"{key}.id", f"{rule.id!r} is the id of a rule Trellis adds itself; pick another"
        elif rule.id in seen:
            yield f"{key}.id", f"two rules are called {rule.id!r}"
        seen.add(rule.id)
        if not (
            rule.transitions
            or rule.expiration_days
            or rule.noncurrent_transitions
            or rule.noncurrent_expiration_days
        ):
            yield key, "a rule needs an action: transitions, expiration_days or noncurrent_*"
        if (rule.noncurrent_transitions or rule.noncurrent_expiration_days) and not spec.versioning:
            yield (
                key,
                "noncurrent_* rules need versioning = true (there are no noncurrent versions)",
            )
        yield from _transition_problems(
            f"{key}.transitions", rule.transitions, rule.expiration_days
        )
        yield from _transition_problems(
            f"{key}.noncurrent_transitions",
            rule.noncurrent_transitions,
            rule.noncurrent_expiration_days,
        )
        if spec.versioning:
            limit = spec.noncurrent_expiration_days
            late = [t.days for t in rule.noncurrent_transitions if t.days >= limit]
            if (
                rule.noncurrent_expiration_days is not None
                and rule.noncurrent_expiration_days > limit
            ):
                late.append(rule.noncurrent_expiration_days)
            if late:
                yield (
                    f"{key}.noncurrent_transitions"
                    if rule.noncurrent_transitions
                    else f"{key}.noncurrent_expiration_days",
                    f"day {max(late)} comes after the bucket deletes noncurrent versions "
                    f"(noncurrent_expiration_days = {limit}): raise that, or shorten the rule",
                )


def _transition_problems(
    key: str, transitions: list[Transition], expiration: int | None
) -> Iterator[tuple[str, str]]:
    ordered = sorted(transitions, key=lambda t: t.days)
    classes = [t.storage_class for t in ordered]
    if len(set(classes)) != len(classes):
        yield key, "each storage class appears once in a rule"
        return
    for t in ordered:
        floor = MIN_DAYS_BEFORE.get(t.storage_class, 0)
        if t.days < floor:
            yield (
                key,
                f"S3 moves objects to {t.storage_class} after {floor} days at the earliest (got {t.days})",
            )
    for before, after in itertools.pairwise(ordered):
        if STORAGE_CLASS_ORDER.index(after.storage_class) <= STORAGE_CLASS_ORDER.index(
            before.storage_class
        ):
            yield (
                key,
                f"{after.storage_class} after {before.storage_class} goes up S3's waterfall "
                f"({' → '.join(STORAGE_CLASS_ORDER)}): objects only move down it",
            )
        gap = MIN_DAYS_IN.get(before.storage_class, 0)
        if after.days - before.days < gap:
            yield (
                key,
                f"the {after.storage_class} transition (day {after.days}) comes at least {gap} days "
                f"after the {before.storage_class} one (day {before.days})",
            )
    if expiration is not None and ordered and expiration <= ordered[-1].days:
        yield (
            key,
            f"objects expire on day {expiration}, not after their last transition "
            f"(day {ordered[-1].days}): expiration comes later",
        )


# Uploads are presigned single-part POSTs: no multipart upload to abort. Reading a given
# version (``GetObject`` with ``VersionId``: the upload that was checked) is its own action.
_READ = ("s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket")
_WRITE = ("s3:PutObject", "s3:DeleteObject")
#: The one action of the bucket itself; every other is on its objects (``<bucket>/*``).
_BUCKET_ACTIONS = ("s3:ListBucket",)


class BucketKind(Kind[Bucket]):
    name = "bucket"
    section = "buckets"
    model = Bucket
    runtime = RUNTIME_KINDS["bucket"]
    levels = {"read": _READ, "write": _WRITE, "readwrite": tuple(dict.fromkeys(_READ + _WRITE))}
    max_length = 63
    arn_template = "arn:{p}:s3:::{name}"
    terraform_module = "s3-bucket"
    module_output = "name"
    local_provisioner = "trellis.local.provisioners.bucket"
    verbs = {"read": "reads", "write": "writes", "readwrite": "reads and writes"}
    key_argument = "kms_key_arn"
    key_service = "s3"
    key_actions = {
        "read": ("kms:Decrypt",),
        # A put asks for a data key; a multipart upload decrypts it again for each part.
        "write": ("kms:GenerateDataKey", "kms:Decrypt"),
        "readwrite": ("kms:Decrypt", "kms:GenerateDataKey"),
    }
    cli_options = (
        CliOption("--no-versioning", "versioning", {"action": "store_const", "const": False}),
        CliOption("--cors-origin", "cors_origins", {"action": "append", "metavar": "ORIGIN"}),
    )

    def name_problems(self, full: str) -> Iterator[str]:
        if not naming.BUCKET_RE.match(full):
            yield f"S3 bucket name {full!r} may only use lower-case letters, digits, '-' and '.'"

    def statements(self, grant: Grant[Bucket]) -> Iterator[Statement]:
        bucket_actions = tuple(a for a in grant.actions if a in _BUCKET_ACTIONS)
        object_actions = tuple(a for a in grant.actions if a not in _BUCKET_ACTIONS)
        # Bucket ARNs carry no account and names are global: a bucket of the same
        # name in another account (deleted and re-created there) is not ours.
        own = (("StringEquals", "s3:ResourceAccount", (grant.arns.account_id,)),)
        if bucket_actions:
            yield Statement(grant.sid + "List", bucket_actions, (grant.arn,), own, grant.resource)
        if object_actions:
            yield Statement(
                grant.sid + "Objects", object_actions, (f"{grant.arn}/*",), own, grant.resource
            )

    def data_arns(self, scope: EnvScope) -> tuple[str, ...]:
        (bucket,) = self.owned_arns(scope)
        return (bucket, f"{bucket}/*")

    def terraform_arguments(
        self, manifest: Manifest, name: str, spec: Bucket
    ) -> Iterator[tuple[str, object]]:
        yield "name", Tpl(self.physical_name(manifest.project.name, ENV, name, spec))
        yield "versioning", spec.versioning
        if spec.noncurrent_expiration_days != 90:
            yield "noncurrent_version_expiration_days", spec.noncurrent_expiration_days
        if spec.lifecycle:
            yield (
                "lifecycle_rules",
                [
                    {
                        "id": r.id,
                        "prefix": r.prefix,
                        "transitions": [
                            {"days": t.days, "storage_class": t.storage_class}
                            for t in r.transitions
                        ],
                        "expiration_days": r.expiration_days,
                        "noncurrent_transitions": [
                            {"days": t.days, "storage_class": t.storage_class}
                            for t in r.noncurrent_transitions
                        ],
                        "noncurrent_expiration_days": r.noncurrent_expiration_days,
                    }
                    for r in spec.lifecycle
                ],
            )
        if spec.cors_origins:
            yield "cors_allowed_origins", list(spec.cors_origins)
        if spec.notifications:
            yield (
                "queue_notifications",
                [
                    {
                        "queue_arn": module_ref("queue", n.queue, "arn"),
                        "events": list(n.events),
                        "prefix": n.prefix,
                        "suffix": n.suffix,
                    }
                    for n in spec.notifications
                ],
            )
            # S3 checks the queue policy when it saves the notification.
            yield (
                "depends_on",
                [
                    module_ref("queue", q)
                    for q in dict.fromkeys(n.queue for n in spec.notifications)
                ],
            )

    def queue_publishers(
        self, manifest: Manifest, queue: str, specs: Mapping[str, Bucket]
    ) -> Iterator[dict[str, object]]:
        for bucket, spec in specs.items():
            if any(n.queue == queue for n in spec.notifications):
                physical = self.physical_name(manifest.project.name, ENV, bucket, spec)
                yield {
                    "service": "s3.amazonaws.com",
                    "source_arn": Tpl(TF_ARNS.of("bucket", physical)),
                }

    def deploy_statements(self, scope: EnvScope) -> Iterator[DeployStatement]:
        yield DeployStatement(
            "ManageBuckets",
            (
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:DeleteBucketPolicy",
                "s3:GetAccelerateConfiguration",
                "s3:GetBucket*",
                "s3:GetEncryptionConfiguration",
                "s3:GetLifecycleConfiguration",
                "s3:GetReplicationConfiguration",
                "s3:ListBucket",
                "s3:PutBucketCORS",
                "s3:PutBucketNotification",
                "s3:PutBucketOwnershipControls",
                "s3:PutBucketPolicy",
                "s3:PutBucketPublicAccessBlock",
                "s3:PutBucketTagging",
                "s3:PutBucketVersioning",
                "s3:PutEncryptionConfiguration",
                "s3:PutLifecycleConfiguration",
            ),
            self.owned_arns(scope),
        )

    def probe(self, use: Use[Bucket], level: str) -> Snippet:
        if level not in self.levels:
            return super().probe(use, level)
        field = f"settings.{naming.settings_field_name('bucket', use.resource)}"
        return Snippet(f"kinds/bucket/probe_{level}.py.tmpl", {"field": field})


#: The registry entry (``trellis.kinds.BUCKET``).
BUCKET: Final = BucketKind()
