"""The kms: statements a service's policy gains with ``encryption = "customer"``, per access level."""

from __future__ import annotations

import pytest

from trellis.iam import Arns, Statement, service_statements
from trellis.kinds import KINDS
from trellis.kinds._terraform import TF_ARNS
from trellis.manifest import Manifest, load_manifest_text

BASE = """
[project]
name = "acme"
region = "eu-west-1"
github_repository = "acme/backend"
environments = ["dev", "prod"]
{encryption}

[services.api]
runtime = "lambda"
route = "/api"
auth = "none"
timeout_s = 10
uses = {{ {uses} }}

[services.web]
runtime = "ecs-express"
route = "/web"
auth = "none"

[queues.jobs]
visibility_timeout_s = 60

[tables.users]
hash_key = "user_id"

[buckets.uploads]

[topics.events]

[secrets.token]

[parameters.flags]
value = "on"

[parameters.signing]
secure = true

[databases.ledger]

[caches.sessions]
"""
ARNS = Arns(region="eu-west-1", account_id="111122223333")
CUSTOMER = 'encryption = "customer"'


def manifest(uses: str, encryption: str = CUSTOMER) -> Manifest:
    return load_manifest_text(BASE.format(encryption=encryption, uses=uses))


def key_statements(m: Manifest, service: str = "api", arns: Arns = ARNS) -> list[Statement]:
    return [s for s in service_statements(m, service, "dev", arns) if s.sid.endswith("Key")]


@pytest.mark.parametrize(
    ("uses", "sid", "actions", "service"),
    [
        ('jobs = "send"', "JobsQueueKey", {"kms:GenerateDataKey", "kms:Decrypt"}, "sqs"),
        # A consumer decrypts, and copies a message that failed its last attempt to the DLQ.
        ('jobs = "consume"', "JobsQueueKey", {"kms:Decrypt", "kms:GenerateDataKey"}, "sqs"),
        ('users = "read"', "UsersTableKey", {"kms:Decrypt"}, "dynamodb"),
        ('users = "write"', "UsersTableKey", {"kms:Decrypt"}, "dynamodb"),
        ('users = "get"', "UsersTableKey", {"kms:Decrypt"}, "dynamodb"),
        ('uploads = "read"', "UploadsBucketKey", {"kms:Decrypt"}, "s3"),
        ('uploads = "write"', "UploadsBucketKey", {"kms:GenerateDataKey", "kms:Decrypt"}, "s3"),
        ('events = "publish"', "EventsTopicKey", {"kms:GenerateDataKey", "kms:Decrypt"}, "sns"),
        ('token = "read"', "TokenSecretKey", {"kms:Decrypt"}, "secretsmanager"),
        ('signing = "read"', "SigningParameterKey", {"kms:Decrypt"}, "ssm"),
    ],
)
def test_each_use_gets_exactly_its_kms_actions_through_its_service_only(
    uses: str, sid: str, actions: set[str], service: str
) -> None:
    (statement,) = key_statements(manifest(uses))
    assert statement.sid == sid
    assert set(statement.actions) == actions
    assert ("StringEquals", "kms:ViaService", (f"{service}.eu-west-1.amazonaws.com",)) in (
        statement.conditions
    )


def test_a_reader_never_gets_a_data_key() -> None:
    readers = 'users = "read", uploads = "read", token = "read", signing = "read", jobs = "consume"'
    granted = {a for s in key_statements(manifest(readers)) for a in s.actions}
    # Only the consumer's DLQ copy asks for a data key.
    assert [
        s.sid for s in key_statements(manifest(readers)) if "kms:GenerateDataKey" in s.actions
    ] == ["JobsQueueKey"]
    assert granted == {"kms:Decrypt", "kms:GenerateDataKey"}


def test_plain_parameters_databases_and_caches_need_no_key_statement() -> None:
    m = manifest('flags = "read", ledger = "connect", sessions = "readwrite"')
    assert key_statements(m) == []


def test_aws_managed_encryption_adds_no_kms_statement() -> None:
    every = (
        'jobs = ["send", "consume"], users = "readwrite", uploads = "readwrite", '
        'events = "publish", token = "read", signing = "read"'
    )
    m = manifest(every, encryption="")
    statements = service_statements(m, "api", "dev", ARNS)
    assert statements
    assert not any(a.startswith("kms:") for s in statements for a in s.actions)
    assert not any(
        a.startswith("kms:") for s in service_statements(m, "web", "dev", ARNS) for a in s.actions
    )


def test_terraform_names_the_key_by_its_arn() -> None:
    (statement,) = key_statements(manifest('jobs = "send"'), arns=TF_ARNS)
    assert statement.resources == ("${module.key.arn}",)
    assert statement.conditions == (
        ("StringEquals", "kms:ViaService", ("sqs.${local.region}.amazonaws.com",)),
    )


def test_outside_terraform_the_key_is_the_one_with_the_environments_alias() -> None:
    (statement,) = key_statements(manifest('jobs = "send"'))
    assert statement.resources == ("arn:aws:kms:eu-west-1:111122223333:key/*",)
    assert ("ForAnyValue:StringEquals", "kms:ResourceAliases", ("alias/acme-dev-key",)) in (
        statement.conditions
    )
    as_json = statement.as_json()
    assert as_json["Condition"]["ForAnyValue:StringEquals"] == {
        "kms:ResourceAliases": "alias/acme-dev-key"
    }


def test_a_routed_container_decrypts_the_gateways_origin_secret() -> None:
    statements = key_statements(manifest('jobs = "send"'), service="web")
    assert [(s.sid, s.actions) for s in statements] == [
        ("GatewayOriginSecretKey", ("kms:Decrypt",))
    ]
    assert statements[0].conditions[0] == (
        "StringEquals",
        "kms:ViaService",
        ("secretsmanager.eu-west-1.amazonaws.com",),
    )


def test_every_kind_that_takes_a_key_says_how_its_levels_use_it() -> None:
    # A kind whose module takes the key either needs no kms: action for any level (its
    # service uses grants: databases, caches) or names one for each of its levels.
    for entry in KINDS:
        if entry.key_argument is None or not entry.key_actions:
            continue
        assert entry.key_service is not None, entry.name
        assert set(entry.key_actions) == set(entry.levels), entry.name
