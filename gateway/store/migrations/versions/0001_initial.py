"""Initial schema: callers, keys, decision ledger, chain head, vault, policy activations.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callers",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(), primary_key=True),
        sa.Column("caller_id", sa.String(), sa.ForeignKey("callers.id"), nullable=False),
        sa.Column("key_hash", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_api_keys_caller_id", "api_keys", ["caller_id"])
    op.create_index("ix_api_keys_key_hash", "api_keys", ["key_hash"], unique=True)
    op.create_table(
        "decisions",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("decision_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("caller", sa.String(), nullable=True),
        sa.Column("purpose", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("policy_version", sa.String(), nullable=True),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("record_hash", sa.String(), nullable=False),
    )
    op.create_index("ix_decisions_decision_id", "decisions", ["decision_id"], unique=True)
    op.create_index("ix_decisions_created_at", "decisions", ["created_at"])
    op.create_index("ix_decisions_caller", "decisions", ["caller"])
    op.create_index("ix_decisions_policy_version", "decisions", ["policy_version"])
    op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("record_hash", sa.String(), nullable=False),
    )
    op.execute("INSERT INTO chain_head (id, seq, record_hash) VALUES (1, 0, '" + "0" * 64 + "')")
    op.create_table(
        "vault_entries",
        sa.Column("conversation_key", sa.String(), primary_key=True),
        sa.Column("token", sa.String(), primary_key=True),
        sa.Column("value_digest", sa.String(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_vault_entries_value_digest", "vault_entries", ["value_digest"])
    op.create_index("ix_vault_entries_expires_at", "vault_entries", ["expires_at"])
    op.create_table(
        "policy_activations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("bundle_hash", sa.String(), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
    )
    op.create_index("ix_policy_activations_bundle_hash", "policy_activations", ["bundle_hash"])


def downgrade() -> None:
    for table in ("policy_activations", "vault_entries", "chain_head", "decisions", "api_keys", "callers"):
        op.drop_table(table)
