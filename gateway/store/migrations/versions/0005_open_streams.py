"""The open-stream journal: a stream's provisional record, committed before its headers (and
its X-Decision-Id) go out, deleted in the transaction that chains its final record; and each
gateway process's heartbeat, by which another process knows a journal row's owner is dead and
turns the row into an "interrupted" record (gateway/store/ledger.py; docs/decision-record.md,
"Durability"). Neither table is part of the hash chain.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "open_streams",
        sa.Column("decision_id", sa.String(), primary_key=True),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
    )
    op.create_index("ix_open_streams_owner", "open_streams", ["owner"])
    op.create_table(
        "gateway_processes",
        sa.Column("owner", sa.String(), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("gateway_processes")
    op.drop_table("open_streams")
