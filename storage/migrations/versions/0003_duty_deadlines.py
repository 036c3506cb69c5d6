"""Duty rosters and deadlines: manual clock-in states, escalation state on tickets.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.schema import BigInt

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def columns() -> list[sa.Column]:  # type: ignore[type-arg]
    """Fresh column objects (a Column belongs to one table once added)."""
    return [
        sa.Column("home_squad_id", sa.Text),
        sa.Column("duty_mentions", sa.Text),
        sa.Column("overdue", sa.Text),
        sa.Column("esc_stage", sa.Text),
        sa.Column("esc_step", BigInt, nullable=False, server_default="0"),
        sa.Column("esc_due_at", sa.Float),
    ]


def upgrade() -> None:
    op.create_table(
        "duty_states",
        sa.Column("user_id", BigInt, primary_key=True),
        sa.Column("on_duty", sa.Boolean, nullable=False),
        sa.Column("set_at", sa.Float, nullable=False),
        sa.Column("until", sa.Float, nullable=False),
    )
    with op.batch_alter_table("tickets") as batch:
        for column in columns():
            batch.add_column(column)
    op.execute("UPDATE tickets SET home_squad_id = squad_id")
    op.create_index(
        "tickets_by_escalation_due",
        "tickets",
        ["esc_due_at"],
        sqlite_where=sa.text("esc_due_at IS NOT NULL"),
        postgresql_where=sa.text("esc_due_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("tickets_by_escalation_due", "tickets")
    with op.batch_alter_table("tickets") as batch:
        for column in reversed(columns()):
            batch.drop_column(column.name)
    op.drop_table("duty_states")
