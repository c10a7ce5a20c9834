"""Readiness: ``/ready`` probes every dependency of the service, concurrently and briefly.

The default checks come from the service's settings: one cheap read-only probe
per resource field, the probe its kind's runtime entry names
(:mod:`trellis.runtime._kinds`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import anyio
import anyio.to_thread

from trellis.runtime._clients import AwsClients
from trellis.runtime._errors import (
    DependencyUnavailable,
    TrellisError,
    is_aws_error,
    translate_aws_error,
)
from trellis.runtime._kinds import RuntimeKind, runtime_kind_of_field
from trellis.runtime._logging import get_logger
from trellis.runtime._settings import ServiceSettings

__all__ = ["ReadinessCheck", "default_readiness_checks", "run_checks"]

_log = get_logger("trellis.runtime.app")

#: Readiness probes make one quick attempt: a probe that retries for 30 s
#: tells the load balancer nothing it needs to know.
PROBE_CONNECT_TIMEOUT_S: Final = 1.0
PROBE_READ_TIMEOUT_S: Final = 2.0


@dataclass(frozen=True)
class ReadinessCheck:
    """A named probe of one dependency: ``check`` returns normally when it is usable.

    ``check`` is a plain (blocking) callable; ``/ready`` runs every check in a
    worker thread, concurrently, each bounded by ``timeout_s``.
    """

    name: str
    check: Callable[[], object]
    timeout_s: float = 3.0


def default_readiness_checks(
    settings: ServiceSettings, clients: AwsClients
) -> list[ReadinessCheck]:
    """One cheap read-only probe per resource field of ``settings``.

    ``users_table_name`` → check ``users_table`` (``DescribeTable``);
    ``jobs_queue_url`` → ``jobs_queue`` (``GetQueueAttributes``); buckets use
    ``HeadBucket``, topics ``GetTopicAttributes``, secrets ``DescribeSecret``
    and parameters ``GetParameter``. Unset optional fields are skipped, and so
    are buckets the service may only write (``TRELLIS_WRITE_ONLY_BUCKETS``): its
    role allows no read-only call on them, so a probe could only fail.
    """
    write_only = {
        f"{name.replace('-', '_')}_bucket_name" for name in settings.trellis_write_only_buckets
    }
    checks: list[ReadinessCheck] = []
    for field in type(settings).model_fields:
        kind = runtime_kind_of_field(field)
        value = getattr(settings, field, None)
        if kind is None or not isinstance(value, str) or not value or field in write_only:
            continue
        checks.append(ReadinessCheck(field.rsplit("_", 1)[0], _bind(kind, clients, value)))
    return checks


def _bind(kind: RuntimeKind, clients: AwsClients, value: str) -> Callable[[], object]:
    return lambda: kind.probe(clients, value)


async def _run_check(check: ReadinessCheck) -> TrellisError | None:
    try:
        with anyio.fail_after(check.timeout_s):
            # A hung probe's thread is abandoned, not awaited: /ready answers in time.
            await anyio.to_thread.run_sync(check.check, abandon_on_cancel=True)
    except TimeoutError:
        _log.warning("readiness.timeout", check=check.name, timeout_s=check.timeout_s)
        return DependencyUnavailable(f"{check.name} timed out")
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", never a crash
        if isinstance(exc, TrellisError):
            error = exc
        elif is_aws_error(exc):
            error = translate_aws_error(exc, resource=check.name)
        else:
            error = DependencyUnavailable()
        _log.warning(
            "readiness.failed",
            check=check.name,
            error=error.code,
            exc_type=type(exc).__name__,
            exc_message=str(exc),
        )
        return error
    return None


async def run_checks(checks: Sequence[ReadinessCheck]) -> tuple[dict[str, str], list[TrellisError]]:
    outcomes: dict[str, TrellisError | None] = {}

    async def run(check: ReadinessCheck) -> None:
        outcomes[check.name] = await _run_check(check)

    async with anyio.create_task_group() as group:
        for check in checks:
            group.start_soon(run, check)
    results = {}
    failures = []
    for check in checks:
        outcome = outcomes[check.name]
        results[check.name] = "ok" if outcome is None else outcome.code
        if outcome is not None:
            failures.append(outcome)
    return results, failures
