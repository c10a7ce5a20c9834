"""A queue consumer for container services (App Runner, ECS Express).

On Lambda the event source mapping polls for you; in a container this loop
does: long polling, a thread pool of ``concurrency`` handlers, deletion in
batches of 10, visibility extension while a message is still being worked on,
exponential backoff with jitter while AWS errors, and a graceful stop.

>>> consumer = QueueConsumer(clients.sqs, settings.jobs_queue_url, runner.process)  # doctest: +SKIP
>>> stop = threading.Event()                                                          # doctest: +SKIP
>>> threading.Thread(target=consumer.run, args=(stop,)).start()                      # doctest: +SKIP

Stopping (``stop.set()``, e.g. on SIGTERM): no new receives, and an idle
consumer's long poll is not waited for (``run`` returns within 0.1 s); messages
received after the stop are released at once (visibility 0); in-flight ones
get ``grace_s`` to finish and are released if they don't; finished ones are
deleted. A handler that raises leaves its message to come back after the
visibility timeout and, past ``maxReceiveCount``, to go to the DLQ. Nothing
is dropped.
"""

from trellis.runtime.consumer._loop import ConsumerStats, QueueConsumer

__all__ = ["ConsumerStats", "QueueConsumer"]
