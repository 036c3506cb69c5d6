"""Several workers on one database: leases, and the inbox's updates by chat.

A lease says which worker handles a chat's updates, or sends a chat's outbox lane, until
when; a worker that dies stops renewing it and another takes over. Each kept update notes
its chat, so that updates are taken chat by chat in order. Existing inbox rows keep a NULL
chat (they are handled as before, at the next start).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.schema import BigInt

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("holder", sa.Text, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("chat_id", BigInt))
    op.create_index("inbox_by_chat", "inbox", ["chat_id", "update_id"])


def downgrade() -> None:
    op.drop_index("inbox_by_chat", "inbox")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("chat_id")
    op.drop_table("leases")
