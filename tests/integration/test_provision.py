"""Provisioning creates every manifest resource in the emulator as Terraform would."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import unquote_plus

import pytest

from trellis.local.emulator import LOCAL_ACCOUNT_ID, Emulator
from trellis.local.provision import provision
from trellis.manifest import Manifest, load_manifest_text

pytestmark = pytest.mark.integration


def project_table(project: str) -> str:
    return f"""
[project]
name = "{project}"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]
"""


def stack(project: str) -> Manifest:
    return load_manifest_text(
        project_table(project)
        + """
[services.api]
runtime = "lambda"
route = "/api"
auth = "none"
timeout_s = 5
uses = { users = "readwrite", uploads = "readwrite", jobs = "send", events = "publish", token = "read", flags = "read" }

[services.worker]
runtime = "lambda"
timeout_s = 5
uses = { jobs = "consume" }

[queues.jobs]
visibility_timeout_s = 30
max_receive_count = 4

[queues.audit]

[tables.users]
hash_key = "user_id"
range_key = "sk"
ttl_attribute = "expires_at"
indexes = { by_email = { hash_key = "email" } }

[buckets.uploads]
versioning = true
notifications = [{ queue = "jobs", prefix = "incoming/" }]
noncurrent_expiration_days = 400
lifecycle = [
  { id = "archive-logs", prefix = "logs/", transitions = [{ days = 90, storage_class = "GLACIER" }], expiration_days = 365 },
  { id = "old-versions", noncurrent_transitions = [{ days = 30, storage_class = "STANDARD_IA" }], noncurrent_expiration_days = 180 },
]

[topics.events]
subscriptions = ["audit"]

[secrets.token]
local_value = "s3cr3t"

[parameters.flags]
value = "on"
"""
    )


@pytest.fixture
def provisioned(
    trellis_emulator: Emulator, unique_name: Callable[[str], str]
) -> tuple[Manifest, Emulator, object]:
    manifest = stack(unique_name("p"))
    addresses = provision(manifest, "dev", trellis_emulator.client, account_id=LOCAL_ACCOUNT_ID)
    return manifest, trellis_emulator, addresses


def test_queue_has_its_dlq_redrive_and_settings(
    provisioned: tuple[Manifest, Emulator, object],
) -> None:
    manifest, emu, addresses = provisioned
    sqs = emu.client("sqs")
    url = addresses.address("queue", "jobs")  # type: ignore[attr-defined]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    project = manifest.project.name
    assert url.endswith(f"/{project}-dev-jobs")
    assert attrs["VisibilityTimeout"] == "30"
    assert attrs["MaximumMessageSize"] == str(1024 * 1024)
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive == {
        "deadLetterTargetArn": f"arn:aws:sqs:us-east-1:{LOCAL_ACCOUNT_ID}:{project}-dev-jobs-dlq",
        "maxReceiveCount": 4,
    }
    # moto 5.2.5 drops RedriveAllowPolicy, so only the DLQ's own settings can be read back.
    dlq_attrs = sqs.get_queue_attributes(
        QueueUrl=addresses.dlq_urls["jobs"], AttributeNames=["All"]
    )["Attributes"]  # type: ignore[attr-defined]
    assert dlq_attrs["MessageRetentionPeriod"] == str(1_209_600)


def test_table_has_keys_index_and_ttl(provisioned: tuple[Manifest, Emulator, object]) -> None:
    _, emu, addresses = provisioned
    ddb = emu.client("dynamodb")
    name = addresses.address("table", "users")  # type: ignore[attr-defined]
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == [
        {"AttributeName": "user_id", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["by_email"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_bucket_is_versioned_private_and_notifies_the_queue(
    provisioned: tuple[Manifest, Emulator, object],
) -> None:
    _, emu, addresses = provisioned
    s3 = emu.client("s3")
    bucket = addresses.address("bucket", "uploads")  # type: ignore[attr-defined]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    s3.put_object(Bucket=bucket, Key="incoming/a.txt", Body=b"hello")
    s3.put_object(Bucket=bucket, Key="elsewhere/b.txt", Body=b"ignored by the prefix filter")
    sqs = emu.client("sqs")
    url = addresses.address("queue", "jobs")  # type: ignore[attr-defined]
    keys: list[str] = []
    for _ in range(5):
        for msg in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            body = json.loads(msg["Body"])
            keys += [unquote_plus(r["s3"]["object"]["key"]) for r in body.get("Records", [])]
        if keys:
            break
    assert keys == ["incoming/a.txt"]


def test_bucket_lifecycle_is_the_modules_rules_plus_the_manifests(
    provisioned: tuple[Manifest, Emulator, object],
) -> None:
    _, emu, addresses = provisioned
    s3 = emu.client("s3")
    bucket = addresses.address("bucket", "uploads")  # type: ignore[attr-defined]
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert set(rules) == {
        "abort-incomplete-multipart-uploads",
        "expire-noncurrent-versions",
        "archive-logs",
        "old-versions",
    }
    assert rules["expire-noncurrent-versions"]["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": 400
    }
    archive = rules["archive-logs"]
    assert archive["Filter"] == {"Prefix": "logs/"}
    assert archive["Transitions"] == [{"Days": 90, "StorageClass": "GLACIER"}]
    assert archive["Expiration"] == {"Days": 365}
    old = rules["old-versions"]
    assert old["NoncurrentVersionTransitions"] == [
        {"NoncurrentDays": 30, "StorageClass": "STANDARD_IA"}
    ]
    assert old["NoncurrentVersionExpiration"] == {"NoncurrentDays": 180}


def test_topic_fans_out_to_its_subscribed_queue(
    provisioned: tuple[Manifest, Emulator, object],
) -> None:
    manifest, emu, addresses = provisioned
    emu.client("sns").publish(TopicArn=addresses.address("topic", "events"), Message="hi")  # type: ignore[attr-defined]
    sqs = emu.client("sqs")
    audit = sqs.get_queue_url(QueueName=f"{manifest.project.name}-dev-audit")["QueueUrl"]
    msgs = sqs.receive_message(QueueUrl=audit, WaitTimeSeconds=2).get("Messages", [])
    assert [m["Body"] for m in msgs] == ["hi"]  # raw delivery


def test_secret_and_parameter_hold_their_values(
    provisioned: tuple[Manifest, Emulator, object],
) -> None:
    manifest, emu, addresses = provisioned
    arn = addresses.address("secret", "token")  # type: ignore[attr-defined]
    assert emu.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"] == "s3cr3t"
    name = addresses.address("parameter", "flags")  # type: ignore[attr-defined]
    assert name == f"/{manifest.project.name}/dev/flags"
    assert emu.client("ssm").get_parameter(Name=name)["Parameter"]["Value"] == "on"


def test_provisioning_twice_is_idempotent(provisioned: tuple[Manifest, Emulator, object]) -> None:
    manifest, emu, addresses = provisioned
    again = provision(manifest, "dev", emu.client, account_id=LOCAL_ACCOUNT_ID)
    assert again.values == addresses.values  # type: ignore[attr-defined]


def test_a_fifo_topic_delivers_to_its_fifo_queue_deduplicating_by_content(
    trellis_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    # As the sqs-queue and sns-topic modules make them: content-based deduplication on.
    manifest = load_manifest_text(
        project_table(unique_name("f")) + "[queues.orders]\nfifo = true\n"
        '[topics.events]\nfifo = true\nsubscriptions = ["orders"]\n'
    )
    addresses = provision(manifest, "dev", trellis_emulator.client, account_id=LOCAL_ACCOUNT_ID)
    sns, sqs = trellis_emulator.client("sns"), trellis_emulator.client("sqs")
    topic = addresses.address("topic", "events")
    assert topic.endswith(".fifo")
    for _ in range(2):
        sns.publish(TopicArn=topic, Message="same", MessageGroupId="g")
    url = addresses.address("queue", "orders")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ContentBasedDeduplication"] == "true"
    dlq = sqs.get_queue_attributes(QueueUrl=addresses.dlq_urls["orders"], AttributeNames=["All"])
    assert dlq["Attributes"].get("ContentBasedDeduplication", "false") == "false"
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    assert [m["Body"] for m in got.get("Messages", [])] == ["same"]


def test_the_emulator_part_and_the_servers_part_need_nothing_of_each_other(
    trellis_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    project = unique_name("split")
    manifest = load_manifest_text(
        project_table(project)
        + """
[services.api]
runtime = "lambda"
route = "/api"
auth = "none"
uses = { jobs = "send", audit = "connect" }

[queues.jobs]

[databases.audit]
"""
    )

    # No server is running: the emulator part skips the database, it does not fail on it.
    addresses = provision(
        manifest, "dev", trellis_emulator.client, account_id=LOCAL_ACCOUNT_ID, part="emulator"
    )
    assert ("queue", "jobs") in addresses.values
    assert ("database", "audit") not in addresses.values

    def no_emulator(service: str) -> object:
        raise AssertionError(f"the servers part called {service}")

    queues_only = load_manifest_text(project_table(project) + "\n[queues.jobs]\n")
    assert (
        provision(
            queues_only, "dev", no_emulator, account_id=LOCAL_ACCOUNT_ID, part="servers"
        ).values
        == {}
    )
