"""The "same problem?" offer: a draft may wait on the offer to join a nearby open ticket (stage
``same``, the ticket in ``same_ticket_id``), and a ticket keeps its supporters (a table,
and their number on the ticket), when its leads were told of them, and, for a merged
duplicate, the ticket it duplicates.

Every existing row keeps its place: old drafts have no offer; the one-open-draft index is
rebuilt to count the new stage as open.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.schema import BigInt

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OPEN_BEFORE = "stage IN ('location', 'category', 'details')"
OPEN_NOW = "stage IN ('location', 'category', 'same', 'details')"


def upgrade() -> None:
    with op.batch_alter_table("report_drafts") as batch:
        batch.add_column(sa.Column("same_ticket_id", BigInt))
    op.drop_index("one_open_draft_per_person", "report_drafts")
    op.create_index(
        "one_open_draft_per_person",
        "report_drafts",
        ["chat_id", "user_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_NOW),
        postgresql_where=sa.text(OPEN_NOW),
    )
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("supporters", BigInt, nullable=False, server_default="0"))
        batch.add_column(sa.Column("support_alerted_at", sa.Float))
        batch.add_column(sa.Column("duplicate_of", BigInt))
    op.create_index("tickets_by_category_status", "tickets", ["category", "status"])
    op.create_table(
        "ticket_supporters",
        sa.Column("id", BigInt, primary_key=True),
        sa.Column("ticket_id", BigInt, sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("user_id", BigInt, nullable=False),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("private", sa.Boolean, nullable=False),
        sa.Column("group_chat_id", BigInt, nullable=False),
        sa.Column("chat_id", BigInt, nullable=False),
        sa.Column("locale", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.UniqueConstraint("ticket_id", "user_id", name="one_support_per_person"),
    )


def downgrade() -> None:
    op.drop_table("ticket_supporters")
    op.drop_index("tickets_by_category_status", "tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("duplicate_of")
        batch.drop_column("support_alerted_at")
        batch.drop_column("supporters")
    op.drop_index("one_open_draft_per_person", "report_drafts")
    op.create_index(
        "one_open_draft_per_person",
        "report_drafts",
        ["chat_id", "user_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_BEFORE),
        postgresql_where=sa.text(OPEN_BEFORE),
    )
    with op.batch_alter_table("report_drafts") as batch:
        batch.drop_column("same_ticket_id")
