"""settings.py and consumers.py are edited in place, only where needed, idempotently."""

from __future__ import annotations

import pytest

from trellis.scaffold import ScaffoldError
from trellis.scaffold._edits import (
    add_queue_handler,
    add_settings_field,
    consumers_header,
    remove_queue_handler,
    remove_settings_field,
)

SETTINGS = '''"""Settings."""

from trellis.runtime import ServiceSettings


class Settings(ServiceSettings):
    """The resources."""
'''

SETTINGS_WITH_FIELDS = """from pydantic import Field

from trellis.runtime import ServiceSettings


class Settings(ServiceSettings):
    users_table_name: str
    limit: int = Field(default=3)


class Other:
    pass
"""


def test_a_field_goes_after_the_docstring_with_a_blank_line() -> None:
    out = add_settings_field(SETTINGS, "jobs_queue_url", "settings.py")
    assert out.endswith('    """The resources."""\n\n    jobs_queue_url: str\n')
    assert add_settings_field(out, "jobs_queue_url", "settings.py") == out


def test_a_field_goes_after_the_last_field_and_is_removed_cleanly() -> None:
    out = add_settings_field(SETTINGS_WITH_FIELDS, "jobs_queue_url", "settings.py")
    assert "    limit: int = Field(default=3)\n    jobs_queue_url: str\n\n\nclass Other:" in out
    assert remove_settings_field(out, "jobs_queue_url", "settings.py") == SETTINGS_WITH_FIELDS


def test_removing_the_only_field_restores_the_generated_file() -> None:
    out = add_settings_field(SETTINGS, "jobs_queue_url", "settings.py")
    assert remove_settings_field(out, "jobs_queue_url", "settings.py") == SETTINGS
    assert remove_settings_field(SETTINGS, "absent", "settings.py") == SETTINGS


def test_a_file_without_a_settings_class_is_refused() -> None:
    with pytest.raises(ScaffoldError, match="no `class Settings"):
        add_settings_field("x = 1\n", "jobs_queue_url", "svc/settings.py")
    with pytest.raises(ScaffoldError, match="not valid Python"):
        add_settings_field("class Settings(:\n", "jobs_queue_url", "svc/settings.py")


def test_queue_handlers_are_added_once_and_removed_while_untouched() -> None:
    text = add_queue_handler(None, "worker", "jobs", "consumers.py")
    assert text.startswith(consumers_header("worker"))
    assert "def handle_jobs(" in text
    assert add_queue_handler(text, "worker", "jobs", "consumers.py") == text
    both = add_queue_handler(text, "worker", "audit-log", "consumers.py")
    assert "def handle_audit_log(" in both
    without, kept = remove_queue_handler(both, "worker", "audit-log", "consumers.py")
    assert (without, kept) == (text, False)
    assert remove_queue_handler(text, "worker", "jobs", "consumers.py") == (None, False)


def test_a_hand_edited_handler_is_kept() -> None:
    text = add_queue_handler(None, "worker", "jobs", "consumers.py")
    edited = text.replace('log.info("message.received"', 'print("mine")\n    log.info("x"')
    out, kept = remove_queue_handler(edited, "worker", "jobs", "consumers.py")
    assert kept
    assert out == edited
