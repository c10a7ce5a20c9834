"""Publishing to SQS within its limits: 1 MiB per message, 10 entries and 1 MiB per batch.

>>> publisher = Publisher(clients.sqs, settings.jobs_queue_url)      # doctest: +SKIP
>>> publisher.send('{"type": "ping"}')                                  # doctest: +SKIP
'5fea7756-0ea4-451a-a703-a558b933e274'

A message over the limit raises :class:`~trellis.runtime.PayloadTooLarge`
before any call. ``send_batch`` splits entries into calls of at most 10
entries and 1 MiB, retries the entries SQS failed on its side and the calls
that were throttled or hit a transient fault (with backoff and jitter), and
reports a result per entry instead of failing them all. A permanent failure
(AccessDenied, a missing queue, a rejected request) is reported after one
call: retrying it would only repeat the error.
"""

from trellis.runtime.queues._publisher import (
    BATCH_LIMIT,
    MAX_MESSAGE_BYTES,
    OutgoingMessage,
    Publisher,
    SendResult,
    message_size,
)

__all__ = [
    "BATCH_LIMIT",
    "MAX_MESSAGE_BYTES",
    "OutgoingMessage",
    "Publisher",
    "SendResult",
    "message_size",
]
