"""Database engine and schema migrations (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

from gateway.config import DEFAULT_DATABASE_BUSY_TIMEOUT_S

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def make_engine(url: str, *, busy_timeout_s: float = DEFAULT_DATABASE_BUSY_TIMEOUT_S) -> Engine:
    """`busy_timeout_s` bounds how long a statement waits for a lock another connection holds
    (SQLite's busy timeout, PostgreSQL's lock_timeout): then it fails, and the ledger fails
    its requests closed instead of holding them."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_timeout_s})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    lock_timeout_ms = max(1, round(busy_timeout_s * 1000))
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5,
                         connect_args={"options": f"-c lock_timeout={lock_timeout_ms}"})


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets readers (API, auth) proceed while the ledger writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
