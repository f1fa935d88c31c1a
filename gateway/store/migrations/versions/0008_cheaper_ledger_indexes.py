"""Cheaper ledger indexes: the same lookups, fewer index entries written per record.

- `caller`, `purpose` and `policy_version` are indexed only where they are set (partial
  indexes, `WHERE ... IS NOT NULL`): readers look them up by value (`caller = ?`), which both
  databases answer from a partial index, and never ask for the NULLs. Imported records,
  anonymous refusals and aggregate records have none of the three: they no longer write three
  index entries each.
- On SQLite, `decision_attributes` becomes a WITHOUT ROWID table: the rows live in their
  primary key's b-tree, instead of a rowid table plus an index on (decision_seq, key) — one
  b-tree fewer per attribute row. A one-time copy of the table (PostgreSQL keeps its table:
  it has no rowid b-tree to save).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_SET_ONLY = ("caller", "purpose", "policy_version")
_ATTRIBUTES_SQLITE = ("CREATE TABLE {name} (decision_seq BIGINT NOT NULL, key VARCHAR NOT NULL, value VARCHAR NOT NULL, "
                      "PRIMARY KEY (decision_seq, key)){suffix}")


def upgrade() -> None:
    for name in _SET_ONLY:
        op.drop_index(f"ix_decisions_{name}", table_name="decisions")
        where = sa.text(f"{name} IS NOT NULL")
        op.create_index(f"ix_decisions_{name}", "decisions", [name], sqlite_where=where, postgresql_where=where)
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_attributes(" WITHOUT ROWID")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_attributes("")
    for name in _SET_ONLY:
        op.drop_index(f"ix_decisions_{name}", table_name="decisions")
        op.create_index(f"ix_decisions_{name}", "decisions", [name])


def _rebuild_attributes(suffix: str) -> None:
    op.execute(_ATTRIBUTES_SQLITE.format(name="decision_attributes_new", suffix=suffix))
    op.execute("INSERT INTO decision_attributes_new (decision_seq, key, value) "
               "SELECT decision_seq, key, value FROM decision_attributes ORDER BY decision_seq, key")
    op.drop_index("ix_decision_attributes_key_value", table_name="decision_attributes")
    op.drop_table("decision_attributes")
    op.rename_table("decision_attributes_new", "decision_attributes")
    op.create_index("ix_decision_attributes_key_value", "decision_attributes", ["key", "value", "decision_seq"])
