"""Intake: report drafts, tickets, their events, the outbox, hinted chats.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.schema import BigInt

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_drafts",
        sa.Column("id", BigInt, primary_key=True),
        sa.Column("trigger_key", sa.Text, nullable=False, unique=True),
        sa.Column("chat_id", BigInt, nullable=False),
        sa.Column("user_id", BigInt, nullable=False),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("username", sa.Text),
        sa.Column("user_locale", sa.Text, nullable=False),
        sa.Column("group_chat_id", BigInt, nullable=False),
        sa.Column("private", sa.Boolean, nullable=False),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("venue_title", sa.Text),
        sa.Column("venue_address", sa.Text),
        sa.Column("location_message_id", BigInt),
        sa.Column("grid_id", sa.Text),
        sa.Column("category", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("photo_file_id", sa.Text),
        sa.Column("prompt_outbox_id", BigInt),
        sa.Column("panel_outbox_id", BigInt),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("ended_at", sa.Float),
    )
    op.create_index(
        "one_open_draft_per_person",
        "report_drafts",
        ["chat_id", "user_id"],
        unique=True,
        sqlite_where=sa.text("stage IN ('location', 'category', 'details')"),
        postgresql_where=sa.text("stage IN ('location', 'category', 'details')"),
    )
    op.create_index(
        "drafts_by_expiry",
        "report_drafts",
        ["expires_at"],
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_table(
        "tickets",
        sa.Column("id", BigInt, primary_key=True, autoincrement=True),
        sa.Column(
            "draft_id", BigInt, sa.ForeignKey("report_drafts.id"), nullable=False, unique=True
        ),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("grid_id", sa.Text, nullable=False),
        sa.Column("squad_id", sa.Text, nullable=False),
        sa.Column("latitude", sa.Float, nullable=False),
        sa.Column("longitude", sa.Float, nullable=False),
        sa.Column("venue_title", sa.Text),
        sa.Column("venue_address", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("photo_file_id", sa.Text),
        sa.Column("reporter_id", BigInt, nullable=False),
        sa.Column("reporter_name", sa.Text, nullable=False),
        sa.Column("reporter_username", sa.Text),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("group_chat_id", BigInt, nullable=False),
        sa.Column("report_message_id", BigInt),
        sa.Column("locale", sa.Text, nullable=False),
        sa.Column("card_outbox_id", BigInt),
        sa.Column("group_notice_outbox_id", BigInt),
        sa.Column("reported_at", sa.Float, nullable=False),
        sa.Column("dispatched_at", sa.Float),
        sqlite_autoincrement=True,
    )
    # Ticket numbers are what people say on the phone: start them at #1001.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('tickets', 1000)")
    else:
        op.execute("ALTER SEQUENCE tickets_id_seq START WITH 1001 RESTART WITH 1001")
    op.create_index("tickets_by_squad_status", "tickets", ["squad_id", "status"])
    op.create_index("tickets_by_reported_at", "tickets", ["reported_at"])
    op.create_table(
        "ticket_events",
        sa.Column("id", BigInt, primary_key=True),
        sa.Column("ticket_id", BigInt, sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("actor_id", BigInt),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("events_by_ticket", "ticket_events", ["ticket_id", "id"])
    op.create_table(
        "outbox",
        sa.Column("id", BigInt, primary_key=True),
        sa.Column("chat_id", BigInt, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("ticket_id", BigInt),
        sa.Column("reply_to_outbox_id", BigInt),
        sa.Column("reply_to_message_id", BigInt),
        sa.Column("target_outbox_id", BigInt),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", BigInt, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("sent_at", sa.Float),
        sa.Column("message_id", BigInt),
        sa.Column("last_error", sa.Text),
    )
    op.create_index(
        "outbox_due",
        "outbox",
        ["next_attempt_at"],
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("outbox_by_target", "outbox", ["target_outbox_id"])
    op.create_table(
        "hinted_chats",
        sa.Column("chat_id", BigInt, primary_key=True),
        sa.Column("hinted_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in ("hinted_chats", "outbox", "ticket_events", "tickets", "report_drafts"):
        op.drop_table(table)
