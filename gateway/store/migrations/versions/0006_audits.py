"""Bias audits as stored runs: `audits` (who asked, the window and parameters, the status,
the report's JSON and its sha256), `audit_files` (the rendered report files, in the database
so every replica serves them), `audit_schedule_firings` (one row per firing of a schedule: its
primary key is the lease that runs a firing once across replicas) and `webhook_deliveries`
(every attempt to notify a webhook). docs/operations.md, "Audits: API, schedule, webhook".

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audits",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("requested_by", sa.String(), nullable=False),
        sa.Column("trigger", sa.String(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("records", sa.BigInteger(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("report_sha256", sa.String(), nullable=True),
        sa.Column("webhook_state", sa.String(), nullable=False, server_default="none"),
    )
    op.create_index("ix_audits_id", "audits", ["id"], unique=True)
    op.create_index("ix_audits_trigger", "audits", ["trigger"])
    op.create_index("ix_audits_status_seq", "audits", ["status", "seq"])
    op.create_table(
        "audit_files",
        sa.Column("audit_id", sa.String(), sa.ForeignKey("audits.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("format", sa.String(), primary_key=True),
        sa.Column("media_type", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "audit_schedule_firings",
        sa.Column("schedule", sa.String(), primary_key=True),
        sa.Column("fire_key", sa.String(), primary_key=True),
        sa.Column("fire_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audit_id", sa.String(), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("audit_id", sa.String(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("delivered", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_webhook_deliveries_audit_id", "webhook_deliveries", ["audit_id"])


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("audit_schedule_firings")
    op.drop_table("audit_files")
    op.drop_table("audits")
