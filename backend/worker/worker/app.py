"""The worker service's HTTP side (the jobs API arrives with the worker issue)."""

from fastapi import FastAPI

from trellis.runtime import AwsClients, create_app
from worker.settings import Settings


def build_app(settings: Settings, clients: AwsClients | None = None) -> FastAPI:
    """The worker app; ``clients`` defaults to clients built from ``settings``."""
    return create_app(settings, title="worker", clients=clients)
