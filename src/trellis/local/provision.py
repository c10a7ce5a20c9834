"""Create every manifest resource in the emulator, as Terraform would in AWS.

Names, keys, redrive policies, versioning and notifications follow the same
manifest values the Terraform modules get, so a service sees the same world
locally as deployed. Provisioning is idempotent: running it twice against one
emulator changes nothing.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trellis import naming
from trellis.iam import Arns, physical_resource_name
from trellis.manifest import Bucket, Manifest, Parameter, Queue, Secret, Table, Topic
from trellis.naming import ResourceKind

ClientFactory = Callable[[str], Any]


@dataclass
class LocalAddresses:
    """Where each provisioned resource lives in the emulator (what env vars carry)."""

    values: dict[tuple[ResourceKind, str], str] = field(default_factory=dict)
    #: The gateway's origin secret, when a routed container service checks it.
    origin_secret: str | None = None
    origin_secret_arn: str | None = None
    queue_arns: dict[str, str] = field(default_factory=dict)
    dlq_urls: dict[str, str] = field(default_factory=dict)

    def address(self, kind: ResourceKind, name: str) -> str:
        if (kind, name) == ("secret", naming.ORIGIN_SECRET) and self.origin_secret_arn:
            return self.origin_secret_arn
        return self.values[(kind, name)]


def provision(
    manifest: Manifest, env: str, clients: ClientFactory, *, account_id: str
) -> LocalAddresses:
    """Create queues (with DLQs), tables, buckets, topics, secrets and parameters."""
    arns = Arns(region=manifest.project.region, account_id=account_id)
    out = LocalAddresses()
    for name, queue in manifest.queues.items():
        _queue(manifest, env, name, queue, clients("sqs"), arns, out)
    for name, table in manifest.tables.items():
        _table(physical_resource_name(manifest, "table", name, env), table, clients("dynamodb"))
        out.values[("table", name)] = physical_resource_name(manifest, "table", name, env)
    for name, topic in manifest.topics.items():
        _topic(manifest, env, name, topic, clients("sns"), out)
    for name, bucket in manifest.buckets.items():
        _bucket(manifest, env, name, bucket, clients("s3"), clients("sqs"), arns, out)
    for name, secret in manifest.secrets.items():
        _secret(
            physical_resource_name(manifest, "secret", name, env),
            secret,
            clients("secretsmanager"),
            name,
            out,
        )
    for name, param in manifest.parameters.items():
        _parameter(physical_resource_name(manifest, "parameter", name, env), param, clients("ssm"))
        out.values[("parameter", name)] = physical_resource_name(manifest, "parameter", name, env)
    for name in manifest.schedules:
        out.values[("schedule", name)] = naming.physical_name(manifest.project.name, env, name)
    if any(s.route is not None and s.runtime != "lambda" for s in manifest.services.values()):
        out.origin_secret, out.origin_secret_arn = _origin_secret(
            naming.origin_secret_name(manifest.project.name, env), clients("secretsmanager")
        )
    return out


def _origin_secret(physical: str, sm: Any) -> tuple[str, str]:
    """The gateway's origin secret (Terraform generates it too) and its ARN."""
    try:
        # Letters and digits only, as the api-gateway module requires of it.
        value = secrets.token_hex(32)
        arn = sm.create_secret(
            Name=physical,
            Description="Proof that a request came through the gateway.",
            SecretString=value,
        )["ARN"]
    except sm.exceptions.ResourceExistsException:
        found = sm.get_secret_value(SecretId=physical)
        value, arn = found["SecretString"], found["ARN"]
    return str(value), str(arn)


def _queue(
    manifest: Manifest, env: str, name: str, spec: Queue, sqs: Any, arns: Arns, out: LocalAddresses
) -> None:
    project = manifest.project.name
    fifo_attrs = {"FifoQueue": "true", "ContentBasedDeduplication": "false"} if spec.fifo else {}
    dlq_name = naming.queue_name(project, env, name, fifo=spec.fifo, dlq=True)
    dlq_url = sqs.create_queue(
        QueueName=dlq_name,
        Attributes={"MessageRetentionPeriod": str(spec.dlq_retention_s), **fifo_attrs},
    )["QueueUrl"]
    main_name = naming.queue_name(project, env, name, fifo=spec.fifo)
    main_arn = arns.of("queue", main_name)
    main_url = sqs.create_queue(
        QueueName=main_name,
        Attributes={
            "VisibilityTimeout": str(spec.visibility_timeout_s),
            "MessageRetentionPeriod": str(spec.retention_s),
            "MaximumMessageSize": str(spec.max_message_bytes),
            "DelaySeconds": str(spec.delay_s),
            "ReceiveMessageWaitTimeSeconds": str(spec.receive_wait_s),
            "RedrivePolicy": json.dumps(
                {
                    "deadLetterTargetArn": arns.of("queue", dlq_name),
                    "maxReceiveCount": spec.max_receive_count,
                }
            ),
            **fifo_attrs,
        },
    )["QueueUrl"]
    sqs.set_queue_attributes(
        QueueUrl=dlq_url,
        Attributes={
            "RedriveAllowPolicy": json.dumps(
                {"redrivePermission": "byQueue", "sourceQueueArns": [main_arn]}
            )
        },
    )
    out.values[("queue", name)] = main_url
    out.queue_arns[name] = main_arn
    out.dlq_urls[name] = dlq_url


def _table(physical: str, spec: Table, dynamodb: Any) -> None:
    attributes = {spec.hash_key: spec.hash_key_type}
    key_schema = [{"AttributeName": spec.hash_key, "KeyType": "HASH"}]
    if spec.range_key:
        attributes[spec.range_key] = spec.range_key_type
        key_schema.append({"AttributeName": spec.range_key, "KeyType": "RANGE"})
    indexes = []
    for index_name, index in spec.indexes.items():
        attributes[index.hash_key] = index.hash_key_type
        schema = [{"AttributeName": index.hash_key, "KeyType": "HASH"}]
        if index.range_key:
            attributes[index.range_key] = index.range_key_type
            schema.append({"AttributeName": index.range_key, "KeyType": "RANGE"})
        gsi: dict[str, Any] = {
            "IndexName": index_name,
            "KeySchema": schema,
            "Projection": {"ProjectionType": index.projection},
        }
        if spec.billing == "provisioned":
            gsi["ProvisionedThroughput"] = {
                "ReadCapacityUnits": spec.read_capacity,
                "WriteCapacityUnits": spec.write_capacity,
            }
        indexes.append(gsi)
    request: dict[str, Any] = {
        "TableName": physical,
        "AttributeDefinitions": [
            {"AttributeName": k, "AttributeType": t} for k, t in attributes.items()
        ],
        "KeySchema": key_schema,
        "DeletionProtectionEnabled": False,  # local tables are thrown away with the emulator
    }
    if indexes:
        request["GlobalSecondaryIndexes"] = indexes
    if spec.billing == "provisioned":
        request["BillingMode"] = "PROVISIONED"
        request["ProvisionedThroughput"] = {
            "ReadCapacityUnits": spec.read_capacity,
            "WriteCapacityUnits": spec.write_capacity,
        }
    else:
        request["BillingMode"] = "PAY_PER_REQUEST"
    try:
        dynamodb.create_table(**request)
    except dynamodb.exceptions.ResourceInUseException:
        return
    if spec.ttl_attribute:
        dynamodb.update_time_to_live(
            TableName=physical,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
        )


def _topic(
    manifest: Manifest, env: str, name: str, spec: Topic, sns: Any, out: LocalAddresses
) -> None:
    physical = physical_resource_name(manifest, "topic", name, env) + (".fifo" if spec.fifo else "")
    attrs = {"FifoTopic": "true"} if spec.fifo else {}
    arn = sns.create_topic(Name=physical, Attributes=attrs)["TopicArn"]
    for queue in spec.subscriptions:
        sns.subscribe(
            TopicArn=arn,
            Protocol="sqs",
            Endpoint=out.queue_arns[queue],
            Attributes={"RawMessageDelivery": "true" if spec.raw_delivery else "false"},
        )
    out.values[("topic", name)] = arn


def _bucket(
    manifest: Manifest,
    env: str,
    name: str,
    spec: Bucket,
    s3: Any,
    sqs: Any,
    arns: Arns,
    out: LocalAddresses,
) -> None:
    physical = physical_resource_name(manifest, "bucket", name, env)
    try:
        if manifest.project.region == "us-east-1":
            s3.create_bucket(Bucket=physical)
        else:
            s3.create_bucket(
                Bucket=physical,
                CreateBucketConfiguration={"LocationConstraint": manifest.project.region},
            )
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        pass
    s3.put_public_access_block(
        Bucket=physical,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    if spec.versioning:
        s3.put_bucket_versioning(Bucket=physical, VersioningConfiguration={"Status": "Enabled"})
    if spec.cors_origins:
        s3.put_bucket_cors(
            Bucket=physical,
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedMethods": ["GET", "PUT", "POST"],
                        "AllowedOrigins": spec.cors_origins,
                        "AllowedHeaders": ["*"],
                        "MaxAgeSeconds": 3000,
                    }
                ]
            },
        )
    if spec.notifications:
        configs = []
        for note in spec.notifications:
            queue_arn = out.queue_arns[note.queue]
            # The queue must let S3 send to it, as the Terraform queue policy does.
            sqs.set_queue_attributes(
                QueueUrl=out.values[("queue", note.queue)],
                Attributes={
                    "Policy": json.dumps(
                        _s3_to_queue_policy(queue_arn, arns.of("bucket", physical))
                    )
                },
            )
            rules = [{"Name": "prefix", "Value": note.prefix}] if note.prefix else []
            if note.suffix:
                rules.append({"Name": "suffix", "Value": note.suffix})
            config: dict[str, Any] = {"QueueArn": queue_arn, "Events": list(note.events)}
            if rules:
                config["Filter"] = {"Key": {"FilterRules": rules}}
            configs.append(config)
        s3.put_bucket_notification_configuration(
            Bucket=physical, NotificationConfiguration={"QueueConfigurations": configs}
        )
    out.values[("bucket", name)] = physical


def _s3_to_queue_policy(queue_arn: str, bucket_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowBucketNotifications",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": bucket_arn}},
            }
        ],
    }


def _secret(physical: str, spec: Secret, sm: Any, name: str, out: LocalAddresses) -> None:
    # Terraform creates the secret without a value; locally a service needs one to read.
    value = spec.local_value if spec.local_value is not None else secrets.token_urlsafe(24)
    try:
        arn = sm.create_secret(Name=physical, Description=spec.description, SecretString=value)[
            "ARN"
        ]
    except sm.exceptions.ResourceExistsException:
        arn = sm.describe_secret(SecretId=physical)["ARN"]
    out.values[("secret", name)] = arn


def _parameter(physical: str, spec: Parameter, ssm: Any) -> None:
    # A secure parameter's value is never in the manifest: its local_value, or a random one.
    value = spec.value if spec.value is not None else spec.local_value or secrets.token_urlsafe(24)
    ssm.put_parameter(
        Name=physical,
        Value=value,
        Type="SecureString" if spec.secure else "String",
        Description=spec.description,
        Overwrite=True,
    )
