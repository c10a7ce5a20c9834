"""The event an EventBridge rule invokes a Lambda service with: one envelope, in AWS and locally."""

from __future__ import annotations

from typing import Any, Final

#: The key that marks an invocation as a rule's delivery; its value is the rule's name.
ENVELOPE_KEY: Final = "trellis_rule"

#: EventBridge's input-transformer variable for the whole matched event (it is replaced by
#: the event's JSON object, so it stands unquoted in the template).
AWS_EVENT: Final = "<aws.events.event>"


def envelope_template(bus: str, rule: str) -> str:
    """The input template Terraform gives a rule's Lambda target: the envelope around the event.

    >>> envelope_template("orders", "paid")
    '{"bus":"orders","event":<aws.events.event>,"trellis_rule":"paid"}'
    """
    # Names are manifest names ([a-z][a-z0-9_-]*): nothing in them needs JSON escaping.
    return f'{{"bus":"{bus}","event":{AWS_EVENT},"{ENVELOPE_KEY}":"{rule}"}}'


def envelope(bus: str, rule: str, event: dict[str, Any]) -> dict[str, Any]:
    """The envelope ``trellis dev`` invokes a rule's Lambda target with (what the template makes)."""
    return {"bus": bus, "event": event, ENVELOPE_KEY: rule}


def is_rule_event(event: Any) -> bool:
    """Whether a Lambda event is a rule's envelope."""
    return isinstance(event, dict) and isinstance(event.get(ENVELOPE_KEY), str)
