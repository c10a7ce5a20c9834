"""The conformance suite runs against the session's emulator, or ``TRELLIS_CONFORMANCE_ENDPOINT``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.conformance._aws import Aws

ENDPOINT_ENV = "TRELLIS_CONFORMANCE_ENDPOINT"
_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A case that does not say where AWS documents its expectation is not a conformance case."""
    undocumented = []
    for item in items:
        if _HERE not in Path(str(item.path)).parents:
            continue
        marker = item.get_closest_marker("aws_doc")
        url = marker.kwargs.get("url", "") if marker else ""
        if not url.startswith("https://docs.aws.amazon.com/") or not marker.kwargs.get("says"):
            undocumented.append(item.nodeid)
    if undocumented:
        raise pytest.UsageError(
            "conformance cases need @doc(<docs.aws.amazon.com URL>, says=...): "
            + ", ".join(undocumented)
        )


@pytest.fixture(scope="session")
def aws(request: pytest.FixtureRequest) -> Aws:
    endpoint = os.environ.get(ENDPOINT_ENV)
    if endpoint:
        return Aws(endpoint.rstrip("/"))
    emulator = request.getfixturevalue("trellis_emulator")
    return Aws(emulator.endpoint, emulator.region)
