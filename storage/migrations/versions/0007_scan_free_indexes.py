"""Indexes for queries that read whole tables as they grew.

The outbox keeps every message sent, so finding the pending ones in id order, and a message
by its chat and id, must not read it all; nor must finding the ticket of a card or of a
resolution prompt read every ticket.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INDEXES = (
    ("outbox_by_status", "outbox", ["status", "id"]),
    ("outbox_by_message", "outbox", ["chat_id", "message_id"]),
    ("tickets_by_card", "tickets", ["card_outbox_id"]),
    ("tickets_by_resolve_prompt", "tickets", ["resolve_prompt_outbox_id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table)
