"""Inbox: an update python-telegram-bot cannot parse is kept aside for inspection.

Such an update (from a Bot API server of another version, say) used to stop polling: it was
fetched again forever and blocked every update behind it. It is now kept, marked unreadable,
and passed over; nothing handles it again.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(
            sa.Column("unreadable", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("unreadable")
