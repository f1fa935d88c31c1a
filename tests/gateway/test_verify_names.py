"""`govgate decisions verify` names the first bad record after any tampering, on SQLite and
PostgreSQL: an edit (of the hashed JSON, of each query column, of the attribute rows), a
deletion, an insertion, a reordering; of decisions and of outcomes. Exit status 1, the JSON
names the record by seq and id (decision id or outcome key), and so does the text.

The walk's rules are tested on the reader in test_decision_log.py and test_ledger.py; this is
what an operator sees, for every kind of change, through the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from gateway.cli import main
from gateway.store.db import make_engine, migrate
from gateway.store.models import ChainHead, DecisionAttribute, DecisionRow, OutcomeChainHead, OutcomeRow
from gateway.store.outcomes import OutcomeStore
from tests.conftest import _postgres_database
from tests.gateway.test_decision_log import T0, _outcome
from tests.gateway.test_record_storage import record, write

DECISIONS: sa.Table = DecisionRow.__table__  # type: ignore[attr-defined]
OUTCOMES: sa.Table = OutcomeRow.__table__  # type: ignore[attr-defined]
N_DECISIONS, N_OUTCOMES = 6, 4
Tamper = Callable[[sa.Connection, sa.Table], None]


def set_columns(seq: int, **values: Any) -> Tamper:
    def tamper(connection: sa.Connection, table: sa.Table) -> None:
        connection.execute(sa.update(table).where(table.c.seq == seq).values(**values))
    return tamper


def edit_json(seq: int, key: str, value: Any) -> Tamper:
    def tamper(connection: sa.Connection, table: sa.Table) -> None:
        stored = connection.execute(sa.select(table.c.record).where(table.c.seq == seq)).scalar_one()
        connection.execute(sa.update(table).where(table.c.seq == seq).values(record={**stored, key: value}))
    return tamper


def delete(seq: int) -> Tamper:
    return lambda connection, table: connection.execute(sa.delete(table).where(table.c.seq == seq))


def swap(a: int, b: int) -> Tamper:
    def tamper(connection: sa.Connection, table: sa.Table) -> None:
        for old, new in ((a, -1), (b, a), (-1, b)):
            connection.execute(sa.update(table).where(table.c.seq == old).values(seq=new))
    return tamper


def insert(at: int, name: str) -> Tamper:
    """A forged row at `at` (the rows from there moved up one), copied from the one before it,
    linked to it, with a hash that does not fit."""
    def tamper(connection: sa.Connection, table: sa.Table) -> None:
        named = "decision_id" if table is DECISIONS else "outcome_key"
        seqs = connection.execute(sa.select(table.c.seq).where(table.c.seq >= at).order_by(table.c.seq.desc()))
        for (seq,) in list(seqs):
            connection.execute(sa.update(table).where(table.c.seq == seq).values(seq=seq + 1))
        row = dict(connection.execute(sa.select(table).where(table.c.seq == at - 1)).one()._mapping)
        stored = {**row["record"], named: name, "seq": at, "prev_hash": row["record_hash"], "record_hash": "f" * 64}
        connection.execute(sa.insert(table).values({**row, named: name, "seq": at, "record": stored,
                                                    "prev_hash": row["record_hash"], "record_hash": "f" * 64}))
    return tamper


def attributes(statement: str) -> Tamper:
    return lambda connection, table: connection.execute(sa.text(statement))


@dataclass(frozen=True)
class Case:
    name: str
    table: sa.Table
    tamper: Tamper
    seq: int
    named: int | str | None  # the seq whose record (as written) must be named, a literal id, or none
    problem: str


COLUMN_EDITS = {"caller": "another-bot", "purpose": "marketing", "kind": "embeddings", "status_code": 500,
                "allowed": False, "policy_version": "e" * 64, "region": "CN", "language": "en", "channel": "web",
                "stage": "policy", "source": "import", "created_at": T0 - timedelta(days=3)}
OUTCOME_COLUMN_EDITS = {"reported_by": "admin-2", "subject_caller": "another-bot", "outcome": "escalated", "csat": 1,
                        "decision_id": "dec_" + "e" * 32, "conversation_id": "conv-forged",
                        "occurred_at": T0 - timedelta(days=3), "recorded_at": T0 + timedelta(days=3)}

CASES = [
    Case("decision edited", DECISIONS, edit_json(3, "status_code", 403), 3, 3, "does not match its hash"),
    *(Case(f"decision column {column}", DECISIONS, set_columns(3, **{column: value}), 3, 3, "query columns")
      for column, value in COLUMN_EDITS.items()),
    Case("decision column decision_id", DECISIONS, set_columns(3, decision_id="dec_renamed"), 3, "dec_renamed",
         "query columns"),
    Case("attribute edited", DECISIONS,
         attributes("UPDATE decision_attributes SET value = 'male' WHERE decision_seq = 3 AND key = 'gender'"),
         3, 3, "attribute rows"),
    Case("attributes deleted", DECISIONS, attributes("DELETE FROM decision_attributes WHERE decision_seq = 3"),
         3, 3, "attribute rows"),
    Case("attribute added", DECISIONS,
         attributes("INSERT INTO decision_attributes (decision_seq, key, value) VALUES (3, 'segment', 'gold')"),
         3, 3, "attribute rows"),
    Case("attribute of no record", DECISIONS,
         attributes("INSERT INTO decision_attributes (decision_seq, key, value) VALUES (99, 'segment', 'gold')"),
         99, None, "no record"),
    Case("decision deleted", DECISIONS, delete(3), 4, 4, "missing"),
    Case("newest decision deleted", DECISIONS, delete(N_DECISIONS), N_DECISIONS, None, "missing"),
    Case("decision inserted", DECISIONS, insert(4, "dec_forged"), 4, "dec_forged", "does not match its hash"),
    Case("decisions reordered", DECISIONS, swap(2, 3), 2, 3, "moved"),
    Case("outcome edited", OUTCOMES, edit_json(2, "csat", 5), 2, 2, "does not match its hash"),
    *(Case(f"outcome column {column}", OUTCOMES, set_columns(2, **{column: value}), 2, 2, "query columns")
      for column, value in OUTCOME_COLUMN_EDITS.items()),
    Case("outcome deleted", OUTCOMES, delete(2), 3, 3, "missing"),
    Case("newest outcome deleted", OUTCOMES, delete(N_OUTCOMES), N_OUTCOMES, None, "missing"),
    Case("outcome inserted", OUTCOMES, insert(3, "forged-key"), 3, "forged-key", "does not match its hash"),
    Case("outcomes reordered", OUTCOMES, swap(2, 3), 2, 3, "moved"),
]


def verify(ledger: Ledger, *args: str) -> tuple[int, str]:
    url = ledger.database.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["decisions", "verify", *args],
                                env={"GOVGATE_DATABASE_URL": url, "GOVGATE_DATA_DIR": str(ledger.data_dir)})
    return result.exit_code, result.output


@dataclass(frozen=True)
class Ledger:
    database: sa.Engine
    decisions: list[str]  # decision ids by seq, from 1
    outcomes: list[str]  # outcome keys by seq, from 1
    rows: dict[str, list[dict[str, Any]]]  # every row of the chained tables, as written
    data_dir: Path  # the CLI's (its keys)


CHAINED = (DecisionRow, DecisionAttribute, OutcomeRow, ChainHead, OutcomeChainHead)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def written(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    """Six decisions (with attribute rows) and four outcomes, written once per database."""
    tmp = tmp_path_factory.mktemp(f"verify-{request.param}")
    urls = iter([f"sqlite:///{tmp / 'govgate.db'}"]) if request.param == "sqlite" else _postgres_database()
    for url in urls:
        database = make_engine(url)
        migrate(database)
        decisions = write(database, [record(i) for i in range(1, N_DECISIONS + 1)])
        store = OutcomeStore(database)
        outcomes = [store.attach(_outcome(f"key-{i}", decision_id=decisions[i].decision_id, subject="bot",
                                          csat=3)).record for i in range(N_OUTCOMES)]
        with database.connect() as connection:
            rows = {model.__tablename__: [dict(r._mapping) for r in connection.execute(sa.select(model.__table__))]
                    for model in CHAINED}
        by_seq = lambda rows, name: [getattr(r, name) for r in sorted(rows, key=lambda r: r.seq)]  # noqa: E731
        yield Ledger(database, by_seq(decisions, "decision_id"), by_seq(outcomes, "outcome_key"), rows, tmp / "data")
        database.dispose()


@pytest.fixture
def ledger(written: Ledger) -> Iterator[Ledger]:
    """The written ledger; put back as it was after each test's tampering."""
    yield written
    with written.database.begin() as connection:
        for model in CHAINED:
            connection.execute(sa.delete(model.__table__))
            connection.execute(sa.insert(model.__table__), written.rows[model.__tablename__])


def test_an_intact_ledger_verifies(ledger: Ledger) -> None:
    status, output = verify(ledger, "--json")
    assert status == 0 and json.loads(output) == {
        "ok": True, "checked": N_DECISIONS, "first_bad_seq": None, "decision_id": None, "problem": None, "checkpoints": 0,
        "outcomes": {"ok": True, "checked": N_OUTCOMES, "first_bad_seq": None, "outcome_key": None, "problem": None}}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_verify_names_the_first_bad_record(ledger: Ledger, case: Case) -> None:
    database = ledger.database
    assert verify(ledger)[0] == 0  # as written (put back after the last test)
    with database.begin() as connection:
        case.tamper(connection, case.table)
    ids = ledger.decisions if case.table is DECISIONS else ledger.outcomes
    named = ids[case.named - 1] if isinstance(case.named, int) else case.named
    status, output = verify(ledger, "--json")
    assert status == 1, output
    value = json.loads(output)
    assert value["ok"] is False
    if case.table is DECISIONS:
        chain, name_key, things = value, "decision_id", "record"
    else:
        assert (value["first_bad_seq"], value["decision_id"], value["problem"]) == (None, None, None)
        chain, name_key, things = value["outcomes"], "outcome_key", "outcome"
    assert (chain["ok"], chain["first_bad_seq"], chain[name_key]) == (False, case.seq, named), chain
    assert case.problem in chain["problem"]
    status, text = verify(ledger)
    assert status == 1
    line = next(line for line in text.splitlines() if "BROKEN" in line)
    assert f"BROKEN at {things} {case.seq}" in line and (named is None or f"({named})" in line), line
