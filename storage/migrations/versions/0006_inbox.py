"""Inbox: updates fetched from Telegram, kept from the fetch until they have been handled.

Also an index to recognise a location message that a report already used (a replayed update).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.schema import BigInt

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("update_id", BigInt, primary_key=True, autoincrement=False),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
    )
    op.create_index(
        "drafts_by_location_message", "report_drafts", ["chat_id", "location_message_id"]
    )


def downgrade() -> None:
    op.drop_index("drafts_by_location_message", "report_drafts")
    op.drop_table("inbox")
