"""``trellis dev``'s dashboard: the stack in the browser, at ``http://127.0.0.1:<port>/_trellis/``.

Pages (each refreshed every second without reloading): the architecture drawn
from the manifest; queues (depths, oldest message, peek, redrive); tables and
buckets; requests through the gateway; jobs (each message an event source
delivered, and its outcome) with buttons that send test events; IAM denials
with the manifest change that grants them; traces (one request as a waterfall
across gateway → service → AWS calls → queue → worker); and each service's
log with a filter.

:class:`DevEvents` is what the stack reports to as things happen;
:class:`Dashboard` is the ASGI app the gateway mounts. The dashboard is served
on the gateway's loopback address only and has no login: see ``_app``.
"""

from trellis.local.dashboard._app import Dashboard
from trellis.local.dashboard._feeds import DecisionTail, DeliveryFeed, record_request
from trellis.local.dashboard._grants import Grant, grant_for
from trellis.local.dashboard._hub import Delivery, Denial, DevEvents, LogLine, Request, Span

__all__ = [
    "Dashboard",
    "DecisionTail",
    "Delivery",
    "DeliveryFeed",
    "Denial",
    "DevEvents",
    "Grant",
    "LogLine",
    "Request",
    "Span",
    "grant_for",
    "record_request",
]
