"""The otel extra's locked requirements are added to a traced service's once, never twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from trellis.packaging._errors import BuildError
from trellis.packaging._extras import merge_requirements, requirement_names, with_extra

SERVICE = """boto3==1.44.8 \\
    --hash=sha256:aaa \\
    --hash=sha256:bbb
opentelemetry-api==1.45.2 \\
    --hash=sha256:ccc
typing-extensions==4.16.0 ; python_full_version < '3.13' \\
    --hash=sha256:ddd
"""

OTEL = """opentelemetry-api==1.45.2 \\
    --hash=sha256:ccc
opentelemetry-sdk==1.45.2 \\
    --hash=sha256:eee
typing_extensions==4.16.0 ; python_full_version < '3.13' \\
    --hash=sha256:ddd
wrapt==2.5.2 \\
    --hash=sha256:fff \\
    --hash=sha256:ggg
"""


def test_merging_adds_the_missing_requirements_with_all_their_hash_lines() -> None:
    merged = merge_requirements(SERVICE, OTEL)
    assert requirement_names(merged) == {
        "boto3",
        "opentelemetry-api",
        "typing-extensions",
        "opentelemetry-sdk",
        "wrapt",
    }
    assert merged.count("opentelemetry-api==") == 1
    assert merged.count("typing") == 1  # typing_extensions is typing-extensions
    assert "wrapt==2.5.2 \\\n    --hash=sha256:fff \\\n    --hash=sha256:ggg\n" in merged
    assert merged.startswith(SERVICE)


def test_a_service_that_depends_on_trellis_otel_itself_is_left_as_it_is(tmp_path: Path) -> None:
    mine = merge_requirements(SERVICE, OTEL)
    out = with_extra(
        "uv-is-not-run", tmp_path, "api", mine, trellis_in_workspace=False, scratch=tmp_path
    )
    assert out == mine


def test_trellis_from_an_index_without_the_extra_is_a_build_error_saying_what_to_add(
    tmp_path: Path,
) -> None:
    with pytest.raises(BuildError, match=r"services\.api: tracing = true .* trellis\[otel\]"):
        with_extra("uv", tmp_path, "api", SERVICE, trellis_in_workspace=False, scratch=tmp_path)


def test_a_line_that_is_no_requirement_is_refused() -> None:
    with pytest.raises(BuildError, match="cannot read"):
        requirement_names("-e ./backend/api\n")
