"""`trellis smoke <url>`: after a deploy, every routed service answers through the gateway.

For each service with a ``route``, ``GET <url><route>/health`` must answer 200 with
the service's name (the function runs and the gateway routes to it), then
``GET <url><route>/ready`` must answer 200 (the service reaches every table,
bucket and queue it uses, with its own role). Each check is retried until a
deadline: a fresh deployment may answer 5xx for a few seconds.

Standard library only: it runs in the deploy job with nothing but the manifest.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from trellis.manifest import Manifest

__all__ = ["SmokeResult", "smoke"]


@dataclass(frozen=True)
class SmokeResult:
    service: str
    url: str
    ok: bool
    detail: str
    attempts: int


def _get(url: str, timeout_s: float) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            return int(response.status), response.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read(4096).decode("utf-8", "replace")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return 0, str(exc)


def _check(
    service: str,
    url: str,
    expect_service: bool,
    deadline: float,
    get: Callable[[str, float], tuple[int, str]],
    interval_s: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> SmokeResult:
    attempts = 0
    while True:
        attempts += 1
        status, body = get(url, 10.0)
        detail = f"HTTP {status}" if status else body
        if status == 200:
            if not expect_service:
                return SmokeResult(service, url, True, "HTTP 200", attempts)
            try:
                answered = json.loads(body).get("service")
            except (ValueError, AttributeError):
                answered = None
            if answered == service:
                return SmokeResult(service, url, True, "HTTP 200", attempts)
            detail = f"HTTP 200 from {answered!r}, not {service!r}"
        if clock() + interval_s > deadline:
            return SmokeResult(service, url, False, f"{detail}: {body[:200]}", attempts)
        sleep(interval_s)


def smoke(
    manifest: Manifest,
    base_url: str,
    *,
    timeout_s: float = 120.0,
    interval_s: float = 5.0,
    ready: bool = True,
    get: Callable[[str, float], tuple[int, str]] = _get,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[SmokeResult]:
    """Check every routed service of ``manifest`` behind ``base_url`` (the gateway's stage URL)."""
    base = base_url.rstrip("/")
    deadline = clock() + timeout_s
    results: list[SmokeResult] = []
    for name, spec in manifest.services.items():
        if spec.route is None:
            continue
        paths = [("/health", True)] + ([("/ready", False)] if ready else [])
        for path, expect_service in paths:
            url = f"{base}{spec.route.rstrip('/')}{path}"
            result = _check(name, url, expect_service, deadline, get, interval_s, clock, sleep)
            results.append(result)
            if not result.ok:
                break
    return results
