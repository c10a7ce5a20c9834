"""Topics in the emulator, subscribed by their queues."""

from __future__ import annotations

from trellis.kinds import Topic
from trellis.local.provisioners import Provisioning


def provision(ctx: Provisioning, name: str, spec: Topic) -> None:
    sns = ctx.clients("sns")
    # As terraform/modules/sns-topic makes it: a FIFO topic deduplicates by content.
    attrs = {"FifoTopic": "true", "ContentBasedDeduplication": "true"} if spec.fifo else {}
    arn = sns.create_topic(Name=ctx.physical("topic", name), Attributes=attrs)["TopicArn"]
    for queue in spec.subscriptions:
        sns.subscribe(
            TopicArn=arn,
            Protocol="sqs",
            Endpoint=ctx.out.queue_arns[queue],
            Attributes={"RawMessageDelivery": "true" if spec.raw_delivery else "false"},
        )
    ctx.out.values[("topic", name)] = arn
