"""Event buses: EventBridge, with rules that deliver to queues and Lambda services
(``[events.<bus>]``, ``[events.<bus>.rules.<rule>]``, ``terraform/modules/event-bus``).

A bus is custom and per environment (``<project>-<env>-<bus>``); services that
``publish`` get ``events:PutEvents`` on exactly its ARN. A rule
(``<project>-<env>-<rule>`` on that bus) matches events with its ``pattern``
(EventBridge's event pattern, written as a TOML table) and delivers them to its
``targets``: a standard queue gets the event itself as the message body (the
queue's policy admits ``events.amazonaws.com`` from that rule alone); a Lambda
service is invoked with the envelope of :mod:`trellis.runtime.events` (a
``lambda_permission`` admits that rule alone), which its
``lambda_handler(..., events=...)`` dispatches. ``manifest._check_rules`` calls
:func:`bus_problems` for what spans keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

from pydantic import Field

from trellis import naming
from trellis.kinds._kind import CliOption, Grant, Kind, Snippet, Spec, Use
from trellis.kinds._policy import Arns, DeployStatement, EnvScope, Statement
from trellis.kinds._queue import QUEUE
from trellis.kinds._terraform import ENV, TF_ARNS, Tpl, module_ref
from trellis.runtime._kinds import RUNTIME_KINDS
from trellis.runtime.events._event import envelope_template

if TYPE_CHECKING:
    from trellis.manifest import Manifest

#: EventBridge's limits: targets per rule, rule name length, event pattern length (characters).
MAX_TARGETS: Final = 5
MAX_RULE_NAME: Final = 64
MAX_PATTERN_CHARS: Final = 4096
#: How long EventBridge keeps retrying a delivery (24 h, its default and maximum) and how often.
MAX_EVENT_AGE_S: Final = 86_400
RETRY_ATTEMPTS: Final = 185
#: The comparison operators an event pattern may use in an array (EventBridge's content filters).
CONTENT_FILTERS: Final = frozenset(
    {
        "prefix",
        "suffix",
        "anything-but",
        "numeric",
        "exists",
        "cidr",
        "equals-ignore-case",
        "wildcard",
    }
)
_RULE_NAME_RE: Final = re.compile(r"^[.\-_A-Za-z0-9]+$")


class Rule(Spec):
    #: EventBridge's event pattern: a table whose leaves are arrays (``source = ["acme.api"]``).
    pattern: dict[str, Any]
    #: Queues (standard) and Lambda services the matched events go to.
    targets: list[str] = Field(min_length=1)
    description: str = Field(default="", max_length=512)


class Bus(Spec):
    description: str = Field(default="", max_length=512)
    rules: dict[str, Rule] = Field(default_factory=dict)


def rule_name(project: str, env: str, rule: str) -> str:
    """The AWS name of a rule: ``<project>-<env>-<rule>`` (unique on its bus, as rule names are)."""
    return naming.physical_name(project, env, rule)


def rule_arn(arns: Arns, bus_physical: str, rule_physical: str) -> str:
    """A custom bus's rule ARN: ``...:rule/<bus>/<rule>``."""
    return arns.resolve("arn:{p}:events:{r}:{a}:rule/") + f"{bus_physical}/{rule_physical}"


def pattern_problems(pattern: Any, where: str = "pattern") -> Iterator[tuple[str, str]]:
    """``(key, problem)`` of an event pattern EventBridge would refuse.

    Every value is an object (a nested field) or a non-empty array of values to match
    (strings, numbers, booleans) and content filters (``{ prefix = "a" }``, ...);
    ``$or`` takes an array of patterns.

    >>> list(pattern_problems({"source": "acme.api"}))
    [('pattern.source', 'must be an array of values (source = ["..."]) or a table')]
    """
    if not isinstance(pattern, dict):
        yield where, "an event pattern is a table"
        return
    if not pattern:
        yield where, "an empty pattern matches nothing here: name at least one field"
        return
    for key, value in pattern.items():
        here = f"{where}.{key}"
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                yield here, "$or takes an array of at least two patterns"
                continue
            for i, alternative in enumerate(value):
                yield from pattern_problems(alternative, f"{here}.{i}")
        elif isinstance(value, dict):
            yield from pattern_problems(value, here)
        elif isinstance(value, list):
            if not value:
                yield here, "an empty array matches nothing (EventBridge refuses it)"
            for i, item in enumerate(value):
                yield from _match_problems(item, f"{here}.{i}")
        else:
            yield here, f'must be an array of values ({key} = ["..."]) or a table'


def _match_problems(item: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(item, str | bool | int | float):
        return
    if not isinstance(item, dict) or len(item) != 1:
        yield where, 'an array holds values or one-key content filters ({ prefix = "..." })'
        return
    (name,) = item
    if name not in CONTENT_FILTERS:
        known = ", ".join(sorted(CONTENT_FILTERS))
        yield where, f"unknown content filter {name!r} (EventBridge's: {known})"


def pattern_json(pattern: Mapping[str, Any]) -> str:
    """The pattern as the JSON EventBridge stores (keys sorted: renders are stable)."""
    return json.dumps(pattern, sort_keys=True, separators=(",", ":"))


def bus_problems(m: Manifest) -> Iterator[tuple[str, str]]:
    """``(key, problem)`` of the buses' rules that span keys: targets, names, lengths."""
    project = m.project.name
    longest_env = max(m.project.environments, key=len)
    queues = m.specs(QUEUE)
    seen: dict[str, str] = {}
    for bus, spec in m.specs(BUS).items():
        for rule, rspec in spec.rules.items():
            key = f"events.{bus}.rules.{rule}"
            if not naming.RESOURCE_RE.match(rule):
                yield (
                    key,
                    ("a name uses lower-case letters, digits, '-' and '_', starting with a letter"),
                )
            if rule in seen:
                # Lambda targets dispatch by rule name (@events.on("...")): one name, one rule.
                yield key, f"duplicate rule name: {seen[rule]} is already called {rule!r}"
            seen[rule] = key
            physical = rule_name(project, longest_env, rule)
            if len(physical) > MAX_RULE_NAME or not _RULE_NAME_RE.match(physical):
                yield (
                    key,
                    (
                        f"rule name {physical!r} is {len(physical)} characters, over the AWS "
                        f"limit of {MAX_RULE_NAME}"
                    ),
                )
            yield from ((f"{key}.{w}", p) for w, p in pattern_problems(rspec.pattern))
            if len(pattern_json(rspec.pattern)) > MAX_PATTERN_CHARS:
                yield (
                    f"{key}.pattern",
                    (
                        f"{len(pattern_json(rspec.pattern))} characters as JSON; EventBridge "
                        f"takes at most {MAX_PATTERN_CHARS}"
                    ),
                )
            if len(rspec.targets) > MAX_TARGETS:
                yield f"{key}.targets", f"EventBridge allows at most {MAX_TARGETS} targets per rule"
            if len(set(rspec.targets)) != len(rspec.targets):
                yield f"{key}.targets", "a target is listed twice"
            for i, target in enumerate(rspec.targets):
                tkey = f"{key}.targets.{i}"
                if target in queues:
                    if queues[target].fifo:
                        yield (
                            tkey,
                            (
                                f"{target!r} is a FIFO queue: a rule delivers to standard queues "
                                "(events carry no message group)"
                            ),
                        )
                elif target in m.services:
                    svc = m.services[target]
                    if svc.runtime != "lambda":
                        consumed = [
                            q for q, lv in svc.uses.items() if q in queues and "consume" in lv
                        ]
                        hint = (
                            f"{consumed[0]!r}, the queue it consumes"
                            if consumed
                            else 'a queue it consumes (uses = { <queue> = "consume" })'
                        )
                        yield (
                            tkey,
                            (
                                f"{target!r} runs on {svc.runtime}, which a rule cannot invoke: "
                                f"target {hint}; the event becomes the message body"
                            ),
                        )
                else:
                    yield tkey, f"unknown queue or service {target!r}"


class BusKind(Kind[Bus]):
    name = "bus"
    section = "events"
    model = Bus
    runtime = RUNTIME_KINDS["bus"]
    # DescribeEventBus (read-only, the same ARN) is the readiness probe's, as a queue's
    # `send` carries GetQueueAttributes.
    levels = {"publish": ("events:PutEvents", "events:DescribeEventBus")}
    max_length = 256
    arn_template = "arn:{p}:events:{r}:{a}:event-bus/{name}"
    terraform_module = "event-bus"
    module_output = "arn"
    local_provisioner = "trellis.local.provisioners.bus"
    verbs = {"publish": "publishes to"}
    cli_options = (CliOption("--description", "description", {"help": "what the bus carries"}),)

    def aws_address(self, physical: str, arns: Arns) -> str:
        return arns.of("bus", physical)

    def statements(self, grant: Grant[Bus]) -> Iterator[Statement]:
        # On the bus's ARN alone: not the default bus, not another environment's.
        yield Statement(grant.sid, grant.actions, (grant.arn,), (), grant.resource)

    def owned_arns(self, scope: EnvScope) -> tuple[str, ...]:
        # One pattern for buses (event-bus/<n>-x) and their rules (rule/<n>-x/<n>-y): the
        # boundary lists it once per other environment, and must fit 6,144 characters.
        return (f"arn:{{p}}:events:{{r}}:{{a}}:*/{scope.n}-*",)

    def _bus_and_rule_arns(self, scope: EnvScope) -> tuple[str, str]:
        return (
            f"arn:{{p}}:events:{{r}}:{{a}}:event-bus/{scope.n}-*",
            f"arn:{{p}}:events:{{r}}:{{a}}:rule/{scope.n}-*/{scope.n}-*",
        )

    def data_arns(self, scope: EnvScope) -> tuple[str, ...]:
        return (self._bus_and_rule_arns(scope)[0],)

    def terraform_arguments(
        self, manifest: Manifest, name: str, spec: Bus
    ) -> Iterator[tuple[str, object]]:
        project = manifest.project.name
        yield "name", Tpl(self.physical_name(project, ENV, name, spec))
        if spec.description:
            yield "description", spec.description
        rules: dict[str, object] = {}
        targets: dict[str, object] = {}
        queues = manifest.specs(QUEUE)
        for rule, rspec in spec.rules.items():
            rules[rule] = {
                "name": Tpl(rule_name(project, ENV, rule)),
                "description": rspec.description or f"{name}: {rule} (trellis.toml)",
                "event_pattern": pattern_json(rspec.pattern),
            }
            for target in rspec.targets:
                if target in queues:
                    targets[f"{rule}-{target}"] = {
                        "rule": rule,
                        "kind": "sqs",
                        "arn": module_ref("queue", target, "arn"),
                    }
                else:
                    # The manifest refuses any other target than a Lambda service.
                    targets[f"{rule}-{target}"] = {
                        "rule": rule,
                        "kind": "lambda",
                        "arn": module_ref("service", target, "target_arn"),
                        "input_template": envelope_template(name, rule),
                    }
        yield "rules", rules
        yield "targets", targets
        yield "maximum_event_age_seconds", MAX_EVENT_AGE_S
        yield "maximum_retry_attempts", RETRY_ATTEMPTS

    def queue_publishers(
        self, manifest: Manifest, queue: str, specs: Mapping[str, Bus]
    ) -> Iterator[dict[str, object]]:
        project = manifest.project.name
        for bus, spec in specs.items():
            bus_physical = self.physical_name(project, ENV, bus, spec)
            for rule, rspec in spec.rules.items():
                if queue in rspec.targets:
                    yield {
                        "service": "events.amazonaws.com",
                        "source_arn": Tpl(
                            rule_arn(TF_ARNS, bus_physical, rule_name(project, ENV, rule))
                        ),
                    }

    def deploy_statements(self, scope: EnvScope) -> Iterator[DeployStatement]:
        buses, rules = self._bus_and_rule_arns(scope)
        yield DeployStatement(
            "ManageEventBuses",
            (
                "events:CreateEventBus",
                "events:DeleteEventBus",
                "events:DescribeEventBus",
                "events:ListTagsForResource",
                "events:TagResource",
                "events:UntagResource",
                "events:UpdateEventBus",
            ),
            (buses,),
        )
        yield DeployStatement(
            "ManageEventRules",
            (
                "events:DeleteRule",
                "events:DescribeRule",
                "events:ListTagsForResource",
                "events:ListTargetsByRule",
                "events:PutRule",
                "events:RemoveTargets",
                "events:TagResource",
                "events:UntagResource",
            ),
            (rules,),
        )
        # A rule's targets: only the environment's own queues and functions.
        yield DeployStatement(
            "TargetOwnQueuesAndFunctions",
            ("events:PutTargets",),
            (rules,),
            (
                (
                    "ArnLike",
                    "events:TargetArn",
                    (
                        f"arn:{{p}}:sqs:{{r}}:{{a}}:{scope.n}-*",
                        f"arn:{{p}}:lambda:{{r}}:{{a}}:function:{scope.n}-*",
                    ),
                ),
            ),
        )
        # A Lambda target's resource policy admits EventBridge (the module pins the rule ARN).
        yield DeployStatement(
            "LetEventRulesInvokeFunctions",
            ("lambda:AddPermission",),
            (f"arn:{{p}}:lambda:{{r}}:{{a}}:function:{scope.n}-*",),
            (("StringEquals", "lambda:Principal", ("events.amazonaws.com",)),),
        )

    def _values(self, use: Use[Bus]) -> dict[str, str]:
        return {
            "bus": use.resource,
            "ident": use.ident,
            "field": naming.settings_field_name("bus", use.resource),
        }

    def accessor(self, use: Use[Bus]) -> Snippet | None:
        return Snippet(
            "kinds/bus/publisher.py.tmpl",
            self._values(use),
            imports=(("trellis.runtime.events", "EventPublisher"),),
        )

    def probe(self, use: Use[Bus], level: str) -> Snippet:
        if level != "publish":
            return super().probe(use, level)
        return Snippet(
            "kinds/bus/probe_publish.py.tmpl",
            self._values(use),
            imports=(("{module}", "resources"),),
        )


#: The registry entry (``trellis.kinds.BUS``).
BUS: Final = BusKind()
