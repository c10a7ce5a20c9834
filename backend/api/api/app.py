"""The api service: users on DynamoDB and files on S3 (routes arrive with the API issue)."""

from fastapi import FastAPI

from api.settings import Settings
from trellis.runtime import AwsClients, create_app


def build_app(settings: Settings, clients: AwsClients | None = None) -> FastAPI:
    """The api app; ``clients`` defaults to clients built from ``settings``."""
    return create_app(settings, title="api", clients=clients)
