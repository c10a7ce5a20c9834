"""Lambda entry point: API Gateway events go through the same app as under uvicorn."""

from api.main import app
from trellis.runtime import lambda_handler

handler = lambda_handler(app)
