"""Guidance to a designated vending point: the officer's choice while resolving, and the
point (and its distance from the reported place) kept with the resolution.

Every existing row keeps its values; the new columns are empty for them.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("resolve_point", sa.Text))
        batch.add_column(sa.Column("outcome_point", sa.Text))
        batch.add_column(sa.Column("outcome_point_m", sa.Float))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("outcome_point_m")
        batch.drop_column("outcome_point")
        batch.drop_column("resolve_point")
