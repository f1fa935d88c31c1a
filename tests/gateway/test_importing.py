"""Imported interactions (govgate decisions import): CSV and JSONL rows into the ledger and the
outcome chain, on SQLite and PostgreSQL, read back through the decision log like proxied ones."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, select, text

from gateway.decision import DecisionRecord, without_defaults
from gateway.import_pass import ImportReport, import_file
from gateway.importing import COLUMNS, MAX_LINE_BYTES, ImportFileError, Problem, RowReader, rows
from gateway.keys import KeyedDigest, derive_key
from gateway.pii.detector import PiiDetector
from gateway.policy.bundle import PolicyBundle
from gateway.policy.engine import build_engine
from gateway.store.chain import CHAIN_FIELDS, canonical_json
from gateway.store.derived import attributes_of, query_columns
from gateway.store.decision_log import DecisionFilter, DecisionLog
from gateway.store.ledger import DecisionLedger
from gateway.store.models import DecisionRow
from tests.conftest import POLICY_DIR

MASTER = b"test-hmac-key"
VOCABULARY = build_engine(PolicyBundle.load(POLICY_DIR), "regorus").vocabulary()
CUSTOMER = "Customer#4711-Zoë"  # must never reach the database
CONVERSATION = "conv-4711-secret"

ROWS: list[dict[str, Any]] = [
    {"timestamp": "2026-11-02T09:00:00Z", "conversation_id": CONVERSATION, "customer_id": CUSTOMER,
     "region": "eu", "attributes": "gender=female; age_band=35-44; tier=t3", "channel": "chat", "language": "en",
     "model": "demo-chat", "message_chars": 120, "ttft_ms": 310.5, "latency_ms": 1800.25, "outcome": "resolved",
     "csat": 5, "source": "legacy-bot"},
    {"timestamp": "2026-11-02T10:00:00+02:00", "conversation_id": CONVERSATION, "customer_id": CUSTOMER,
     "region": "US", "attributes": "", "channel": "kiosk", "language": "zh", "model": "acme-llm",
     "message_chars": 0, "ttft_ms": 0, "latency_ms": 5, "outcome": "site:callback_promised", "csat": None,
     "source": "legacy-bot"},
    {"timestamp": "2026-11-02T11:00:00", "conversation_id": None, "customer_id": None, "region": None,
     "attributes": None, "channel": None, "language": None, "model": None, "message_chars": None,
     "ttft_ms": None, "latency_ms": None, "outcome": None, "csat": None, "source": "other-bot"},
]


def _reader(pii_engine: Any = None, now: datetime | None = None) -> RowReader:
    detector = PiiDetector(pii_engine, cache_size=0) if pii_engine is not None else None
    return RowReader(vocabulary=VOCABULARY, digest=KeyedDigest(derive_key(MASTER, "ledger")),
                     id_digest=KeyedDigest(derive_key(MASTER, "import-id")),
                     outcome_digest=KeyedDigest(derive_key(MASTER, "outcome-id")),
                     holds_pii=(lambda t: bool(detector.analyze(t))) if detector else (lambda t: False),
                     now=now or datetime.now(UTC))


def _csv(path: Path, rows_: list[dict[str, Any]], *, columns: tuple[str, ...] = COLUMNS,
         newline: str = "\n", bom: bool = False) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(columns)
    for row in rows_:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode())
    return path


def _jsonl(path: Path, rows_: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows_), encoding="utf-8")
    return path


def _import(path: Path, database: Engine, fmt: str = "csv", **kw: Any) -> ImportReport:
    reader = kw.pop("reader", None) or _reader()
    # In this process by default: the suite runs server threads, and forking beside them can
    # inherit a held lock. Workers are tested on their own below, and by the CLI's subprocesses.
    kw.setdefault("workers", 0)
    return import_file(path, fmt, reader=reader, engine=database, **kw)  # type: ignore[arg-type]


def _all_text(database: Engine) -> str:
    """Every table's every value, as text."""
    found = []
    with database.connect() as connection:
        for table in inspect(database).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                found.append(" ".join(str(v) for v in row))
    return "\n".join(found)


def _heads(database: Engine) -> tuple[Any, ...]:
    with database.connect() as connection:
        return (connection.execute(text("SELECT seq, record_hash FROM chain_head")).one(),
                connection.execute(text("SELECT seq, record_hash FROM outcome_chain_head")).one(),
                connection.execute(text("SELECT count(*) FROM decisions")).scalar(),
                connection.execute(text("SELECT count(*) FROM outcomes")).scalar())


# --- round trips --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_round_trip(tmp_path: Path, database: Engine, fmt: str) -> None:
    path = _csv(tmp_path / "a.csv", ROWS) if fmt == "csv" else _jsonl(tmp_path / "a.jsonl", ROWS)
    report = _import(path, database, fmt)
    assert (report.ok, report.rows, report.imported, report.present, report.outcomes) == (True, 3, 3, 0, 2)

    log = DecisionLog(database)
    records = list(log.window())
    assert [r.source for r in records] == ["imported"] * 3
    assert [r.imported.bot for r in records if r.imported] == ["legacy-bot", "legacy-bot", "other-bot"]
    first, second, third = records
    digest = KeyedDigest(derive_key(MASTER, "ledger"))
    # The same keyed HMAC the gateway stores X-Customer-Id and X-Conversation-Id as.
    assert first.customer_pseudonym == digest(CUSTOMER) and first.conversation_id == digest(CONVERSATION)
    assert first.customer_region == "EU" and first.model == "demo-chat"
    assert first.customer_attributes["gender"] == "female" and first.customer_attributes["age_band"] == "35-44"
    assert sorted(first.customer_attributes)[-1].startswith("unlisted:")  # tier: not in the policy's list
    assert (first.timings.client_ttfb, first.timings.client_total) == (310.5, 1800.25)
    assert (first.features.message_chars, first.features.language, first.features.channel) == (120, "en", "chat")
    assert first.created_at == datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert second.created_at == datetime(2026, 11, 2, 8, tzinfo=UTC)  # +02:00, stored in UTC
    assert second.features.channel.startswith("unlisted:") and second.model.startswith("unlisted:")
    assert third.created_at == datetime(2026, 11, 2, 11, tzinfo=UTC)  # no zone: UTC
    assert (third.customer_pseudonym, third.conversation_id, third.customer_attributes) == (None, None, {})
    assert all(r.stage == "completed" and r.allowed is None and r.status_code == 200 and not r.benchmark
               for r in records)
    assert log.get(first.decision_id) == first
    assert [r.decision_id for r in log.page(where=DecisionFilter(region="EU"))] == [first.decision_id]
    assert [o.outcome for o in log.outcomes_for(first.decision_id)] == ["resolved"]
    assert log.outcomes_for(first.decision_id)[0].csat == 5
    assert [o.outcome for o in log.outcomes_for(second.decision_id)] == ["site:callback_promised"]
    assert log.outcomes_for(third.decision_id) == []
    pairs = list(log.window_with_outcomes())
    assert [len(o) for _, o in pairs] == [1, 1, 0]
    assert log.verify().ok

    stored = _all_text(database)
    for raw in (CUSTOMER, CONVERSATION, "Zo\\u00eb", "4711", "kiosk", "acme-llm", "tier", "t3"):
        assert raw not in stored


def test_csv_and_jsonl_of_the_same_rows_get_the_same_ids(tmp_path: Path, database: Engine) -> None:
    assert _import(_csv(tmp_path / "a.csv", ROWS), database).imported == 3
    again = _import(_jsonl(tmp_path / "a.jsonl", ROWS), database, "jsonl")
    assert (again.imported, again.present) == (0, 3)


def test_reimport_is_a_no_op(tmp_path: Path, database: Engine) -> None:
    path = _csv(tmp_path / "a.csv", ROWS)
    _import(path, database)
    before = _heads(database)
    again = _import(path, database)
    assert (again.ok, again.imported, again.present, again.outcomes) == (True, 0, 3, 0)
    assert _heads(database) == before
    # A file that repeats a row, and one that adds to an imported one: only the new rows.
    more = {**ROWS[2], "timestamp": "2026-11-02T12:00:00Z"}
    report = _import(_csv(tmp_path / "b.csv", [ROWS[0], more, more]), database, batch_rows=1)
    assert (report.imported, report.present) == (1, 2)
    assert DecisionLog(database).verify().ok


def test_imported_and_proxied_records_share_one_chain(tmp_path: Path, database: Engine) -> None:
    async def proxied(i: int) -> None:
        ledger = DecisionLedger(database)
        await ledger.start()
        try:
            await ledger.record(DecisionRecord(decision_id=f"dec_{i:032x}", created_at=datetime.now(UTC),
                                               kind="chat", caller="bot", status_code=200))
        finally:
            await ledger.close()

    asyncio.run(proxied(1))
    _import(_csv(tmp_path / "a.csv", ROWS), database, batch_rows=2)
    asyncio.run(proxied(2))
    records = list(DecisionLog(database).window())
    assert [r.source for r in records] == ["gateway", "imported", "imported", "imported", "gateway"]
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.record_hash for a, b in zip(records, records[1:]))
    assert DecisionLog(database).verify().ok


def test_verify_names_an_edited_imported_row(tmp_path: Path, database: Engine) -> None:
    _import(_csv(tmp_path / "a.csv", ROWS), database)
    log = DecisionLog(database)
    target = list(log.window())[1]
    with database.begin() as connection:
        stored = connection.execute(select(DecisionRow.record).where(DecisionRow.seq == 2)).scalar_one()
        stored["customer_attributes"] = {"gender": "male"}
        connection.execute(DecisionRow.__table__.update().where(DecisionRow.seq == 2).values(record=stored))
    check = log.verify_decisions()
    assert (check.ok, check.first_bad_seq, check.first_bad_id) == (False, 2, target.decision_id)
    assert check.problem == "record content does not match its hash"


def test_imported_records_are_stored_without_defaults_and_read_whole(tmp_path: Path, database: Engine) -> None:
    """The stored text leaves defaults out (schema_version stays); readers get the full record;
    putting a default back into the stored text is an edit verify catches."""
    _import(_csv(tmp_path / "a.csv", ROWS), database)
    log = DecisionLog(database)
    with database.connect() as connection:
        stored = connection.execute(select(DecisionRow.record).where(DecisionRow.seq == 3)).scalar_one()
    assert stored["schema_version"] == "2" and stored["source"] == "imported"
    assert not {"caller", "policy", "route", "findings", "timings", "features", "streamed"} & set(stored)
    record = log.get(stored["decision_id"])
    assert record is not None and record.caller is None and record.findings == [] and record.timings.total == 0.0
    assert record.model_dump(mode="json")["policy"]["pipeline_mode"] == "full" and not record.benchmark
    with database.begin() as connection:
        connection.execute(DecisionRow.__table__.update().where(DecisionRow.seq == 3)
                           .values(record={**stored, "caller": None}))
    check = log.verify_decisions()
    assert (check.ok, check.first_bad_seq, check.problem) == (False, 3, "record content does not match its hash")


def test_verify_catches_an_edited_imported_outcome(tmp_path: Path, database: Engine) -> None:
    _import(_csv(tmp_path / "a.csv", ROWS), database)
    with database.begin() as connection:
        connection.execute(text("UPDATE outcomes SET outcome = 'escalated' WHERE seq = 1"))
    check = DecisionLog(database).verify()
    assert check.decisions.ok and not check.outcomes.ok and check.outcomes.first_bad_seq == 1


# --- all or nothing -----------------------------------------------------------------------


def test_one_bad_row_imports_nothing_and_names_every_bad_line(tmp_path: Path, database: Engine) -> None:
    bad_customer = "bad\x07" + CUSTOMER
    rows_ = [*ROWS, {**ROWS[0], "customer_id": bad_customer}, *ROWS, {**ROWS[0], "csat": 9, "region": "E1"}]
    before = _heads(database)
    report = _import(_csv(tmp_path / "a.csv", rows_), database)
    assert not report.ok and report.imported == 0 and report.bad_rows == 2
    assert [p.line for p in report.problems] == [5, 9]
    assert report.problems[0].reason == "customer_id: customer_id must be 1-256 printable characters"
    assert "csat must be an integer from 1 to 5" in report.problems[1].reason
    assert "region: region must be a region code" in report.problems[1].reason
    assert all(CUSTOMER not in p.reason and "E1" not in p.reason for p in report.problems)
    assert _heads(database) == before


def test_a_late_failure_rolls_everything_back(tmp_path: Path, database: Engine) -> None:
    """A database failure in the last batch leaves nothing of the earlier ones."""
    path = _csv(tmp_path / "a.csv", [{**ROWS[2], "timestamp": f"2026-11-02T11:00:{s:02d}Z"} for s in range(10)])
    before = _heads(database)
    reader = _reader()
    original = reader.canonical
    calls = [0]

    def failing(row):  # type: ignore[no-untyped-def]
        calls[0] += 1
        if calls[0] == 9:
            raise RuntimeError("boom")
        return original(row)

    reader.canonical = failing  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="boom"):
        _import(path, database, reader=reader, batch_rows=3)
    assert _heads(database) == before


# --- worker processes ----------------------------------------------------------------------


def _many(count: int) -> list[dict[str, Any]]:
    """Rows over many chunks: repeats (imported once), outcomes on some, a few customers."""
    made = [{**ROWS[n % 3], "timestamp": f"2026-11-02T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z",
             "customer_id": f"customer-{n % 17}"} for n in range(count)]
    return [*made, made[0], made[1]]


def test_workers_store_what_one_process_stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read in worker processes (chunks handed back in order) or in this one: the same rows,
    the same chain, the same records; only the outcomes' `recorded_at` (the import's time) differs."""
    from gateway import import_pass
    from gateway.store.db import make_engine, migrate

    monkeypatch.setattr(import_pass, "CHUNK_LINES", 7)  # many chunks in flight, and a batch over several
    path = _csv(tmp_path / "a.csv", _many(200))
    stored = []
    for workers in (0, 2):
        database = make_engine(f"sqlite:///{tmp_path / f'w{workers}.db'}")
        migrate(database)
        report = _import(path, database, workers=workers, batch_rows=25)
        assert (report.ok, report.rows, report.imported, report.present) == (True, 202, 200, 2)
        log = DecisionLog(database)
        assert log.verify().ok
        with database.connect() as connection:
            decisions = connection.execute(text("SELECT * FROM decisions ORDER BY seq")).all()
            attributes = connection.execute(text("SELECT * FROM decision_attributes ORDER BY decision_seq, key")).all()
        outcomes = [(o.seq, o.decision_id, o.outcome, o.csat, o.outcome_key)
                    for _, os_ in log.window_with_outcomes() for o in os_]
        stored.append((decisions, attributes, sorted(outcomes)))
        database.dispose()
    assert stored[0] == stored[1]
    assert len(stored[0][0]) == 200 and len(stored[0][2]) == 134


def test_bad_rows_in_any_chunk_are_all_named_and_nothing_is_kept(tmp_path: Path, database: Engine,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway import import_pass

    monkeypatch.setattr(import_pass, "CHUNK_LINES", 5)
    rows_ = _many(60)
    for n in (3, 31, 32, 58):  # data rows: line n + 2
        rows_[n] = {**rows_[n], "language": "xx"}
    before = _heads(database)
    progressed: list[int] = []
    report = _import(_csv(tmp_path / "a.csv", rows_), database, batch_rows=10,
                     progress=lambda phase, total: progressed.append)
    assert (report.ok, report.rows, report.imported, report.bad_rows) == (False, 62, 0, 4)
    assert [p.line for p in report.problems] == [5, 33, 34, 60]
    assert all(p.reason == "language must be en or zh (or empty)" for p in report.problems)
    assert _heads(database) == before
    assert sum(progressed) <= 63 and progressed  # the bar moved on while the rest was checked


def test_progress_counts_the_files_lines(tmp_path: Path, database: Engine) -> None:
    calls: list[tuple[str, int | None]] = []
    done: list[int] = []

    def progress(phase: str, total: int | None):  # type: ignore[no-untyped-def]
        calls.append((phase, total))
        return done.append

    report = _import(_csv(tmp_path / "a.csv", _many(30)), database, batch_rows=4, progress=progress)
    assert report.ok and calls == [("importing", 33)] and sum(done) == 33


# --- odd files ----------------------------------------------------------------------------


def test_bom_and_crlf(tmp_path: Path, database: Engine) -> None:
    report = _import(_csv(tmp_path / "a.csv", ROWS, newline="\r\n", bom=True), database)
    assert (report.ok, report.imported) == (True, 3)
    assert [r.imported.bot for r in DecisionLog(database).window() if r.imported][-1] == "other-bot"


def test_empty_files(tmp_path: Path, database: Engine) -> None:
    for name, content in (("a.csv", b""), ("b.jsonl", b""), ("c.csv", b"\xef\xbb\xbf\r\n\r\n"),
                          ("d.csv", ",".join(COLUMNS).encode() + b"\n")):
        path = tmp_path / name
        path.write_bytes(content)
        report = _import(path, database, "csv" if name.endswith("csv") else "jsonl")
        assert (report.ok, report.rows, report.imported) == (True, 0, 0)
    assert _heads(database)[2] == 0


def test_header_problems_refuse_the_file(tmp_path: Path, database: Engine) -> None:
    missing = _csv(tmp_path / "a.csv", ROWS, columns=tuple(c for c in COLUMNS if c != "timestamp"))
    with pytest.raises(ImportFileError, match="lacks the required column.*timestamp"):
        _import(missing, database)
    extra = tmp_path / "b.csv"
    extra.write_text(",".join((*COLUMNS, "ssn")) + "\n" + ",".join(["x"] * (len(COLUMNS) + 1)) + "\n")
    with pytest.raises(ImportFileError, match="column 15 of the header is not an import column") as refused:
        _import(extra, database)
    assert "ssn" not in str(refused.value)
    twice = tmp_path / "c.csv"
    twice.write_text("timestamp,source,source\n")
    with pytest.raises(ImportFileError, match="twice"):
        _import(twice, database)


def test_optional_columns_may_be_left_out(tmp_path: Path, database: Engine) -> None:
    path = tmp_path / "a.csv"
    path.write_text("source,timestamp\nbot-a,2026-11-02T11:00:00Z\n")
    assert _import(path, database).imported == 1


def test_malformed_lines(tmp_path: Path, database: Engine) -> None:
    header = ",".join(COLUMNS).encode()
    good = _csv(tmp_path / "g.csv", [ROWS[2]]).read_bytes().splitlines()[1]
    huge = b"2026-11-02T11:00:00Z," + b"x" * (MAX_LINE_BYTES + 10) + b",,,,,,,,,,,,other-bot"
    lines = [header, good, b"\xff\xfe not utf-8", good.replace(b",other-bot", b',"other-bot'), huge,
             good + b",extra", b"\x00,\x00", good]
    path = tmp_path / "a.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = _import(path, database)
    reasons = {p.line: p.reason for p in report.problems}
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert reasons[3] == "the line is not valid UTF-8"
    assert "CSV row" in reasons[4]
    assert reasons[5] == f"the line is longer than {MAX_LINE_BYTES} bytes"
    assert reasons[6] == "the line has 15 fields, the header 14"
    assert _heads(database)[2] == 0


def test_jsonl_problems(tmp_path: Path, database: Engine) -> None:
    base = {"timestamp": "2026-11-02T11:00:00Z", "source": "bot-a"}
    lines = [json.dumps(base), '{"timestamp": "2026-11-02T11:00:00Z", "source": "a", "source": "b"}',
             '{"timestamp": "2026-11-02T11:00:00Z", "source": "a", "customer_id": "\\ud800"}',
             json.dumps({**base, "ssn": "123-45-6789"}), json.dumps({**base, "outcome": "resolved", "csat": 5.0}),
             json.dumps({**base, "outcome": "resolved", "csat": True}), json.dumps({**base, "message_chars": 1.5}),
             json.dumps({**base, "customer_id": 4711}), "[1, 2]", "not json", json.dumps({**base, "csat": 3}),
             json.dumps({**base, "outcome": "resolved", "csat": "4"})]
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = _import(path, database, "jsonl")
    reasons = {p.line: p.reason for p in report.problems}
    assert sorted(reasons) == list(range(2, 12))  # line 12: csat "4" as text is read as 4
    assert "twice" in reasons[2] or "repeat" in reasons[2] or "duplicate" in reasons[2]
    assert "123-45-6789" not in reasons[4] and "ssn" not in reasons[4]
    assert "csat must be an integer from 1 to 5" in reasons[5] and "csat must be" in reasons[6]
    assert reasons[8] == "customer_id must be text" and "4711" not in reasons[8]
    assert reasons[11] == "csat needs an outcome in the same row"


def test_jsonl_objects_and_arrays_in_cells_are_named_problems(tmp_path: Path, database: Engine) -> None:
    """A JSON object or array where a column takes text is a bad row (not a crash of the
    memo keyed by the cell's value)."""
    base = {"timestamp": "2026-11-02T11:00:00Z", "source": "bot-a"}
    cells = [{"region": ["EU"]}, {"attributes": {"gender": "female"}}, {"channel": ["chat"]}, {"model": ["x"]},
             {"outcome": {"code": "resolved"}}, {"outcome": "resolved", "csat": [5]}, {"conversation_id": ["c"]}]
    path = _jsonl(tmp_path / "a.jsonl", [{**base, **cell} for cell in cells])
    report = _import(path, database, "jsonl")
    assert not report.ok and report.imported == 0
    assert [p.line for p in report.problems] == list(range(1, len(cells) + 1))
    assert report.problems[0].reason == "region must be text"
    assert report.problems[1].reason == "attributes must be text"


def test_odd_unicode(tmp_path: Path, database: Engine, pii_engine: Any) -> None:
    # Customer ids are any printable text (hashed); ids and codes are ASCII only, as the headers are.
    fine = {**ROWS[2], "customer_id": "顧客-𝔘𝔫𝔦-İ", "model": "模型-ß"}
    refused = [{**ROWS[2], "conversation_id": "conv-\u212a"},  # Kelvin sign: not folded into "k"
               {**ROWS[2], "region": "ＥＵ"}, {**ROWS[2], "source": "bot\u00a0a"},
               {**ROWS[2], "timestamp": "２０２６-11-02T11:00:00Z"},
               {**ROWS[2], "message_chars": "١٢"},  # Arabic-Indic digits
               {**ROWS[2], "attributes": "gender=fémale"},
               {**ROWS[2], "attributes": "card=4111 1111 1111 1111"}]
    report = _import(_csv(tmp_path / "a.csv", [fine, *refused]), database, reader=_reader(pii_engine))
    assert [p.line for p in report.problems] == [3, 4, 5, 6, 7, 8, 9]
    assert "personal data" in report.problems[-1].reason and "4111" not in report.problems[-1].reason
    ok = _import(_csv(tmp_path / "b.csv", [fine]), database, reader=_reader(pii_engine))
    assert ok.imported == 1
    record = next(DecisionLog(database).window())
    assert record.customer_pseudonym == KeyedDigest(derive_key(MASTER, "ledger"))("顧客-𝔘𝔫𝔦-İ")
    assert "顧客" not in _all_text(database) and "模型" not in _all_text(database)


def test_times(tmp_path: Path, database: Engine) -> None:
    now = datetime(2026, 11, 3, tzinfo=UTC)
    rows_ = [{**ROWS[2], "timestamp": t} for t in (
        "2026-11-03T00:04:00Z", "2026-11-03T00:06:00Z", "2026-11-02 23:00:00-05:00", "2026-02-30T10:00:00Z",
        "2026-11-02T10:00Z", "yesterday", "2026-11-02T10:00:00.1234567Z")]
    report = _import(_csv(tmp_path / "a.csv", rows_), database, reader=_reader(now=now))
    assert [p.line for p in report.problems] == [3, 4, 5, 6, 7, 8]  # 00:04 is within the skew allowed
    assert all(p.reason.startswith("timestamp must be an ISO 8601 time") for p in report.problems)


def test_many_bad_rows_are_counted_past_the_listed_ones(tmp_path: Path, database: Engine) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text("{}\n" * 1500)
    report = _import(path, database, "jsonl")
    assert report.bad_rows == 1500 and len(report.problems) == 1000
    assert report.problems[0].reason == ("timestamp is required: an ISO 8601 time with seconds, e.g. "
                                         "2026-12-02T10:30:00Z (no zone: UTC), not in the future; source is "
                                         "required: the bot's name: 1-64 characters of a-z 0-9 . _ -, starting "
                                         "with a letter or digit")


def test_format_detection(tmp_path: Path) -> None:
    from gateway.importing import detect_format

    assert detect_format(Path("x.CSV"), None) == "csv" and detect_format(Path("x.ndjson"), None) == "jsonl"
    assert detect_format(Path("x.txt"), "jsonl") == "jsonl"
    with pytest.raises(ImportFileError, match="--format"):
        detect_format(Path("x.txt"), None)


# --- the fast JSON is the model's JSON --------------------------------------------------------

_text = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["EU", "cn", "chat", "demo-chat", "en", "zh"]))
_number = st.one_of(st.none(), st.integers(-5, 10**10), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from(["0", "12", "1.5", "0.000001", "1e3", " 7 "]))
_row = st.fixed_dictionaries({
    "timestamp": st.one_of(st.sampled_from(["2026-11-02T11:00:00Z", "2026-11-02T11:00:00.5+05:30",
                                            "2026-11-02 11:00:00"]), st.text(max_size=25)),
    "source": st.one_of(st.sampled_from(["bot-a", "b"]), st.text(max_size=8)),
    # Marked, so a refusal can be searched for them: an id is never repeated back.
    "conversation_id": _text.map(lambda t: t if t is None else "ZQX" + t),
    "customer_id": _text.map(lambda t: t if t is None else "ZQX" + t), "region": _text,
    "attributes": st.one_of(st.none(), st.sampled_from(["gender=female", "gender=x; tier=t1", "a=b;a=c"]),
                            st.text(max_size=20)),
    "channel": _text, "language": _text, "model": _text, "message_chars": _number, "ttft_ms": _number,
    "latency_ms": _number, "outcome": st.one_of(st.none(), st.sampled_from(["resolved", "site:x_1", "nope"])),
    "csat": st.one_of(st.none(), st.integers(0, 6), st.sampled_from(["3", "5.0"]))})


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(row=_row)
def test_any_row_is_refused_cleanly_or_becomes_exactly_the_models_record(row: dict[str, Any]) -> None:
    from gateway.importing import RawRow

    reader = _reader()
    fields = {k: v for k, v in row.items() if v is not None and v != ""}
    read = reader.read(RawRow(1, fields))
    assert reader.check(RawRow(1, fields)) == (read if isinstance(read, Problem) else None)
    if isinstance(read, Problem):
        assert read.reason
        assert "ZQX" not in read.reason
        return
    canonical = reader.canonical(read)
    record = reader.record(read)
    full = record.model_dump(mode="json", exclude=CHAIN_FIELDS)
    payload = without_defaults(full)
    assert canonical == canonical_json(payload)
    assert reader.columns(read) == query_columns(payload) == query_columns(full)
    assert attributes_of(payload) == attributes_of(full) == read.attributes
    # The stored form reads back as the very record the model gives (the defaults filled in).
    assert DecisionRecord.from_stored(json.loads(canonical)) == record
    recorded_at = datetime(2026, 12, 1, 9, 30, 0, 250, tzinfo=UTC)
    outcome = reader.outcome(read, recorded_at=recorded_at)
    fields = reader.outcome_fields(read, recorded_at=recorded_at)
    assert (outcome is None) == (fields is None)
    if outcome is not None and fields is not None:
        assert fields == (outcome.model_dump(exclude=CHAIN_FIELDS),
                          canonical_json(outcome.model_dump(mode="json", exclude=CHAIN_FIELDS)))


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(batch=st.lists(_row, min_size=1, max_size=6))
def test_generated_files_import_all_or_nothing(tmp_path_factory: pytest.TempPathFactory, batch: list[dict]) -> None:
    from gateway.store.db import make_engine, migrate

    folder = tmp_path_factory.mktemp("gen")
    database = make_engine(f"sqlite:///{folder / 'g.db'}")
    migrate(database)
    path = _jsonl(folder / "a.jsonl", batch)
    report = _import(path, database, "jsonl")
    count = _heads(database)[2]
    if report.ok:
        assert count == report.imported and report.imported + report.present == len(batch)
        assert DecisionLog(database).verify().ok
    else:
        assert count == 0 and report.bad_rows >= 1
    database.dispose()


def test_rows_stream(tmp_path: Path) -> None:
    path = _csv(tmp_path / "a.csv", ROWS)
    assert [r.line for r in rows(path, "csv")] == [2, 3, 4]


# --- the command ----------------------------------------------------------------------------


def _govgate(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOVGATE_DATA_DIR": str(tmp_path / "data"), "GOVGATE_POLICY_DIR": str(POLICY_DIR)}
    env.pop("GOVGATE_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def test_cli_import(tmp_path: Path) -> None:
    good = _csv(tmp_path / "a.csv", ROWS)
    done = _govgate(tmp_path, "decisions", "import", str(good))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3 imported, 0 already present (2 outcomes)"
    assert "importing" in done.stderr  # the progress bar
    again = _govgate(tmp_path, "decisions", "import", "--quiet", "--json", str(good))
    assert json.loads(again.stdout)["already_present"] == 3 and again.stderr == ""
    bad = _jsonl(tmp_path / "b.data", [ROWS[0], {**ROWS[0], "customer_id": CUSTOMER + "\x07"}])
    refused = _govgate(tmp_path, "decisions", "import", "--format", "jsonl", "--quiet", str(bad))
    assert refused.returncode == 1
    assert "line 2: customer_id: customer_id must be 1-256 printable characters" in refused.stderr
    assert "nothing imported: 1 bad row(s) of 2" in refused.stderr and CUSTOMER not in refused.stderr
    verified = _govgate(tmp_path, "decisions", "verify")
    assert verified.returncode == 0 and "chain intact: 3 records" in verified.stdout
    assert CUSTOMER.encode() not in (tmp_path / "data" / "govgate.db").read_bytes()
    unknown = _govgate(tmp_path, "decisions", "import", str(tmp_path / "b.data"))
    assert unknown.returncode != 0 and "--format" in unknown.stderr
