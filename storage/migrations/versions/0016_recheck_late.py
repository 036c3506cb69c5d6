"""A re-inspection card left unpressed past its window: when the card went out, and when
the squad's leads were told.

Two nullable columns and a partial index for the timer; every existing row stays as it is
(a card already out counts from its limit).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

WAITING = "recheck_state = 'due'"


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("recheck_card_at", sa.Float))
        batch.add_column(sa.Column("recheck_late_told_at", sa.Float))
    op.execute(f"UPDATE tickets SET recheck_card_at = recheck_due_at WHERE {WAITING}")
    op.create_index(
        "tickets_by_recheck_waiting",
        "tickets",
        ["recheck_card_at"],
        sqlite_where=sa.text(WAITING),
        postgresql_where=sa.text(WAITING),
    )


def downgrade() -> None:
    op.drop_index("tickets_by_recheck_waiting", "tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("recheck_late_told_at")
        batch.drop_column("recheck_card_at")
