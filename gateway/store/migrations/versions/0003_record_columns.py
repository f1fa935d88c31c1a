"""Decision record schema 2: query columns for what readers filter on, and audit attributes
in a child table a database can filter and group by.

- decisions.allowed becomes nullable: null when the request stopped before the policy decided.
- new columns region, language, channel, stage, source (default "gateway"); rows written
  before this migration keep NULL there (their JSON is schema 1, and is never rewritten).
- indexes on the columns readers filter on (purpose, kind, status_code, region, language,
  channel, source; created_at, caller and policy_version have theirs). `allowed` and `stage`
  have a handful of values each: an index would not narrow a time window, so they have none.
- decision_attributes(decision_seq, key, value), one row per audit attribute, indexed on
  (key, value, decision_seq).

On SQLite, making `allowed` nullable rebuilds the decisions table (batch mode): one copy of
the ledger, once. PostgreSQL alters it in place.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_NEW_COLUMNS = ("region", "language", "channel", "stage")
_INDEXED = ("purpose", "kind", "status_code", "region", "language", "channel", "source")


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.alter_column("allowed", existing_type=sa.Boolean(), nullable=True)
        for name in _NEW_COLUMNS:
            batch.add_column(sa.Column(name, sa.String(), nullable=True))
        batch.add_column(sa.Column("source", sa.String(), nullable=False, server_default="gateway"))
    for name in _INDEXED:
        op.create_index(f"ix_decisions_{name}", "decisions", [name])
    op.create_table(
        "decision_attributes",
        sa.Column("decision_seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("value", sa.String(), nullable=False),
    )
    op.create_index("ix_decision_attributes_key_value", "decision_attributes", ["key", "value", "decision_seq"])


def downgrade() -> None:
    # Schema-1 code cannot read a record whose `allowed` is null: refuse rather than
    # rewrite the column apart from the hashed record (verify() would then fail).
    nulls = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM decisions WHERE allowed IS NULL")).scalar()
    if nulls:
        raise RuntimeError(f"{nulls} decisions have allowed = NULL (schema 2): cannot downgrade below 0003")
    op.drop_table("decision_attributes")
    for name in _INDEXED:
        op.drop_index(f"ix_decisions_{name}", table_name="decisions")
    with op.batch_alter_table("decisions") as batch:
        for name in (*_NEW_COLUMNS, "source"):
            batch.drop_column(name)
        batch.alter_column("allowed", existing_type=sa.Boolean(), nullable=False)
