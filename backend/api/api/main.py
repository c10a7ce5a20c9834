"""ASGI entry point (`uvicorn api.main:app`); settings are read once, here."""

from api.app import build_app
from api.settings import Settings
from trellis.runtime import load_settings

app = build_app(load_settings(Settings))
