"""Where the local check of customer keys stops (docs/iam.md): the emulator never uses a key.

Each service below is given a key that does not exist and one that is disabled; in AWS
every call would fail (``KMS.NotFoundException`` / ``KMS.DisabledException``), in moto
each succeeds. So no ``kms:`` action is ever authorised locally, and ``trellis iam
verify`` reports the ``kms:`` grants as not checked. When a moto upgrade starts using
keys, this test fails: then the local check can prove them, and the docs must say so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

REGION = "us-east-1"
MISSING = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


@pytest.fixture(params=["missing", "disabled"])
def key(request: pytest.FixtureRequest, aws: None) -> str:
    if request.param == "missing":
        return MISSING
    kms = client("kms")
    meta = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=meta["KeyId"])
    return str(meta["Arn"])


def test_sqs_sends_and_receives_without_its_key(key: str) -> None:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="q", Attributes={"KmsMasterKeyId": key})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["x"]


def test_sns_publishes_without_its_key(key: str) -> None:
    sns = client("sns")
    topic = sns.create_topic(Name="t", Attributes={"KmsMasterKeyId": key})["TopicArn"]
    assert sns.publish(TopicArn=topic, Message="x")["MessageId"]


def test_s3_puts_and_gets_sse_kms_objects_without_their_key(key: str) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="encrypted-objects")
    s3.put_object(
        Bucket="encrypted-objects",
        Key="k",
        Body=b"x",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key,
    )
    assert s3.get_object(Bucket="encrypted-objects", Key="k")["Body"].read() == b"x"


def test_dynamodb_writes_a_table_encrypted_with_a_missing_key(key: str) -> None:
    ddb = client("dynamodb")
    ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key},
    )
    ddb.put_item(TableName="t", Item={"k": {"S": "1"}})
    assert ddb.get_item(TableName="t", Key={"k": {"S": "1"}})["Item"] == {"k": {"S": "1"}}


def test_secrets_and_secure_parameters_decrypt_without_their_key(key: str) -> None:
    sm = client("secretsmanager")
    sm.create_secret(Name="s", SecretString="v", KmsKeyId=key)
    assert sm.get_secret_value(SecretId="s")["SecretString"] == "v"
    ssm = client("ssm")
    ssm.put_parameter(Name="/p", Value="v", Type="SecureString", KeyId=key)
    assert ssm.get_parameter(Name="/p", WithDecryption=True)["Parameter"]["Value"] == "v"


def test_log_groups_take_a_key_they_cannot_use(key: str) -> None:
    logs = client("logs")
    logs.create_log_group(logGroupName="/g", kmsKeyId=key)
    (group,) = logs.describe_log_groups(logGroupNamePrefix="/g")["logGroups"]
    assert group["kmsKeyId"] == key
