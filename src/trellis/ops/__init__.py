"""Operating a deployed (or local) stack: queue statistics and DLQ redrive."""

from trellis.ops.queues import QueueStats, RedriveResult, queue_stats, redrive

__all__ = ["QueueStats", "RedriveResult", "queue_stats", "redrive"]
