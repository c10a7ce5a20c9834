"""Buckets: S3 (``[buckets.<name>]``, ``terraform/modules/s3-bucket``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Final

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


class Bucket(Spec):
    versioning: bool = True
    notifications: list[Notification] = Field(default_factory=list)
    cors_origins: list[str] = Field(default_factory=list)


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
