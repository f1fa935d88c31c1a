"""Outcomes: their own hash-chained table beside the ledger, its chain head, and an index that
finds a conversation's decisions by the keyed HMAC the record holds (no new decisions column:
an expression index on the stored JSON, written exactly as gateway.store.decision_log queries it).

Revision ID: 0003b
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003b"
down_revision = "0003"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64
# The same text decision_log.record_text() renders: an expression index is used only when the
# query's expression is the index's.
CONVERSATION_EXPRESSION = {
    "sqlite": "json_extract(record, '$.conversation_id')",
    "postgresql": "(record ->> 'conversation_id')",
}


def upgrade() -> None:
    op.create_table(
        "outcomes",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("outcome_key", sa.String(), nullable=False),
        sa.Column("reported_by", sa.String(), nullable=False),
        sa.Column("decision_id", sa.String(), nullable=True),
        sa.Column("conversation_id", sa.String(), nullable=True),
        sa.Column("subject_caller", sa.String(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("record_hash", sa.String(), nullable=False),
        sa.UniqueConstraint("reported_by", "outcome_key", name="uq_outcomes_reported_by_outcome_key"),
    )
    op.create_index("ix_outcomes_decision_id", "outcomes", ["decision_id"])
    op.create_index("ix_outcomes_conversation_id", "outcomes", ["conversation_id"])
    op.create_table(
        "outcome_chain_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("record_hash", sa.String(), nullable=False),
    )
    op.execute(f"INSERT INTO outcome_chain_head (id, seq, record_hash) VALUES (1, 0, '{GENESIS_HASH}')")
    expression = CONVERSATION_EXPRESSION[op.get_bind().dialect.name]
    op.execute(f"CREATE INDEX ix_decisions_conversation_id ON decisions ({expression})")


def downgrade() -> None:
    op.execute("DROP INDEX ix_decisions_conversation_id")
    op.drop_table("outcome_chain_head")
    op.drop_index("ix_outcomes_conversation_id", "outcomes")
    op.drop_index("ix_outcomes_decision_id", "outcomes")
    op.drop_table("outcomes")
