"""Buckets in the emulator: private, versioned, CORS, lifecycle rules and queue notifications
as in AWS (the emulator stores the lifecycle configuration; it never ages objects)."""

from __future__ import annotations

import json
from typing import Any

from trellis.kinds import Bucket
from trellis.local.provisioners import Provisioning


def provision(ctx: Provisioning, name: str, spec: Bucket) -> None:
    s3, sqs = ctx.clients("s3"), ctx.clients("sqs")
    physical = ctx.physical("bucket", name)
    region = ctx.manifest.project.region
    try:
        if region == "us-east-1":
            s3.create_bucket(Bucket=physical)
        else:
            s3.create_bucket(
                Bucket=physical, CreateBucketConfiguration={"LocationConstraint": region}
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
    s3.put_bucket_lifecycle_configuration(
        Bucket=physical, LifecycleConfiguration={"Rules": lifecycle_rules(spec)}
    )
    if spec.notifications:
        configs = []
        for note in spec.notifications:
            queue_arn = ctx.out.queue_arns[note.queue]
            # The queue must let S3 send to it, as the Terraform queue policy does.
            sqs.set_queue_attributes(
                QueueUrl=ctx.out.values[("queue", note.queue)],
                Attributes={
                    "Policy": json.dumps(
                        _s3_to_queue_policy(queue_arn, ctx.arns.of("bucket", physical))
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
    ctx.out.values[("bucket", name)] = physical


def lifecycle_rules(spec: Bucket, abort_days: int = 7) -> list[dict[str, Any]]:
    """The rules the s3-bucket module creates for ``spec``, as PutBucketLifecycleConfiguration takes them."""
    abort = {"DaysAfterInitiation": abort_days}
    rules: list[dict[str, Any]] = [
        {
            "ID": "abort-incomplete-multipart-uploads",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "AbortIncompleteMultipartUpload": abort,
        },
        {
            "ID": "expire-noncurrent-versions",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "NoncurrentVersionExpiration": {"NoncurrentDays": spec.noncurrent_expiration_days},
        },
    ]
    for rule in spec.lifecycle:
        out: dict[str, Any] = {
            "ID": rule.id,
            "Status": "Enabled",
            "Filter": {"Prefix": rule.prefix},
            "AbortIncompleteMultipartUpload": abort,
        }
        if rule.transitions:
            out["Transitions"] = [
                {"Days": t.days, "StorageClass": t.storage_class} for t in rule.transitions
            ]
        if rule.expiration_days is not None:
            out["Expiration"] = {"Days": rule.expiration_days}
        if rule.noncurrent_transitions:
            out["NoncurrentVersionTransitions"] = [
                {"NoncurrentDays": t.days, "StorageClass": t.storage_class}
                for t in rule.noncurrent_transitions
            ]
        if rule.noncurrent_expiration_days is not None:
            out["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule.noncurrent_expiration_days}
        rules.append(out)
    return rules


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
