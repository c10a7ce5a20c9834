"""Publishes an OrderPaid event per paid order (the e2e stack's publisher)."""

from trellis.runtime import ServiceSettings, clients_for, create_app, lambda_handler, load_settings
from trellis.runtime.events import EventPublisher


class Settings(ServiceSettings):
    orders_bus_arn: str


settings = load_settings(Settings)
app = create_app(settings)
bus = EventPublisher(
    clients_for(settings).events,
    settings.orders_bus_arn,
    source=f"{settings.trellis_project}.{settings.trellis_service}",
)


@app.post("/orders/{order_id}/paid", status_code=202)
def paid(order_id: str) -> dict[str, str]:
    return {"event_id": bus.publish("OrderPaid", {"order_id": order_id})}


handler = lambda_handler(app)
