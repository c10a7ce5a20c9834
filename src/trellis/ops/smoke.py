"""`trellis smoke <url>`: after a deploy, every routed service answers through the gateway.

For each service with a ``route``, ``GET <url><route>/health`` must answer 200 with
the service's name (the function runs and the gateway routes to it), then
``GET <url><route>/ready`` must answer 200 (the service reaches every table,
bucket and queue it uses, with its own role). Each check is retried until a
deadline: a fresh deployment may answer 5xx for a few seconds.

``/ready`` follows the service's ``auth``: without credentials (``headers``) a
guarded ``/ready`` that the gateway refuses with 401 or 403 passes as "guarded"
(the route exists and auth is enforced); with them it must answer 200.

Standard library only: it runs in the deploy job with nothing but the manifest.
"""

from __future__ import annotations

import functools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
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


def _get(url: str, timeout_s: float, headers: Mapping[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(  # noqa: S310
        url, headers={"Accept": "application/json", **(headers or {})}
    )
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
    guarded_by: str | None = None,
) -> SmokeResult:
    attempts = 0
    while True:
        attempts += 1
        status, body = get(url, 10.0)
        detail = f"HTTP {status}" if status else body
        if guarded_by is not None and status in (401, 403):
            return SmokeResult(
                service,
                url,
                True,
                f"HTTP {status}: guarded by auth = {guarded_by} (pass --header to check readiness)",
                attempts,
            )
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
    headers: Mapping[str, str] | None = None,
    get: Callable[[str, float], tuple[int, str]] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[SmokeResult]:
    """Check every routed service of ``manifest`` behind ``base_url`` (the gateway's stage URL).

    ``headers`` (``Authorization: Bearer ...``, ``x-api-key``) go with every request.
    """
    if get is None:
        get = functools.partial(_get, headers=headers)
    base = base_url.rstrip("/")
    deadline = clock() + timeout_s
    results: list[SmokeResult] = []
    for name, spec in manifest.services.items():
        if spec.route is None:
            continue
        paths = [("/health", True)] + ([("/ready", False)] if ready else [])
        for path, expect_service in paths:
            url = f"{base}{spec.route.rstrip('/')}{path}"
            mode = manifest.auth_for(name, path)
            guarded = mode if mode not in (None, "none") and not headers else None
            result = _check(
                name, url, expect_service, deadline, get, interval_s, clock, sleep, guarded
            )
            results.append(result)
            if not result.ok:
                break
    return results
