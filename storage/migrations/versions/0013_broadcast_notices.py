"""Broadcast notices: a lead's notice as it is composed and sent, each person's "got it",
and the grid-group members the bot has seen (so a lead can see who has not pressed).

New tables only: every existing row stays as it is.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.schema import BigInt

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", BigInt, primary_key=True),
        sa.Column("lead_id", BigInt, nullable=False),
        sa.Column("chat_id", BigInt, nullable=False),
        sa.Column("locale", sa.Text, nullable=False),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("body", sa.Text),
        sa.Column("photo_file_id", sa.Text),
        sa.Column("targets", sa.Text, nullable=False, server_default=""),
        sa.Column("picker_outbox_id", BigInt),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("sent_at", sa.Float),
        sa.Column("reminded_at", sa.Float),
    )
    op.create_index("broadcasts_by_lead", "broadcasts", ["lead_id", "chat_id", "stage"])
    op.create_table(
        "broadcast_acks",
        sa.Column("broadcast_id", BigInt, primary_key=True),
        sa.Column("user_id", BigInt, primary_key=True),
        sa.Column("chat_id", BigInt, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_table(
        "group_members",
        sa.Column("chat_id", BigInt, primary_key=True),
        sa.Column("user_id", BigInt, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("group_members")
    op.drop_table("broadcast_acks")
    op.drop_index("broadcasts_by_lead", "broadcasts")
    op.drop_table("broadcasts")
