"""``trellis dev``'s EventBridge → Lambda delivery: a rule's relay queue fed to its function.

The emulator's EventBridge matches events and sends each match of a rule to a relay
queue per Lambda target (:mod:`trellis.local.provisioners.bus`); an
:class:`~trellis.local.event_source.SqsEventSource` reads it one event at a time and
hands it to :class:`RuleTarget`, which invokes the function with the envelope AWS's
input transformer makes (:func:`trellis.runtime.events.envelope`). A failed invocation
leaves the event in the relay, to be tried again after the visibility timeout and, past
its receives, kept in the relay's DLQ: the local form of Lambda's asynchronous retries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from trellis.local.event_source import Invoker
from trellis.local.services import InvokeResult
from trellis.runtime.events import envelope

__all__ = ["RuleTarget"]


@dataclass
class RuleTarget:
    """An invoker for one rule's relay: each record is one matched event for ``function``."""

    bus: str
    rule: str
    function: Invoker
    #: The function's name: what the event source's log lines say.
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = self.function.name

    @property
    def concurrency(self) -> int:
        return int(getattr(self.function, "concurrency", 1))

    @property
    def broken(self) -> object | None:
        # While the function's code does not start, nothing is received (as for a consumer).
        return getattr(self.function, "broken", None)

    async def invoke(self, event: dict[str, Any]) -> InvokeResult:
        failures = []
        for record in event["Records"]:
            try:
                matched = json.loads(record["body"])
            except ValueError:
                # Not an event (sent to the relay by hand): nothing to deliver.
                continue
            result = await self.function.invoke(envelope(self.bus, self.rule, matched))
            if not result.ok:
                failures.append({"itemIdentifier": record["messageId"]})
        # The failed events stay in the relay; their errors are in the function's log.
        return InvokeResult(payload={"batchItemFailures": failures})
