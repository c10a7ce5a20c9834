"""The environment's customer-managed KMS key (``[project] encryption = "customer"``).

One symmetric key per environment (``terraform/modules/kms-key``, alias
``alias/<project>-<env>-key``), tagged with the environment like every resource. What
each part of Trellis needs of it:

- **services' roles**: each kind says which ``kms:`` actions an access level needs
  (``Kind.key_actions``); the statement is on the key's ARN and only through the kind's
  own service (``kms:ViaService``), so a role can never call ``kms:Decrypt`` directly;
- **the key policy** admits the account (so those IAM policies count), CloudWatch Logs
  for the environment's log groups (``kms:EncryptionContext:aws:logs:arn``) and the AWS
  services that deliver to the environment's encrypted queues (S3 notifications, SNS
  subscriptions: ``aws:SourceArn``);
- **the deploy role** creates and manages only keys tagged with its environment and
  aliases of its names, and uses its key only through the services that create
  encrypted resources with the caller's permissions;
- **the boundary** lets roles use their own environment's key and denies every key
  tagged with another environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from trellis import naming
from trellis.kinds._policy import DeployStatement, EnvScope, Statement

if TYPE_CHECKING:
    from trellis.kinds._kind import Grant
    from trellis.manifest import Manifest

#: The tag every rendered resource carries (``trellis.infra._deploy.ENV_TAG``, the same value).
_ENV_TAG: Final = "trellis-environment"
#: Every key of the account; a key's ARN holds an id KMS picks, so its tag says whose it is.
KEY_ARNS: Final = "arn:{p}:kms:{r}:{a}:key/*"
#: What a role may do with its environment's key at most (the boundary); each role's own
#: policy narrows it per access level and service.
USE_ACTIONS: Final = ("kms:Decrypt", "kms:GenerateDataKey")
#: Actions that use a key's material: never called directly by a deploy role.
_CRYPTO_ACTIONS: Final = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)
#: Services that create an encrypted resource with the caller's permissions (a grant for
#: the resource, or the first data key), by the kind that makes them do it.
_CREATING_SERVICES: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "table": ("dynamodb", ("kms:CreateGrant", "kms:DescribeKey")),
    "database": ("rds", ("kms:CreateGrant", "kms:DescribeKey")),
    "cache": ("elasticache", ("kms:CreateGrant", "kms:DescribeKey")),
}


def customer_key(manifest: Manifest) -> bool:
    """Whether the manifest's resources are encrypted with the environment's own key."""
    return manifest.project.encryption == "customer"


def key_statement(grant: Grant[Any], actions: tuple[str, ...], service: str) -> Statement:
    """The statement letting ``grant``'s service use the environment's key through ``service``."""
    arns = grant.arns
    via = ("StringEquals", "kms:ViaService", (f"{service}.{arns.region}.amazonaws.com",))
    if arns.kms_key is not None:
        resources: tuple[str, ...] = (arns.kms_key,)
        conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = (via,)
    else:
        # No key ARN outside Terraform (`trellis iam show`, the emulator): the key is the
        # one that carries the environment's alias.
        resources = (arns.resolve(KEY_ARNS),)
        alias = naming.key_alias(grant.project, grant.env)
        conditions = (via, ("ForAnyValue:StringEquals", "kms:ResourceAliases", (alias,)))
    return Statement(grant.sid + "Key", actions, resources, conditions, f"{grant.resource} (key)")


def _own_key(scope: EnvScope) -> tuple[str, str, tuple[str, ...]]:
    return ("StringEquals", f"aws:ResourceTag/{_ENV_TAG}", (scope.env,))


def key_deploy_statements(scope: EnvScope, manifest: Manifest) -> Iterator[DeployStatement]:
    """What an environment's deploy role needs to create and manage its key and alias."""
    alias = f"arn:{{p}}:kms:{{r}}:{{a}}:{naming.key_alias(scope.project, scope.env)}"
    # CreateKey has no resource: the new key must carry the environment's tag.
    yield DeployStatement(
        "CreateOwnKey",
        ("kms:CreateKey",),
        ("*",),
        (("StringEquals", f"aws:RequestTag/{_ENV_TAG}", (scope.env,)),),
    )
    yield DeployStatement(
        "ManageOwnKey",
        (
            "kms:CreateAlias",
            "kms:DeleteAlias",
            "kms:DescribeKey",
            "kms:EnableKeyRotation",
            "kms:GetKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:ListResourceTags",
            "kms:PutKeyPolicy",
            "kms:ScheduleKeyDeletion",
            "kms:UpdateAlias",
            "kms:UpdateKeyDescription",
        ),
        (KEY_ARNS,),
        (_own_key(scope),),
    )
    # Tags on create and after: only the environment's own tag value may be written.
    yield DeployStatement(
        "TagOwnKey",
        ("kms:TagResource", "kms:UntagResource"),
        (KEY_ARNS,),
        (
            ("StringEqualsIfExists", f"aws:ResourceTag/{_ENV_TAG}", (scope.env,)),
            ("StringEqualsIfExists", f"aws:RequestTag/{_ENV_TAG}", (scope.env,)),
        ),
    )
    # An alias call is authorised on the alias and on its key (above).
    yield DeployStatement(
        "ManageOwnKeyAlias",
        ("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"),
        (alias,),
    )
    # The provider finds an alias by listing them: ListAliases has no resource type.
    yield DeployStatement("ListKeyAliases", ("kms:ListAliases",), ("*",))
    used = {kind for kind, _name, _spec in manifest.resources()}
    services: list[tuple[str, tuple[str, ...]]] = [
        (svc, actions) for kind, (svc, actions) in _CREATING_SERVICES.items() if kind in used
    ]
    if _secure_parameters(manifest):
        # Terraform writes a secure parameter's placeholder and reads it back, decrypted.
        services.append(("ssm", ("kms:Decrypt", "kms:Encrypt")))
    if _origin_secret(manifest):
        # Terraform writes the gateway's origin secret (a write-only version).
        services.append(("secretsmanager", ("kms:GenerateDataKey",)))
    for svc, actions in services:
        yield DeployStatement(
            f"UseOwnKeyThrough{svc.capitalize()}",
            actions,
            (KEY_ARNS,),
            (
                _own_key(scope),
                ("StringEquals", "kms:ViaService", (f"{svc}.{{r}}.amazonaws.com",)),
            ),
        )
    # A log group's key is changed with its own calls (on the log group).
    yield DeployStatement(
        "AssociateLogGroupKeys",
        ("logs:AssociateKmsKey", "logs:DisassociateKmsKey"),
        (
            f"arn:{{p}}:logs:{{r}}:{{a}}:log-group:/aws/lambda/{scope.n}-*",
            f"arn:{{p}}:logs:{{r}}:{{a}}:log-group:/aws/apigateway/{scope.n}/*",
            f"arn:{{p}}:logs:{{r}}:{{a}}:log-group:/ecs/{scope.n}-*",
        ),
    )


def key_deploy_denials(scope: EnvScope, others: tuple[str, ...]) -> Iterator[DeployStatement]:
    """The deploy role's denies: no key or alias of another environment, no direct use of any key."""
    if others:
        yield DeployStatement(
            "DenyOtherEnvironmentsKeyAliases",
            ("kms:*",),
            tuple(
                f"arn:{{p}}:kms:{{r}}:{{a}}:{naming.key_alias(scope.project, other)}"
                for other in others
            ),
            effect="Deny",
        )
    yield DeployStatement(
        "DenyOtherEnvironmentsKeys",
        ("kms:*",),
        (KEY_ARNS,),
        (
            ("Null", f"aws:ResourceTag/{_ENV_TAG}", ("false",)),
            ("StringNotEquals", f"aws:ResourceTag/{_ENV_TAG}", (scope.env,)),
        ),
        effect="Deny",
    )
    # A key policy it writes could name it: it still never decrypts anything itself.
    yield DeployStatement(
        "DenyDirectKeyUse",
        _CRYPTO_ACTIONS,
        ("*",),
        (("Null", "kms:ViaService", ("true",)),),
        effect="Deny",
    )


def key_boundary_statements(scope: EnvScope, others: tuple[str, ...]) -> Iterator[DeployStatement]:
    """The most an environment's roles may do with keys: use their own, never another's.

    The deny names the other environments (an AWS managed key has no tag: a role may
    still use it through its service, as every role of an AWS-managed stack does).
    """
    yield DeployStatement("OwnKey", USE_ACTIONS, (KEY_ARNS,), (_own_key(scope),))
    if others:
        # On "*": only keys carry the tag, and the shorter statement keeps the boundary
        # within a managed policy's 6,144 characters on a stack of every kind.
        yield DeployStatement(
            "DenyOtherKeys",
            ("kms:*",),
            ("*",),
            (("StringEquals", f"aws:ResourceTag/{_ENV_TAG}", others),),
            effect="Deny",
        )


def _secure_parameters(manifest: Manifest) -> bool:
    return any(
        kind == "parameter" and getattr(spec, "secure", False)
        for kind, _name, spec in manifest.resources()
    )


def _origin_secret(manifest: Manifest) -> bool:
    return any(s.route is not None and s.runtime != "lambda" for s in manifest.services.values())
