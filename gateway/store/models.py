"""Tables. The schema itself is owned by the Alembic migrations in store/migrations/."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class Caller(SQLModel, table=True):
    __tablename__ = "callers"

    id: str = Field(primary_key=True)
    roles: list[str] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    key_id: str = Field(primary_key=True)
    caller_id: str = Field(foreign_key="callers.id", index=True)
    # sha256 of the whole key: keys are 256-bit random, so a plain digest cannot be reversed.
    key_hash: str = Field(unique=True, index=True)
    created_at: datetime
    revoked_at: datetime | None = None


class DecisionRow(SQLModel, table=True):
    """One decision record, as hashed, with the fields readers filter on copied out (the
    ledger writes both from one record; `verify()` checks they agree)."""

    __tablename__ = "decisions"
    # Looked up by value, never for NULL: indexed only where set (migration 0008), so the
    # records without them (imported, anonymous, aggregate) write no entry.
    __table_args__ = tuple(
        Index(f"ix_decisions_{name}", name, sqlite_where=text(f"{name} IS NOT NULL"),
              postgresql_where=text(f"{name} IS NOT NULL")) for name in ("caller", "purpose", "policy_version"))

    # 64-bit (migration 0002): the ledger outlives 2^31 decisions.
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    decision_id: str = Field(unique=True, index=True)
    created_at: datetime = Field(index=True)
    caller: str | None = None
    purpose: str | None = None
    kind: str = Field(index=True)
    status_code: int = Field(index=True)
    # Null: the request stopped before the policy decided (migration 0003).
    allowed: bool | None = None
    policy_version: str | None = None
    # Migration 0003; NULL on rows written before it (schema-1 records).
    region: str | None = Field(default=None, index=True)
    language: str | None = Field(default=None, index=True)
    channel: str | None = Field(default=None, index=True)
    stage: str | None = None
    source: str = Field(default="gateway", sa_column=Column(String, nullable=False, server_default="gateway",
                                                            index=True))
    # The whole DecisionRecord as JSON, exactly as hashed.
    record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    prev_hash: str
    record_hash: str


class DecisionAttribute(SQLModel, table=True):
    """A record's audit attributes (X-Customer-Attributes, as screened), one row per key, so
    a database can filter and group by them. Written with the record, in its transaction.

    No foreign key to `decisions`: only the ledger writes here, `verify()` checks these rows
    against the hashed record, and a foreign key would stop SQLite's table-rebuilding
    migrations (batch mode) of `decisions`.
    """

    __tablename__ = "decision_attributes"
    # Filter and group by attribute; the seq in the index answers "which decisions" from it alone.
    # On SQLite the rows live in the primary key's b-tree (migration 0008): one b-tree fewer per row.
    __table_args__ = (Index("ix_decision_attributes_key_value", "key", "value", "decision_seq"),
                      {"sqlite_with_rowid": False})

    decision_seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    key: str = Field(primary_key=True)
    value: str


class ChainHead(SQLModel, table=True):
    """One row: the ledger's tip. Locked while a batch joins the chain."""

    __tablename__ = "chain_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    record_hash: str


class VaultEntry(SQLModel, table=True):
    __tablename__ = "vault_entries"

    conversation_key: str = Field(primary_key=True)
    token: str = Field(primary_key=True)
    # Keyed HMAC of the value: finds the token for a value without decrypting anything.
    value_digest: str = Field(index=True)
    ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    expires_at: datetime = Field(index=True)


class PolicyActivation(SQLModel, table=True):
    __tablename__ = "policy_activations"

    id: int | None = Field(default=None, primary_key=True)
    bundle_hash: str = Field(index=True)
    activated_at: datetime
    source: str = Field(sa_column=Column(Text, nullable=False))


class OutcomeRow(SQLModel, table=True):
    """What happened after a decision, reported later; never edits the decision (migration 0003b)."""

    __tablename__ = "outcomes"
    __table_args__ = (UniqueConstraint("reported_by", "outcome_key", name="uq_outcomes_reported_by_outcome_key"),)

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    # Keyed HMAC of the client's outcome_id (callers put customer numbers in ids, too).
    outcome_key: str
    reported_by: str
    decision_id: str | None = Field(default=None, index=True)
    conversation_id: str | None = Field(default=None, index=True)
    subject_caller: str | None = None
    outcome: str
    csat: int | None = None
    occurred_at: datetime
    recorded_at: datetime
    # The whole OutcomeRecord as JSON, exactly as hashed.
    record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    prev_hash: str
    record_hash: str


class OutcomeChainHead(SQLModel, table=True):
    """One row: the outcome chain's tip (its own chain, apart from the ledger's)."""

    __tablename__ = "outcome_chain_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    record_hash: str


class LedgerCheckpoint(SQLModel, table=True):
    """One purge run: where it cut both chains, what it removed, signed (migration 0004).

    Written only by gateway/store/retention.py; `verify()` walks each chain from the newest
    row's seq and hash, after checking every row's signature (gateway/store/checkpoint.py).
    """

    __tablename__ = "ledger_checkpoints"

    # Numbered by the purge (max + 1, under the chain head's lock): the number is signed.
    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    purged_at: datetime
    before: datetime
    forced: bool
    decision_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    decision_hash: str
    outcome_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    outcome_hash: str
    decisions_removed: int = Field(sa_column=Column(BigInteger, nullable=False))
    attributes_removed: int = Field(sa_column=Column(BigInteger, nullable=False))
    outcomes_removed: int = Field(sa_column=Column(BigInteger, nullable=False))
    vault_removed: int = Field(sa_column=Column(BigInteger, nullable=False))
    prev_signature: str
    signature: str


class OpenStream(SQLModel, table=True):
    """A stream whose headers (and decision id) went out and whose record is not chained yet:
    its provisional record, PII-free like every record (migration 0005). Not part of the chain.

    Written by the ledger before the stream's headers; deleted in the transaction that chains
    its final record, or, when its owner died, the one that chains it as "interrupted".
    """

    __tablename__ = "open_streams"

    decision_id: str = Field(primary_key=True)
    owner: str = Field(index=True)  # the GatewayProcess that opened it
    opened_at: datetime
    record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class GatewayProcess(SQLModel, table=True):
    """One gateway process's liveness: its ledger writer refreshes `heartbeat_at` every few
    seconds (migration 0005). Another process's open streams whose owner's heartbeat is stale
    are orphans, and are recovered."""

    __tablename__ = "gateway_processes"

    owner: str = Field(primary_key=True)  # random per process start
    started_at: datetime
    heartbeat_at: datetime


class AuditRow(SQLModel, table=True):
    """One bias audit: asked for (queued), run by one process (running), then done or failed
    (migration 0006). Written only by gateway/store/audits.py's AuditStore."""

    __tablename__ = "audits"
    __table_args__ = (Index("ix_audits_status_seq", "status", "seq"),)

    # Keyset order for the list (newest first); ids are random.
    seq: int | None = Field(default=None, primary_key=True)
    id: str = Field(unique=True, index=True)  # aud_ + 32 hex digits
    requested_by: str  # the caller id; "scheduler" or "cli"
    trigger: str = Field(index=True)  # manual | schedule:<name> | cli
    since: datetime
    until: datetime
    parameters: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str  # queued | running | done | failed
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # Which process runs it and when it last said so: a stale heartbeat marks it interrupted.
    owner: str | None = None
    heartbeat_at: datetime | None = None
    records: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    summary: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # report.json's exact text, and its sha256 (the API checks it on every read).
    report: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    report_sha256: str | None = None
    webhook_state: str = Field(default="none")  # none | pending | delivered | failed


class AuditFileRow(SQLModel, table=True):
    """A rendered file of an audit's report (json, html, pdf), in the database so every
    replica on it serves the same files (migration 0006)."""

    __tablename__ = "audit_files"

    audit_id: str = Field(sa_column=Column(String, ForeignKey("audits.id", ondelete="CASCADE"), primary_key=True))
    format: str = Field(primary_key=True)
    media_type: str
    filename: str
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    sha256: str
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class AuditFiringRow(SQLModel, table=True):
    """One firing of a schedule, claimed by the one scheduler whose insert won the primary key:
    the lease that keeps replicas on one database from running a firing twice (migration 0006)."""

    __tablename__ = "audit_schedule_firings"

    schedule: str = Field(primary_key=True)
    fire_key: str = Field(primary_key=True)  # the firing's time, ISO 8601 in UTC to the second
    fire_time: datetime
    audit_id: str
    claimed_by: str
    claimed_at: datetime


class WebhookDeliveryRow(SQLModel, table=True):
    """One attempt to deliver an audit's webhook notification (migration 0006)."""

    __tablename__ = "webhook_deliveries"

    id: int | None = Field(default=None, primary_key=True)
    audit_id: str = Field(index=True)
    attempt: int
    attempted_at: datetime
    status_code: int | None = None
    error: str | None = None
    delivered: bool


class ConsoleUser(SQLModel, table=True):
    """A person who signs in to the console (migration 0007); never a caller with an API key.

    Written only by gateway/store/console.py. The password is kept as its argon2id hash.
    """

    __tablename__ = "console_users"

    username: str = Field(primary_key=True)
    role: str  # compliance_officer | security_admin | admin
    password_hash: str
    disabled: bool = False
    # Failed sign-ins since the last good one; at the limit the account is locked for a while.
    failed_attempts: int = 0
    locked_until: datetime | None = None
    lang: str = "en"  # the console's language, remembered per user
    created_at: datetime


class ConsoleSession(SQLModel, table=True):
    """A signed-in browser: the sha256 of its cookie (never the cookie) and its CSRF token."""

    __tablename__ = "console_sessions"

    token_hash: str = Field(primary_key=True)
    username: str = Field(foreign_key="console_users.username", index=True)
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


class ConsoleEvent(SQLModel, table=True):
    """What happened in the console: sign-ins, failures, sign-outs and every action that
    changes something (an audit run, a policy replay, a language switch). Append-only."""

    __tablename__ = "console_events"

    seq: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    username: str = Field(index=True)  # as typed at sign-in for failures (screened, see console/auth.py)
    action: str = Field(index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
