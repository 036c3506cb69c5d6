"""Where a handed-over ticket came from and why; every round's resolution photos.

``handed_from`` / ``handed_stage`` say on the new card which squad missed which deadline.
``ticket_photos`` keeps each resolution photo with its round (a rework starts a new round),
so that the reporter's "not solved" no longer erases the evidence of the round before. The
existing ``outcome_photo`` of each ticket is copied in as its current round's first photo.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.schema import BigInt

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("handed_from", sa.Text))
        batch.add_column(sa.Column("handed_stage", sa.Text))
    op.create_table(
        "ticket_photos",
        sa.Column("id", BigInt, primary_key=True),
        sa.Column("ticket_id", BigInt, sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("round", BigInt, nullable=False),
        sa.Column("file_id", sa.Text, nullable=False),
        sa.Column("officer_id", BigInt),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("photos_by_ticket", "ticket_photos", ["ticket_id", "id"])
    op.execute(
        "INSERT INTO ticket_photos (ticket_id, round, file_id, officer_id, at) "
        "SELECT id, rework_count, outcome_photo, resolved_by, COALESCE(resolved_at, reported_at) "
        "FROM tickets WHERE outcome_photo IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("photos_by_ticket", "ticket_photos")
    op.drop_table("ticket_photos")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("handed_stage")
        batch.drop_column("handed_from")
