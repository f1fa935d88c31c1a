"""Ledger sequence numbers as 64-bit integers: a 32-bit seq runs out after 2^31 decisions
(about 25 days at 1,000 requests a second). SQLite's INTEGER is 64-bit already.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column("decisions", "seq", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)
    op.alter_column("chain_head", "seq", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column("chain_head", "seq", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
    op.alter_column("decisions", "seq", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
