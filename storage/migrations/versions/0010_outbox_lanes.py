"""Delivery lanes: each outbox item has a priority, and each chat's pending items and recent
sends are found by index.

Every existing row keeps its place: old items take the ordinary priority (1).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.schema import BigInt

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("priority", BigInt, nullable=False, server_default="1"))
    op.create_index(
        "outbox_pending_by_chat",
        "outbox",
        ["chat_id", "priority", "id"],
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("outbox_sent_by_chat", "outbox", ["chat_id", "sent_at"])


def downgrade() -> None:
    op.drop_index("outbox_sent_by_chat", "outbox")
    op.drop_index("outbox_pending_by_chat", "outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("priority")
