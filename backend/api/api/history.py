"""The audit trail of user changes, in PostgreSQL: one row per change, never updated.

A change and its history row are written in the same request: the route opens
the audit transaction *before* it changes the user (a database that is down
refuses the request with 503 before anything changed), records the row after
the DynamoDB write succeeded, and commits last. A write DynamoDB refused rolls
the row back. What stays possible: the commit itself failing after DynamoDB
accepted the change (the database dying in between) — the change then has no row.

Schema (``migrations/versions/0001_user_history.py``)::

    user_history(id bigserial, user_id text, version int, action text,
                 changes jsonb, actor text, at timestamptz)
    index (user_id, id)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal, Protocol

from trellis.runtime import NotFound
from trellis.runtime.tables import InvalidCursor

Action = Literal["created", "updated", "deleted"]
#: The manifest's database of the audit trail.
DATABASE: Final = "audit"


@dataclass(frozen=True)
class Entry:
    """One recorded change of a user."""

    id: int
    user_id: str
    version: int
    action: Action
    changes: dict[str, Any]
    actor: str
    at: datetime


class Recorder(Protocol):
    """Records the changes of one request, in its transaction."""

    def record(
        self, user_id: str, version: int, action: Action, changes: dict[str, Any]
    ) -> None: ...


class History(Protocol):
    """What the routes need from the audit trail (PostgreSQL, or a fake in tests)."""

    def change(self, actor: str) -> AbstractContextManager[Recorder]: ...
    def list(self, user_id: str, limit: int, after: int | None) -> list[Entry]: ...


class _SqlRecorder:
    def __init__(self, connection: Any, actor: str) -> None:
        self._connection = connection
        self._actor = actor

    def record(self, user_id: str, version: int, action: Action, changes: dict[str, Any]) -> None:
        self._connection.execute(
            "INSERT INTO user_history (user_id, version, action, changes, actor, at)"
            " VALUES (%s, %s, %s, %s::jsonb, %s, %s)",
            (user_id, version, action, json.dumps(changes), self._actor, datetime.now(UTC)),
        )


class HistoryStore:
    """The ``user_history`` table of the ``audit`` database, through the runtime's pool."""

    def __init__(self, database: str = DATABASE) -> None:
        self._database = database

    @contextmanager
    def change(self, actor: str) -> Iterator[Recorder]:
        """A transaction for the changes of one request: committed when the block succeeds."""
        # Imported here: a cold start that serves /health or the files routes loads no driver.
        from trellis.runtime.database import connection

        with connection(self._database) as conn:
            yield _SqlRecorder(conn, actor)

    def list(self, user_id: str, limit: int, after: int | None) -> list[Entry]:
        """Up to ``limit`` changes of the user, oldest first, after the entry id ``after``."""
        from trellis.runtime.database import connection

        with connection(self._database) as conn:
            rows = conn.execute(
                "SELECT id, user_id, version, action, changes, actor, at FROM user_history"
                " WHERE user_id = %s AND id > %s ORDER BY id LIMIT %s",
                (user_id, after or 0, limit),
            ).fetchall()
        return [Entry(*row) for row in rows]


class HistoryNotKept(NotFound):
    default_message = "this deployment keeps no user history (the api has no audit database)"


class _Dropped:
    def record(self, user_id: str, version: int, action: Action, changes: dict[str, Any]) -> None:
        return None


class NoHistory:
    """The trail of an api without an audit database: changes go unrecorded.

    The app then serves no history route; ``list`` answers 404 for callers that ask anyway.
    """

    @contextmanager
    def change(self, actor: str) -> Iterator[Recorder]:
        yield _Dropped()

    def list(self, user_id: str, limit: int, after: int | None) -> list[Entry]:
        raise HistoryNotKept()


def parse_cursor(cursor: str | None) -> int | None:
    """The entry id a history page continues after (its cursor is that id, as text)."""
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise InvalidCursor()
    return int(cursor)
