"""Buckets in the emulator: private, versioned, CORS and queue notifications as in AWS."""

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
