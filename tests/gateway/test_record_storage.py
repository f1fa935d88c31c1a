"""The record in the database, on SQLite and PostgreSQL: query columns, the audit attributes'
child table, schema-1 records written before migration 0003, and replay's choice of records."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from gateway.decision import DecisionRecord, Features, PolicyRecord
from gateway.policy.documents import PolicyInput, PolicyResult, Reason
from gateway.store.db import MIGRATIONS_DIR, make_engine, migrate
from gateway.store.decision_log import DecisionFilter, DecisionLog
from gateway.store.ledger import DecisionLedger
from gateway.store.models import DecisionAttribute, DecisionRow

GENESIS = "0" * 64
EXPRESSION_INDEX = "ix_decisions_conversation_id"
POLICY_INPUT = PolicyInput.build(caller_id="bot", roles=["bot"], kind="chat", model="demo-chat",
                                 purpose="customer-support", region="US")
POLICY_RESULT = PolicyResult(contract_version="1", allow=True, reasons=[Reason(rule_id="RES-010", reason="in region")])


def record(i: int, *, attributes: dict[str, str] | None = None, mode: str = "full", **fields: object) -> DecisionRecord:
    values: dict[str, object] = {
        "decision_id": f"dec_{i:032x}", "created_at": datetime.now(UTC), "kind": "chat", "caller": "bot",
        "purpose": "customer-support", "customer_region": "EU", "status_code": 200, "allowed": True,
        "stage": "completed",
        "customer_attributes": attributes if attributes is not None else {"gender": "female", "age_band": "35-44"},
        "features": Features(language="zh", channel="phone", message_chars=12, prompt_chars=40, turns=1),
        "policy": PolicyRecord(input=POLICY_INPUT, result=POLICY_RESULT, pipeline_mode=mode)}
    return DecisionRecord(**{**values, **fields})


def write(engine: sa.Engine, records: list[DecisionRecord]) -> list[DecisionRecord]:
    async def go() -> list[DecisionRecord]:
        ledger = DecisionLedger(engine, batch_max=8)
        await ledger.start()
        try:
            return list(await asyncio.gather(*(ledger.record(r) for r in records)))
        finally:
            await ledger.close()

    return asyncio.run(go())


def test_query_columns_and_attribute_rows_match_the_record(database: sa.Engine) -> None:
    committed = write(database, [record(1), record(2, attributes={}), record(3, attributes={"segment": "gold"}),
                                 record(4, allowed=None, stage="admission", status_code=401)])
    with database.connect() as connection:
        rows = {row.seq: row for row in connection.execute(sa.select(DecisionRow.__table__))}
        attributes = connection.execute(sa.select(DecisionAttribute.__table__)).all()
        by_gender = connection.execute(sa.text(
            "SELECT a.value, COUNT(*) FROM decision_attributes a JOIN decisions d ON d.seq = a.decision_seq "
            "WHERE a.key = 'gender' AND d.created_at >= :since GROUP BY a.value"
        ).bindparams(sa.bindparam("since", type_=sa.DateTime(timezone=True))),
            {"since": datetime.now(UTC) - timedelta(hours=1)}).all()
    for r in committed:
        row = rows[r.seq]
        assert (row.region, row.language, row.channel, row.stage, row.source, row.allowed) == (
            "EU", "zh", "phone", r.stage, "gateway", r.allowed)
        assert {(a.key, a.value) for a in attributes if a.decision_seq == r.seq} == set(r.customer_attributes.items())
    assert by_gender == [("female", 2)]
    assert DecisionLog(database).verify_decisions().ok


@pytest.mark.parametrize(("statement", "problem"), [
    ("UPDATE decisions SET channel = 'web' WHERE seq = 2", "query columns"),
    ("UPDATE decisions SET allowed = NULL WHERE seq = 2", "query columns"),
    ("UPDATE decision_attributes SET value = 'male' WHERE decision_seq = 2 AND key = 'gender'", "attribute rows"),
    ("DELETE FROM decision_attributes WHERE decision_seq = 2", "attribute rows"),
    ("INSERT INTO decision_attributes (decision_seq, key, value) VALUES (2, 'segment', 'gold')", "attribute rows"),
    ("INSERT INTO decision_attributes (decision_seq, key, value) VALUES (99, 'segment', 'gold')", "no record"),
])
def test_edits_beside_the_record_are_detected(database: sa.Engine, statement: str, problem: str) -> None:
    write(database, [record(i) for i in range(1, 4)])
    with database.begin() as connection:
        connection.execute(sa.text(statement))
    check = DecisionLog(database).verify_decisions()
    assert not check.ok and problem in check.problem and check.first_bad_seq in (2, 99)


# --- schema 1: records written before migration 0003 ------------------------------------------

OLD_DECISIONS = sa.Table(  # the decisions table as migration 0002 left it
    "decisions", sa.MetaData(),
    sa.Column("seq", sa.BigInteger, primary_key=True), sa.Column("decision_id", sa.String),
    sa.Column("created_at", sa.DateTime(timezone=True)), sa.Column("caller", sa.String),
    sa.Column("purpose", sa.String), sa.Column("kind", sa.String), sa.Column("status_code", sa.Integer),
    sa.Column("allowed", sa.Boolean), sa.Column("policy_version", sa.String), sa.Column("record", sa.JSON),
    sa.Column("prev_hash", sa.String), sa.Column("record_hash", sa.String),
)


def schema_1_records(now: datetime) -> list[dict]:
    """As the gateway wrote them before schema 2: no schema_version, allowed false for every
    refusal, attempts as "rejected:<status>", reasons as plain objects."""
    common = {"created_at": now.isoformat().replace("+00:00", "Z"), "conversation_id": None, "model": "demo-chat",
              "streamed": False, "customer_pseudonym": None, "customer_attributes": {"gender": "female"},
              "findings": [], "usage": None, "erased": [], "masked": [], "client_pseudonym": None,
              "aggregate": None, "customer_region": "US", "purpose": "customer-support", "kind": "chat"}
    refused = {**common, "decision_id": "dec_" + "1" * 32, "caller": None, "allowed": False, "reasons": [],
               "policy": {"bundle_hash": None, "engine": None, "input": None, "result": None, "shadow": None,
                          "pipeline_mode": "full"},
               "route": {"deployment": None, "provider": None, "region": None, "model": None, "attempts": []},
               "timings": {"total": 1.5, "pii": 0.0, "policy": 0.0, "upstream_ttft": None, "upstream_total": None,
                           "overhead": 1.5},
               "status_code": 401, "error_code": "missing_api_key"}
    answered = {**common, "decision_id": "dec_" + "2" * 32, "caller": "bot", "allowed": True,
                "reasons": [{"rule_id": "RES-010", "reason": "in region"}],
                "policy": {"bundle_hash": "b" * 64, "engine": "regorus", "input": POLICY_INPUT.model_dump(mode="json"),
                           "result": POLICY_RESULT.model_dump(mode="json"), "shadow": None, "pipeline_mode": "full"},
                "route": {"deployment": "demo-chat-us", "provider": "demo", "region": "US", "model": "demo-chat",
                          "attempts": [{"deployment": "demo-chat-us-broken", "region": "US", "outcome": "rejected:500",
                                        "duration_ms": 3.0},
                                       {"deployment": "demo-chat-us", "region": "US", "outcome": "ok",
                                        "duration_ms": 9.0}]},
                "timings": {"total": 20.0, "pii": 4.0, "policy": 1.0, "upstream_ttft": 9.0, "upstream_total": 12.0,
                            "overhead": 8.0},
                "status_code": 200, "error_code": None}
    benchmark = {**answered, "decision_id": "dec_" + "3" * 32,
                 "policy": {**answered["policy"], "pipeline_mode": "policy"}}
    return [refused, answered, benchmark]


def insert_the_old_way(engine: sa.Engine, payloads: list[dict]) -> None:
    prev = GENESIS
    with engine.begin() as connection:
        for seq, payload in enumerate(payloads, start=1):
            digest = hashlib.sha256((prev + json.dumps(payload, sort_keys=True, separators=(",", ":"),
                                                       ensure_ascii=False)).encode()).hexdigest()
            stored = {**payload, "seq": seq, "prev_hash": prev, "record_hash": digest}
            connection.execute(sa.insert(OLD_DECISIONS).values(
                seq=seq, decision_id=payload["decision_id"], created_at=datetime.fromisoformat(payload["created_at"]),
                caller=payload["caller"], purpose=payload["purpose"], kind=payload["kind"],
                status_code=payload["status_code"], allowed=payload["allowed"],
                policy_version=payload["policy"]["bundle_hash"], record=stored, prev_hash=prev, record_hash=digest))
            prev = digest
        connection.execute(sa.text("UPDATE chain_head SET seq = :seq, record_hash = :hash WHERE id = 1"),
                           {"seq": len(payloads), "hash": prev})


def migrate_to(engine: sa.Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_schema_1_records_still_read_and_verify_after_the_migration(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate_to(engine, "0002")
        old = schema_1_records(datetime.now(UTC))
        insert_the_old_way(engine, old)
        migrate(engine)  # 0003: the rows stay as they were
        log = DecisionLog(engine)
        assert log.verify_decisions().ok

        refused, answered, benchmark = (log.get(p["decision_id"]) for p in old)
        assert refused.schema_version == "1" and refused.allowed is None and refused.stage is None
        assert answered.allowed is True and answered.reasons == [Reason(rule_id="RES-010", reason="in region")]
        assert [(a.outcome, a.status) for a in answered.route.attempts] == [("rejected", 500), ("ok", None)]
        assert isinstance(answered.policy.result, PolicyResult) and answered.timings.client_total is None
        assert benchmark.benchmark and not answered.benchmark
        with engine.connect() as connection:
            stored = connection.execute(sa.select(DecisionRow.__table__.c.record, DecisionRow.__table__.c.allowed,
                                                  DecisionRow.__table__.c.source)
                                        .where(DecisionRow.__table__.c.seq == 1)).one()
        assert "schema_version" not in stored.record and stored.allowed is False and stored.source == "gateway"

        # Replay reads both versions, and leaves benchmark records out.
        assert [decision_id for decision_id, _, _ in log.policy_decisions()] == [old[1]["decision_id"]]

        # The chain goes on with schema-2 records.
        write(engine, [record(10), record(11, mode="passthrough")])
        check = log.verify_decisions()
        assert check.ok and check.checked == 5
        assert [d for d, _, _ in log.policy_decisions()] == [old[1]["decision_id"], record(10).decision_id]
    finally:
        engine.dispose()


def test_attribute_rows_and_lookups_survive_migration_0008(database_url: str) -> None:
    """0008 rebuilds decision_attributes (SQLite) and makes three indexes partial: rows written
    before it stay, verify, and are found by caller, purpose and attribute as before."""
    engine = make_engine(database_url)
    try:
        migrate_to(engine, "0007")
        write(engine, [record(1), record(2, caller=None, purpose=None, attributes={"segment": "gold"})])
        migrate(engine)
        log = DecisionLog(engine)
        assert log.verify_decisions().ok
        with engine.connect() as connection:
            rows = connection.execute(sa.select(DecisionAttribute.__table__).order_by("decision_seq", "key")).all()
        assert [tuple(r) for r in rows] == [(1, "age_band", "35-44"), (1, "gender", "female"), (2, "segment", "gold")]
        assert [r.decision_id for r in log.window(where=DecisionFilter(caller="bot", purpose="customer-support"))] \
            == [record(1).decision_id]
        write(engine, [record(3, attributes={"segment": "gold"})])
        assert log.verify_decisions().ok and log.verify_decisions().checked == 3
    finally:
        engine.dispose()


def test_the_migrations_build_what_the_models_describe(database: sa.Engine) -> None:
    with database.connect() as connection:
        # The one object the models cannot declare: 0003b's expression index on the stored
        # conversation id, written per dialect (json_extract / ->>).
        def declared(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
            return not (type_ == "index" and name == EXPRESSION_INDEX)

        context = MigrationContext.configure(connection, opts={"compare_type": False, "include_object": declared})
        assert compare_metadata(context, SQLModel.metadata) == []
