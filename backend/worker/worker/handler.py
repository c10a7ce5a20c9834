"""Lambda entry point: one function serves HTTP events and the jobs queue's SQS batches."""

from trellis.runtime import lambda_handler
from worker.jobs import handle_record
from worker.main import app

handler = lambda_handler(app, sqs=handle_record)
