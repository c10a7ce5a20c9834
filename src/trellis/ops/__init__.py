"""Operating a deployed (or local) stack: queue statistics, DLQ redrive, smoke tests."""

from trellis.ops.queues import QueueStats, RedriveResult, queue_stats, redrive
from trellis.ops.smoke import SmokeResult, smoke

__all__ = ["QueueStats", "RedriveResult", "SmokeResult", "queue_stats", "redrive", "smoke"]
