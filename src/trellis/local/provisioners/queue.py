"""Queues in the emulator: the DLQ first, then the queue redriving to it."""

from __future__ import annotations

import json

from trellis.kinds import QUEUE, Queue
from trellis.local.provisioners import Provisioning


def provision(ctx: Provisioning, name: str, spec: Queue) -> None:
    sqs = ctx.clients("sqs")
    project = ctx.manifest.project.name
    # As terraform/modules/sqs-queue makes them: a FIFO queue deduplicates by content
    # (so a FIFO topic can deliver to it), its DLQ keeps what it is given.
    fifo_attrs = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if spec.fifo else {}
    dlq_attrs = {"FifoQueue": "true"} if spec.fifo else {}
    dlq_name = QUEUE.dlq_name(project, ctx.env, name, spec)
    dlq_url = sqs.create_queue(
        QueueName=dlq_name,
        Attributes={"MessageRetentionPeriod": str(spec.dlq_retention_s), **dlq_attrs},
    )["QueueUrl"]
    main_name = QUEUE.physical_name(project, ctx.env, name, spec)
    main_arn = ctx.arns.of("queue", main_name)
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
                    "deadLetterTargetArn": ctx.arns.of("queue", dlq_name),
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
    ctx.out.values[("queue", name)] = main_url
    ctx.out.queue_arns[name] = main_arn
    ctx.out.dlq_urls[name] = dlq_url
