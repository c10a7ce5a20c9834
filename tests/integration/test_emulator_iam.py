"""The emulator authorises each request as AWS would: right actions, scoped to resources."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from trellis.local.emulator import Emulator
from trellis.manifest import load_manifest_text
from trellis.testing import ServiceEnvironment

pytestmark = pytest.mark.integration

MANIFEST = load_manifest_text(
    """
[project]
name = "authz"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev"]

[services.app]
runtime = "lambda"
uses = { items = "readwrite", audit = "read", jobs = "send", media = "readwrite", drop = "write", news = "publish", flags = "read", key = "read" }

[queues.jobs]

[tables.items]
hash_key = "item_id"
indexes = { by_owner = { hash_key = "owner" } }

[tables.audit]
hash_key = "event_id"

[buckets.media]

[buckets.drop]

[topics.news]

[parameters.flags]
value = "{}"

[secrets.key]

[secrets.other]
"""
)


@pytest.fixture
def app(trellis_service: Callable[..., ServiceEnvironment]) -> ServiceEnvironment:
    return trellis_service("app", manifest=MANIFEST)


def denied(call: Callable[[], Any]) -> dict[str, str]:
    with pytest.raises(ClientError) as excinfo:
        call()
    error: dict[str, str] = excinfo.value.response["Error"]
    return error


def test_dynamodb_is_scoped_to_tables_and_transactions_to_each_item(
    app: ServiceEnvironment,
) -> None:
    ddb = app.client("dynamodb")
    items, audit = app.address("table", "items"), app.address("table", "audit")
    ddb.put_item(TableName=items, Item={"item_id": {"S": "1"}, "owner": {"S": "o"}})
    ddb.query(
        TableName=items,
        IndexName="by_owner",
        KeyConditionExpression="#o = :o",
        ExpressionAttributeNames={"#o": "owner"},
        ExpressionAttributeValues={":o": {"S": "o"}},
    )
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": items, "Item": {"item_id": {"S": "3"}}}},
            {"Delete": {"TableName": items, "Key": {"item_id": {"S": "x"}}}},
        ]
    )
    error = denied(
        lambda: ddb.put_item(TableName=audit, Item={"event_id": {"S": "e"}})
    )  # audit is `read`
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"].startswith(
        f"User: arn:aws:iam::123456789012:user/{app.project}-dev-app"
    )
    assert (
        f"dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/{audit}"
        in (error["Message"])
    )
    # A transaction needs each item's own action on each item's table.
    error = denied(
        lambda: ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": items, "Item": {"item_id": {"S": "4"}}}},
                {"Delete": {"TableName": audit, "Key": {"event_id": {"S": "e"}}}},
            ]
        )
    )
    assert (
        f"dynamodb:DeleteItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/{audit}"
        in (error["Message"])
    )
    assert "Scan" in denied(lambda: ddb.scan(TableName=items))["Message"]  # no level grants Scan
    # Nor BatchWriteItem; a batch is checked on each table it names.
    error = denied(
        lambda: ddb.batch_write_item(
            RequestItems={items: [{"PutRequest": {"Item": {"item_id": {"S": "2"}}}}]}
        )
    )
    assert (
        f"dynamodb:BatchWriteItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/{items}"
        in (error["Message"])
    )
    assert (
        not app.admin("dynamodb").get_item(TableName=items, Key={"item_id": {"S": "4"}}).get("Item")
    )


def test_sqs_batches_authorise_as_their_single_message_action(app: ServiceEnvironment) -> None:
    sqs = app.client("sqs")
    url = app.address("queue", "jobs")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "x"}])
    error = denied(lambda: sqs.receive_message(QueueUrl=url))  # `send` does not consume
    assert error["Code"] == "AccessDeniedException"
    assert (
        ":jobs" not in error["Message"]
        or "sqs:ReceiveMessage on resource: arn:aws:sqs:" in (error["Message"])
    )


def test_s3_reads_need_read_and_presigned_requests_act_as_their_signer(
    app: ServiceEnvironment,
) -> None:
    s3 = app.client("s3")
    media, drop = app.address("bucket", "media"), app.address("bucket", "drop")
    s3.put_object(Bucket=media, Key="a.txt", Body=b"hello")
    s3.head_object(Bucket=media, Key="a.txt")  # HeadObject → s3:GetObject
    s3.head_bucket(Bucket=media)  # HeadBucket → s3:ListBucket
    s3.list_objects_v2(Bucket=media)
    s3.put_object(Bucket=drop, Key="b.txt", Body=b"x")  # `write` may write...
    error = denied(lambda: s3.get_object(Bucket=drop, Key="b.txt"))  # ...but not read
    assert error["Code"] == "AccessDenied"
    assert f"s3:GetObject on resource: arn:aws:s3:::{drop}/b.txt" in error["Message"]
    assert "s3:ListBucket" in denied(lambda: s3.list_objects_v2(Bucket=drop))["Message"]

    url = s3.generate_presigned_url("get_object", Params={"Bucket": media, "Key": "a.txt"})
    assert httpx.get(url).content == b"hello"
    post = s3.generate_presigned_post(media, "b.txt")
    assert httpx.post(post["url"], data=post["fields"], files={"file": b"up"}).status_code == 204
    # The drop bucket's objects can't be read even with a URL the app signs.
    url = s3.generate_presigned_url("get_object", Params={"Bucket": drop, "Key": "b.txt"})
    assert httpx.get(url).status_code == 403
    # Nobody's signature, nobody's access.
    assert httpx.get(f"{app.emulator.endpoint}/{media}/a.txt").status_code == 403


def test_topics_and_parameters_are_scoped_to_their_arns(app: ServiceEnvironment) -> None:
    sns = app.client("sns")
    sns.publish(TopicArn=app.address("topic", "news"), Message="hi")
    other = app.admin("sns").create_topic(Name=f"{app.project}-other")["TopicArn"]
    error = denied(lambda: sns.publish(TopicArn=other, Message="hi"))
    assert error["Code"] == "AuthorizationError"  # SNS's name for a denial
    assert f"sns:Publish on resource: {other}" in error["Message"]
    ssm = app.client("ssm")
    assert ssm.get_parameter(Name=app.address("parameter", "flags"))["Parameter"]["Value"] == "{}"
    app.admin("ssm").put_parameter(Name=f"/{app.project}/secret", Value="x", Type="String")
    assert (
        "ssm:GetParameter"
        in denied(lambda: ssm.get_parameter(Name=f"/{app.project}/secret"))["Message"]
    )


def with_a_wrong_secret(app: ServiceEnvironment, service: str) -> Any:
    """A client with the service's access key id and a secret that is not its own."""
    import boto3

    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=app.emulator.endpoint,
        aws_access_key_id=app.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key="wrong",
    )


def test_a_wrong_secret_key_is_refused(app: ServiceEnvironment) -> None:
    sqs = with_a_wrong_secret(app, "sqs")
    error = denied(lambda: sqs.get_queue_attributes(QueueUrl=app.address("queue", "jobs")))
    assert error["Code"] in {"SignatureDoesNotMatch", "InvalidClientTokenId"}


def test_s3_checks_each_signature_over_the_key_and_query_it_was_made_for(
    app: ServiceEnvironment,
) -> None:
    # S3's check has a short path of its own: right secret, right answer; a wrong secret, or
    # a signature made for another key or query, is refused.
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    bucket = app.address("bucket", "media")
    s3 = app.client("s3")
    s3.put_object(Bucket=bucket, Key="a b/c.txt", Body=b"hello")
    assert s3.get_object(Bucket=bucket, Key="a b/c.txt")["Body"].read() == b"hello"
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="a b/", MaxKeys=5)
    assert [o["Key"] for o in listed["Contents"]] == ["a b/c.txt"]
    wrong = with_a_wrong_secret(app, "s3")
    assert denied(lambda: wrong.get_object(Bucket=bucket, Key="a b/c.txt"))["Code"] == (
        "SignatureDoesNotMatch"
    )
    key = Credentials(app.env["AWS_ACCESS_KEY_ID"], app.env["AWS_SECRET_ACCESS_KEY"])
    signed = AWSRequest(method="GET", url=f"{app.emulator.endpoint}/{bucket}/a%20b/c.txt")
    signed.headers["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD"
    S3SigV4Auth(key, "s3", "us-east-1").add_auth(signed)
    headers = dict(signed.headers)
    assert httpx.get(signed.url, headers=headers).content == b"hello"
    other_key = httpx.get(f"{app.emulator.endpoint}/{bucket}/a%20b/d.txt", headers=headers)
    other_query = httpx.get(f"{signed.url}?versionId=null", headers=headers)
    assert (other_key.status_code, other_query.status_code) == (403, 403)
    assert all(b"SignatureDoesNotMatch" in r.content for r in (other_key, other_query))


@pytest.mark.parametrize(
    ("content_type", "target", "json_body"),
    [
        ("application/x-amz-json-1.0", "DynamoDB_20120810.ListTables", True),
        ("application/x-www-form-urlencoded", None, False),
    ],
)
def test_a_malformed_signature_is_a_403_in_the_callers_format(
    app: ServiceEnvironment, content_type: str, target: str | None, json_body: bool
) -> None:
    # No X-Amz-Date and a truncated credential: moto's own parser failed with a 500 page.
    headers = {
        "Content-Type": content_type,
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20261125/us-east-1, Signature=x",
    }
    if target:
        headers["X-Amz-Target"] = target
    body = "{}" if json_body else "Action=ListQueues&Version=2012-11-05"
    response = httpx.post(app.emulator.endpoint + "/", content=body, headers=headers)
    assert response.status_code == 403, response.text
    if json_body:
        assert response.json()["__type"] == "IncompleteSignatureException"
    else:
        assert "<Code>IncompleteSignature</Code>" in response.text


def test_secrets_are_scoped_to_the_secrets_arn_with_its_random_suffix(
    app: ServiceEnvironment,
) -> None:
    # The policy names `...:secret:<name>-??????` (AWS appends six random characters).
    key_arn = app.address("secret", "key")
    other_arn = app.address("secret", "other")
    admin = app.admin("secretsmanager")
    admin.put_secret_value(SecretId=key_arn, SecretString="s3cr3t")
    admin.put_secret_value(SecretId=other_arn, SecretString="not yours")
    secrets = app.client("secretsmanager")

    assert secrets.get_secret_value(SecretId=key_arn)["SecretString"] == "s3cr3t"
    assert secrets.describe_secret(SecretId=key_arn)["ARN"] == key_arn
    error = denied(lambda: secrets.get_secret_value(SecretId=other_arn))
    assert error["Code"] == "AccessDeniedException"
    assert "secretsmanager:GetSecretValue" in error["Message"]


@pytest.mark.parametrize("key", ["test", "testing"])
def test_the_conventional_local_keys_are_the_administrator(
    trellis_emulator: Emulator, unique_name: Callable[[str], str], key: str
) -> None:
    """`AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws --endpoint-url ...` works as admin."""
    import boto3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    session = boto3.session.Session(
        aws_access_key_id=key, aws_secret_access_key=key, region_name="us-east-1"
    )
    iam = session.client("iam", endpoint_url=trellis_emulator.endpoint)
    sqs = session.client("sqs", endpoint_url=trellis_emulator.endpoint)
    # An administrator's calls: IAM itself, and any resource of any service.
    user = unique_name("someone")
    iam.create_user(UserName=user)
    url = sqs.create_queue(QueueName=unique_name("q"))["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hi")
    # The emulator's own API answers the administrator only.
    request = AWSRequest(method="GET", url=f"{trellis_emulator.endpoint}/moto-api/data.json")
    SigV4Auth(Credentials(key, key), "s3", "us-east-1").add_auth(request)
    assert httpx.get(request.url, headers=dict(request.headers)).status_code == 200
    # The key is no password-less door: its secret must match.
    wrong = boto3.client(
        "sqs",
        region_name="us-east-1",
        endpoint_url=trellis_emulator.endpoint,
        aws_access_key_id=key,
        aws_secret_access_key="wrong",
    )
    assert denied(lambda: wrong.list_queues())["Code"] in {
        "SignatureDoesNotMatch",
        "InvalidClientTokenId",
    }


def test_decisions_follow_policy_changes_made_while_it_runs(app: ServiceEnvironment) -> None:
    # The emulator remembers decisions; a policy put, replaced or deleted must still count
    # from the next request on.
    sqs = app.client("sqs")
    queue = app.address("queue", "jobs")
    iam = app.admin("iam")
    # Other tests' projects share the emulator: the service's own user, not a name pattern.
    assert app.credentials is not None
    name = app.credentials.user
    sqs.get_queue_attributes(QueueUrl=queue)  # allowed, and now remembered
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "sqs:GetQueueAttributes", "Resource": "*"}],
    }
    iam.put_user_policy(UserName=name, PolicyName="no-attributes", PolicyDocument=json.dumps(deny))
    assert (
        "sqs:GetQueueAttributes"
        in denied(lambda: sqs.get_queue_attributes(QueueUrl=queue))["Message"]
    )
    deny["Statement"][0]["Action"] = "sqs:PurgeQueue"
    iam.put_user_policy(UserName=name, PolicyName="no-attributes", PolicyDocument=json.dumps(deny))
    sqs.get_queue_attributes(QueueUrl=queue)
    deny["Statement"][0]["Action"] = "sqs:Get*"
    iam.put_user_policy(UserName=name, PolicyName="no-attributes", PolicyDocument=json.dumps(deny))
    denied(lambda: sqs.get_queue_attributes(QueueUrl=queue))
    iam.delete_user_policy(UserName=name, PolicyName="no-attributes")
    sqs.get_queue_attributes(QueueUrl=queue)
