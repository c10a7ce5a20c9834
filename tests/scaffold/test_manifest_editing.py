"""Editing trellis.toml keeps the user's comments, order and layout."""

from __future__ import annotations

import difflib

import pytest

from trellis.manifest import load_manifest_text
from trellis.scaffold import ScaffoldError
from trellis.scaffold._manifest_edit import ManifestEditor

# A manifest written by hand: comments above, beside and between tables, an inline table
# with a comment, tables of one section apart from each other.
EXAMPLE = """\
# The example stack: one manifest, everything else is derived from it.

[project]
name = "acme"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev", "test", "prod"]

[services.api]
runtime = "lambda"
route = "/api"
auth = "none"
timeout_s = 15
uses = { users = "readwrite", files = "readwrite", uploads = "readwrite", jobs = "send" }

[services.worker]
runtime = "lambda"
route = "/worker"
auth = "none"
uses = { jobs = ["consume", "send"], files = "readwrite", uploads = "read" }

[queues.jobs]
visibility_timeout_s = 180   # >= 6 x the worker's timeout
max_receive_count = 3

[tables.users]
hash_key = "user_id"
# Sparse listing index: only user items carry list_pk.
indexes = { by_created = { hash_key = "list_pk", range_key = "list_sk" } }

[tables.files]
hash_key = "file_id"

[buckets.uploads]
versioning = true
# Object-created events reach the worker through the jobs queue.
notifications = [{ queue = "jobs", prefix = "uploads/" }]
"""


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line.rstrip("\n")
        for line in difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_adding_a_queue_and_a_use_changes_only_those_lines_and_keeps_every_comment() -> None:
    editor = ManifestEditor(EXAMPLE)
    editor.add_table("queues", "orders", {"visibility_timeout_s": 180, "fifo": None})
    editor.grant("api", "orders", "send")
    after = editor.text()
    assert changed_lines(EXAMPLE, after) == [
        '-uses = { users = "readwrite", files = "readwrite", uploads = "readwrite", jobs = "send" }',
        '+uses = { users = "readwrite", files = "readwrite", uploads = "readwrite", jobs = "send", orders = "send" }',
        "+",
        "+[queues.orders]",
        "+visibility_timeout_s = 180",
    ]
    for line in EXAMPLE.splitlines():
        if line.lstrip().startswith("#") or "#" in line:
            assert line in after.splitlines()
    # The new queue sits after the last queue, before the tables.
    assert after.index("[queues.orders]") < after.index("[tables.users]")
    load_manifest_text(after)


def test_a_new_section_goes_at_the_end_after_one_blank_line() -> None:
    editor = ManifestEditor(EXAMPLE)
    editor.add_table("topics", "events", {"fifo": False})
    assert editor.text() == EXAMPLE + "\n[topics.events]\nfifo = false\n"


def test_removing_what_was_added_gives_back_the_file_byte_for_byte() -> None:
    editor = ManifestEditor(EXAMPLE)
    editor.add_table(
        "services",
        "billing",
        {"runtime": "lambda", "route": "/billing", "auth": "none", "uses": {}},
    )
    editor.add_table("queues", "invoices", {"visibility_timeout_s": 180})
    editor.add_table("secrets", "stripe", {"description": "API key"})
    editor.grant("billing", "invoices", "consume")
    editor.grant("worker", "invoices", "send")
    again = ManifestEditor(editor.text())
    again.revoke("worker", "invoices")
    again.remove_table("secrets", "stripe")
    again.remove_table("queues", "invoices")
    again.remove_table("services", "billing")
    assert again.text() == EXAMPLE


def test_a_second_level_on_the_same_resource_becomes_a_list() -> None:
    editor = ManifestEditor(EXAMPLE)
    editor.grant("api", "jobs", "consume")
    assert 'jobs = ["send", "consume"]' in editor.text()
    editor.grant("api", "jobs", "consume")
    assert editor.text().count('jobs = ["send", "consume"]') == 1


def test_a_comment_after_uses_is_kept() -> None:
    text = EXAMPLE.replace('jobs = "send" }', 'jobs = "send" }  # what the api touches')
    editor = ManifestEditor(text)
    editor.grant("api", "orders", "send")
    assert '"send", orders = "send" } # what the api touches' in editor.text().replace("  #", " #")


def test_validation_names_the_key_of_the_mistake() -> None:
    editor = ManifestEditor(EXAMPLE)
    editor.grant("api", "nowhere", "send")
    with pytest.raises(ScaffoldError, match=r"services\.api\.uses\.nowhere: unknown resource"):
        editor.validate()


def test_invalid_toml_is_a_scaffold_error() -> None:
    with pytest.raises(ScaffoldError, match="not valid TOML"):
        ManifestEditor("[project\n")
