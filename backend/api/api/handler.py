"""Lambda entry point: API Gateway events go through the same app as under uvicorn; settings
are read once, here."""

from api.app import build_handler
from api.settings import Settings
from trellis.runtime import load_settings

handler = build_handler(load_settings(Settings))
