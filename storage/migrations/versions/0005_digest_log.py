"""Digest log (which day's digest went to which chat, posted once) and an index for it.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.schema import BigInt

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_log",
        sa.Column("day", sa.Text, primary_key=True),
        sa.Column("chat_id", BigInt, primary_key=True),
        sa.Column("posted_at", sa.Float, nullable=False),
    )
    # "Still open at midnight" reads open tickets (closed_at NULL) and those closed later.
    op.create_index("tickets_by_closed_at", "tickets", ["closed_at"])
    # The per-person report limit counts a reporter's recent tickets.
    op.create_index("tickets_by_reporter", "tickets", ["reporter_id", "reported_at"])


def downgrade() -> None:
    op.drop_index("tickets_by_reporter", "tickets")
    op.drop_index("tickets_by_closed_at", "tickets")
    op.drop_table("digest_log")
