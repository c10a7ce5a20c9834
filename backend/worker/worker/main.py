"""ASGI entry point (`uvicorn worker.main:app`); settings are read once, here."""

from trellis.runtime import load_settings
from worker.app import build_app
from worker.settings import Settings

app = build_app(load_settings(Settings))
