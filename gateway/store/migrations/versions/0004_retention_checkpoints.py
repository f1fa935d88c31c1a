"""Retention: signed checkpoints where a purge cut the front off the hash chains.

One row per `govgate decisions purge` run: the last purged decision (seq and record hash)
and outcome, what the run removed, and an HMAC signature over all of it and the previous
row's signature (gateway/store/checkpoint.py). `verify()` starts each chain's walk at the
newest row instead of the genesis, after checking every row's signature.

Revision ID: 0004
Revises: 0003b
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_checkpoints",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("decision_seq", sa.BigInteger(), nullable=False),
        sa.Column("decision_hash", sa.String(), nullable=False),
        sa.Column("outcome_seq", sa.BigInteger(), nullable=False),
        sa.Column("outcome_hash", sa.String(), nullable=False),
        sa.Column("decisions_removed", sa.BigInteger(), nullable=False),
        sa.Column("attributes_removed", sa.BigInteger(), nullable=False),
        sa.Column("outcomes_removed", sa.BigInteger(), nullable=False),
        sa.Column("vault_removed", sa.BigInteger(), nullable=False),
        sa.Column("prev_signature", sa.String(), nullable=False),
        sa.Column("signature", sa.String(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ledger_checkpoints")
