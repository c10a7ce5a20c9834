"""Lambda entry point: one function serves HTTP events and the jobs queue's SQS batches;
settings are read once, here."""

from trellis.runtime import load_settings
from worker.app import build_handler
from worker.settings import Settings

handler = build_handler(load_settings(Settings))
