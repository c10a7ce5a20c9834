"""Event buses in the emulator: the bus, its rules and their targets, as the event-bus module
makes them.

moto's EventBridge routes a matched event to an SQS target itself (the event's JSON as
the message body, as AWS does). It cannot invoke a Lambda function, so a rule's Lambda
target is a local relay queue instead, one per target
(``<project>-<env>-_events-<rule>-<service>``: a manifest name cannot start with ``_``,
so it clashes with nothing); ``trellis dev`` feeds it to the function with the envelope AWS's input transformer makes
(:mod:`trellis.local.event_rules`), as Lambda's asynchronous invocation queue would.
"""

from __future__ import annotations

import hashlib
import json

from trellis import naming
from trellis.kinds import BUS, QUEUE, Bus
from trellis.kinds._bus import pattern_json, rule_name
from trellis.local.provisioners import Provisioning

#: A relay's visibility timeout and deliveries: Lambda retries an asynchronous invocation
#: twice (three attempts), then the event waits in the relay's DLQ.
RELAY_MAX_RECEIVES = 3


def relay_queue_name(project: str, env: str, rule: str, service: str) -> str:
    """The local queue standing in for one Lambda target of a rule (SQS's 80 characters kept)."""
    name = naming.physical_name(project, env, f"_events-{rule}-{service}")
    if len(name) + len(naming.DLQ_SUFFIX) > 80:
        digest = hashlib.sha256(name.encode()).hexdigest()[:12]
        name = f"{name[: 80 - len(naming.DLQ_SUFFIX) - 13]}-{digest}"
    return name


def provision(ctx: Provisioning, name: str, spec: Bus) -> None:
    events = ctx.clients("events")
    project = ctx.manifest.project.name
    physical = BUS.physical_name(project, ctx.env, name, spec)
    try:
        arn = events.create_event_bus(Name=physical)["EventBusArn"]
    except events.exceptions.ResourceAlreadyExistsException:
        arn = events.describe_event_bus(Name=physical)["Arn"]
    queues = ctx.manifest.specs(QUEUE)
    for rule, rspec in spec.rules.items():
        rule_physical = rule_name(project, ctx.env, rule)
        events.put_rule(
            Name=rule_physical,
            EventBusName=physical,
            EventPattern=pattern_json(rspec.pattern),
            State="ENABLED",
            Description=rspec.description or f"{name}: {rule} (trellis.toml)",
        )
        targets = [
            {"Id": f"{rule}-{t}", "Arn": ctx.out.queue_arns[t]}
            for t in rspec.targets
            if t in queues
        ]
        for service in (t for t in rspec.targets if t not in queues):
            url, relay_arn = _relay(ctx, rule, service)
            targets.append({"Id": f"{rule}-{service}", "Arn": relay_arn})
            ctx.out.rule_relays[(rule, service)] = (url, relay_arn)
        events.put_targets(Rule=rule_physical, EventBusName=physical, Targets=targets)
    ctx.out.values[("bus", name)] = arn


def _relay(ctx: Provisioning, rule: str, service: str) -> tuple[str, str]:
    sqs = ctx.clients("sqs")
    project = ctx.manifest.project.name
    timeout_s = ctx.manifest.services[service].timeout_s
    name = relay_queue_name(project, ctx.env, rule, service)
    sqs.create_queue(QueueName=name + naming.DLQ_SUFFIX)
    dlq_arn = ctx.arns.of("queue", name + naming.DLQ_SUFFIX)
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            # A delivery outlives the function's run before it is tried again.
            "VisibilityTimeout": str(max(30, 2 * timeout_s)),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": RELAY_MAX_RECEIVES}
            ),
        },
    )["QueueUrl"]
    return str(url), ctx.arns.of("queue", name)
