"""Rectification notices with a time limit, and their re-inspection (复查).

New nullable columns on tickets, a partial index for the re-inspection timer and one on
the events by kind and time (the digest counts notices and re-inspections by when they
happened): every existing row keeps its values, and has no notice and no re-inspection.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.schema import BigInt

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

COLUMNS = (
    ("resolve_limit_s", BigInt),
    ("recheck_limit_s", BigInt),
    ("recheck_round", BigInt),
    ("recheck_due_at", sa.Float),
    ("recheck_state", sa.Text),
    ("recheck_outbox_id", BigInt),
    ("rechecked_at", sa.Float),
    ("rechecked_by", BigInt),
    ("ladder_class", sa.Text),
)
PENDING = sa.text("recheck_state = 'pending'")


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind))
    op.create_index(
        "tickets_by_recheck_due",
        "tickets",
        ["recheck_due_at"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index("events_by_kind", "ticket_events", ["kind", "at"])


def downgrade() -> None:
    op.drop_index("events_by_kind", "ticket_events")
    op.drop_index("tickets_by_recheck_due", "tickets")
    with op.batch_alter_table("tickets") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
