"""The audit trail of user changes.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE user_history (
            id bigserial PRIMARY KEY,
            user_id text NOT NULL,
            version integer NOT NULL,
            action text NOT NULL CHECK (action IN ('created', 'updated', 'deleted')),
            changes jsonb NOT NULL DEFAULT '{}'::jsonb,
            actor text NOT NULL,
            at timestamptz NOT NULL
        )
        """
    )
    # A user's page of history is a range of this index (ids only grow).
    op.execute("CREATE INDEX user_history_by_user ON user_history (user_id, id)")


def downgrade() -> None:
    op.execute("DROP TABLE user_history")
