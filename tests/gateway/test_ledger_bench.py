"""The ledger benchmark's shape and what it writes, never how fast (make bench measures that)."""

from __future__ import annotations

from sqlalchemy import create_engine, func, select

from gateway.benchmarks.ledger import WARMUP_RPS, WARMUP_SECONDS, bench_ledger, typical_record
from gateway.decision import DecisionRecord
from gateway.store.decision_log import DecisionLog
from gateway.store.models import DecisionRow


def test_the_typical_record_is_a_valid_pii_free_chat_decision() -> None:
    record = typical_record()
    again = DecisionRecord.model_validate(record.model_dump(mode="json"))
    assert again.kind == "chat" and again.allowed is True and not again.benchmark
    assert {f.entity_type for f in record.findings} == {"PERSON", "CREDIT_CARD", "EMAIL_ADDRESS", "PHONE_NUMBER"}
    assert record.policy.result is not None and record.policy.result.allow


def test_every_offered_record_is_committed_into_one_intact_chain(database_url: str) -> None:
    result = bench_ledger(rates=(40,), seconds=0.5, database_url=database_url)
    [rate] = result["rates"]
    assert rate["records"] == 20
    assert 0 <= rate["wait_ms"]["p50"] <= rate["wait_ms"]["p95"] <= rate["wait_ms"]["p99"]
    assert rate["mean_batch"] >= 1
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            # The timed records and the warm-up's, every one in the chain.
            stored = connection.execute(select(func.count()).select_from(DecisionRow)).scalar_one()
            assert stored == 20 + int(WARMUP_RPS * WARMUP_SECONDS)
        assert DecisionLog(engine).verify().ok
    finally:
        engine.dispose()
