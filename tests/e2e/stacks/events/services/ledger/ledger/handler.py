"""The paid rule's Lambda target: records each event it is given on the seen queue."""

import json

from pydantic import BaseModel

from trellis.runtime import ServiceSettings, clients_for, create_app, lambda_handler, load_settings
from trellis.runtime.events import EventContext, Events


class Settings(ServiceSettings):
    seen_queue_url: str


class OrderPaid(BaseModel):
    order_id: str


settings = load_settings(Settings)
events = Events()


@events.on("paid")
def paid(detail: OrderPaid, ctx: EventContext) -> None:
    body = {"order_id": detail.order_id, "event_id": ctx.id, "rule": ctx.rule, "bus": ctx.bus}
    clients_for(settings).sqs.send_message(
        QueueUrl=settings.seen_queue_url, MessageBody=json.dumps(body)
    )


handler = lambda_handler(create_app(settings), events=events)
