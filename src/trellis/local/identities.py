"""Each service's own IAM identity in the emulator, with the policy Terraform gives its role.

The policy comes from :func:`trellis.iam.service_policy` — the function that
renders the Terraform execution roles — with the emulator's ARNs, so a
permission missing locally is missing in AWS too. The identity is an IAM user
with an access key (the emulator has no Lambda or ECS to assume a role for it).

``TRELLIS_IAM_DENY=api:dynamodb:PutItem,worker:sqs:SendMessage@JobsQueue`` withholds
actions from the named services' policies, everywhere or in one statement (its
``Sid``, one per resource): ``trellis iam verify`` uses it to prove that a test
needs each action on each resource.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from typing import Any

from trellis import naming
from trellis.iam import Arns, service_policy
from trellis.manifest import Manifest

#: ``TRELLIS_IAM=off`` turns enforcement off for ``trellis dev`` and the test fixtures.
IAM_ENV = "TRELLIS_IAM"
#: Env var naming actions to withhold: ``service:prefix:Action[@Sid]`` entries, comma-separated.
DENY_ENV = "TRELLIS_IAM_DENY"


def iam_enabled() -> bool:
    """False when ``TRELLIS_IAM`` is ``off`` (or ``0``/``false``/``no``)."""
    return os.environ.get(IAM_ENV, "on").strip().lower() not in {"off", "0", "false", "no"}


@dataclass(frozen=True)
class ServiceCredentials:
    """An emulator IAM user's name and access key."""

    user: str
    access_key_id: str
    secret_access_key: str


def local_aws_variables(
    endpoint: str, credentials: ServiceCredentials | tuple[str, str]
) -> dict[str, str]:
    """What differs from AWS for a local service process: the emulator's endpoint and
    the service's own key (instead of its role's session), used by ``trellis dev`` and
    by the ``trellis_service`` fixture alike."""
    if isinstance(credentials, ServiceCredentials):
        key, secret = credentials.access_key_id, credentials.secret_access_key
    else:
        key, secret = credentials
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}


def denied_actions(service: str, spec: str | None = None) -> frozenset[str]:
    """Actions withheld from ``service`` by ``TRELLIS_IAM_DENY`` (or ``spec``), lower-case:
    ``prefix:action`` (every statement) or ``prefix:action@sid`` (one statement)."""
    spec = os.environ.get(DENY_ENV, "") if spec is None else spec
    out = set()
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, action = entry.partition(":")
        if not sep or ":" not in action:
            raise ValueError(
                f"{DENY_ENV}: {entry!r} is not service:prefix:Action (e.g. api:sqs:SendMessage)"
            )
        if name == service:
            out.add(action.lower())
    return frozenset(out)


def local_policy(
    manifest: Manifest,
    service: str,
    env: str,
    *,
    account_id: str,
    deny: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The service's policy with emulator ARNs, minus the ``deny``-ed actions (lower-case)."""
    arns = Arns(region=manifest.project.region, account_id=account_id)
    policy = service_policy(manifest, service, env, arns)
    statements = []
    for statement in policy["Statement"]:
        sid = str(statement["Sid"]).lower()
        actions = [
            a
            for a in statement["Action"]
            if a.lower() not in deny and f"{a.lower()}@{sid}" not in deny
        ]
        if actions:
            statements.append({**statement, "Action": actions})
    return {**policy, "Statement": statements}


def create_service_identity(
    iam: Any,
    manifest: Manifest,
    service: str,
    env: str,
    *,
    account_id: str,
    deny: frozenset[str] | None = None,
) -> ServiceCredentials:
    """Create (or renew) the IAM user of ``service`` in the emulator; return its new key.

    ``iam`` is an IAM client with administrative credentials.
    """
    deny = denied_actions(service) if deny is None else deny
    user = naming.physical_name(manifest.project.name, env, service)
    try:
        iam.create_user(UserName=user)
    except iam.exceptions.EntityAlreadyExistsException:
        for key in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    policy = local_policy(manifest, service, env, account_id=account_id, deny=deny)
    if policy["Statement"]:
        iam.put_user_policy(
            UserName=user, PolicyName="trellis-service", PolicyDocument=json.dumps(policy)
        )
    else:
        with contextlib.suppress(iam.exceptions.NoSuchEntityException):
            iam.delete_user_policy(UserName=user, PolicyName="trellis-service")
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return ServiceCredentials(user, key["AccessKeyId"], key["SecretAccessKey"])
