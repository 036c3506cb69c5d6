"""Officer workflow: claim, on site, resolution, confirmation, rework.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.schema import BigInt

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def columns() -> list[sa.Column]:  # type: ignore[type-arg]
    """Fresh column objects (a Column belongs to one table once added)."""
    return [
        sa.Column("claimed_at", sa.Float),
        sa.Column("claimed_by", BigInt),
        sa.Column("claimed_by_name", sa.Text),
        sa.Column("on_site_at", sa.Float),
        sa.Column("on_site_distance_m", sa.Float),
        sa.Column("on_site_far", sa.Boolean),
        sa.Column("resolved_at", sa.Float),
        sa.Column("resolved_by", BigInt),
        sa.Column("outcome_class", sa.Text),
        sa.Column("outcome_action", sa.Text),
        sa.Column("outcome_note", sa.Text),
        sa.Column("outcome_photo", sa.Text),
        sa.Column("closed_at", sa.Float),
        sa.Column("close_reason", sa.Text),
        sa.Column("rework_count", BigInt, nullable=False, server_default="0"),
        sa.Column("rating", BigInt),
        sa.Column("confirm_deadline", sa.Float),
        sa.Column("progress_outbox_id", BigInt),
        sa.Column("resolution_outbox_id", BigInt),
        sa.Column("confirm_outbox_id", BigInt),
        sa.Column("resolve_stage", sa.Text),
        sa.Column("resolve_class", sa.Text),
        sa.Column("resolve_action", sa.Text),
        sa.Column("resolve_prompt_outbox_id", BigInt),
    ]


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for column in columns():
            batch.add_column(column)
    op.create_index("tickets_by_claimer", "tickets", ["claimed_by", "status"])
    op.create_index(
        "tickets_awaiting_confirmation",
        "tickets",
        ["confirm_deadline"],
        sqlite_where=sa.text("status = 'resolved'"),
        postgresql_where=sa.text("status = 'resolved'"),
    )


def downgrade() -> None:
    op.drop_index("tickets_awaiting_confirmation", "tickets")
    op.drop_index("tickets_by_claimer", "tickets")
    with op.batch_alter_table("tickets") as batch:
        for column in reversed(columns()):
            batch.drop_column(column.name)
