"""First times of claim, arrival and resolution, kept through reworks for the digest.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NAMES = ("first_claimed_at", "first_on_site_at", "first_resolved_at")


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for name in NAMES:
            batch.add_column(sa.Column(name, sa.Float))
    # Tickets from before this revision: their latest times are the best first times known.
    op.execute(
        "UPDATE tickets SET first_claimed_at = claimed_at, first_on_site_at = on_site_at,"
        " first_resolved_at = resolved_at"
    )


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for name in reversed(NAMES):
            batch.drop_column(name)
