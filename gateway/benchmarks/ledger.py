"""What recording costs a request: the wait for its decision record to be committed.

    python -m gateway.benchmarks.ledger [--rps 100 500] [--seconds 10] [--database-url URL]

A request answers only after `DecisionLedger.record()` returns (its record is durable), so
that wait is the latency the ledger adds to it. Records arrive open loop at a fixed rate, as
requests would; each carries what a typical chat decision carries (four PII findings, the
policy's input and result from the real embedded engine, a route, attributes), with its own
decision id. Reported per rate: p50/p95/p99 of the wait in milliseconds, the records per
second committed, and the mean batch (how many records shared one commit).

Measured on a fresh SQLite file per rate by default (the embedded default: a real fsync per
commit); `--database-url` measures another database, e.g. a PostgreSQL database of its own
(both rates then append to it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gateway.benchmarks.load import percentiles
from gateway.benchmarks.policy import sample_inputs
from gateway.config import Settings
from gateway.decision import DecisionRecord, FindingRecord, RouteAttempt, RouteRecord, Timings
from gateway.pii.findings import FindingExplanation
from gateway.policy.bundle import PolicyBundle
from gateway.policy.engine import build_engine
from gateway.store.db import make_engine, migrate

DEFAULT_RATES = (100, 500)
# Records written first, untimed (connections opened, caches warm): this rate for this long.
WARMUP_RPS, WARMUP_SECONDS = 50, 1.0


def typical_record() -> DecisionRecord:
    """A chat decision as the gateway writes one for the benchmark message (values invented,
    shape real: the policy part comes from evaluating the sample policy)."""
    policy_input = sample_inputs()[0]
    engine = build_engine(PolicyBundle.load(Settings().policy_dir), "regorus")
    result = engine.evaluate(policy_input)
    findings = [
        FindingRecord(entity_type=entity, location="messages[0].content", start=start, end=end, score=score,
                      language="en", action=action,
                      explanation=FindingExplanation(recognizer=recognizer, original_score=score,
                                                     supportive_context_word=context))
        for entity, start, end, score, action, recognizer, context in (
            ("PERSON", 12, 26, 0.85, "pseudonymise", "SpacyRecognizer", None),
            ("CREDIT_CARD", 36, 55, 1.0, "mask", "CreditCardRecognizer", "card"),
            ("EMAIL_ADDRESS", 160, 187, 1.0, "pseudonymise", "EmailRecognizer", None),
            ("PHONE_NUMBER", 204, 219, 0.75, "pseudonymise", "PhoneRecognizer", "call"),
        )
    ]
    return DecisionRecord(
        decision_id="dec_" + "0" * 32, created_at=datetime.now(UTC), conversation_id="c" * 64, caller="bench-bot",
        purpose="customer-support", kind="chat", model="demo-chat", customer_pseudonym="p" * 64,
        customer_region="EU", customer_attributes={"gender": "female", "age_band": "35-44"}, allowed=True,
        stage="completed", reasons=result.reasons, findings=findings,
        policy={"bundle_hash": "b" * 64, "engine": "regorus", "input": policy_input, "result": result},
        route=RouteRecord(deployment="demo-eu", provider="demo", region="EU", model="demo-chat",
                          attempts=[RouteAttempt(deployment="demo-eu", region="EU", outcome="ok", duration_ms=41.2)]),
        timings=Timings(total=48.0, pii=3.1, policy=0.4, answer=0.3, upstream_ttft=20.5, upstream_total=41.2,
                        overhead=6.8, client_ttfb=45.0, client_total=47.9),
        features={"message_chars": 296, "prompt_chars": 296, "language": "en", "turns": 1, "answer_chars": 212},
        status_code=200, usage={"prompt_tokens": 74, "completion_tokens": 53, "total_tokens": 127},
    )


async def _drive(ledger: Any, template: DecisionRecord, rps: int, seconds: float) -> tuple[list[float], float]:
    waits: list[float] = []

    async def one() -> None:
        record = template.model_copy(update={"decision_id": f"dec_{uuid.uuid4().hex}",
                                             "created_at": datetime.now(UTC)})
        start = time.perf_counter()
        await ledger.record(record)
        waits.append((time.perf_counter() - start) * 1000)

    total = int(rps * seconds)
    interval = 1.0 / rps
    tasks = []
    start = time.perf_counter()
    for i in range(total):
        delay = start + i * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    return waits, time.perf_counter() - start


async def _bench_rate(database_url: str, template: DecisionRecord, rps: int, seconds: float) -> dict[str, Any]:
    from gateway.store.ledger import DecisionLedger

    engine = make_engine(database_url)
    migrate(engine)
    ledger = DecisionLedger(engine)
    commits = 0
    write_batch = ledger._write_batch

    def counted(batch: list[Any]) -> list[DecisionRecord]:
        nonlocal commits
        commits += 1
        return write_batch(batch)

    ledger._write_batch = counted  # type: ignore[method-assign]  # count commits, nothing else
    await ledger.start()
    try:
        await _drive(ledger, template, rps=WARMUP_RPS, seconds=WARMUP_SECONDS)
        commits = 0
        waits, elapsed = await _drive(ledger, template, rps=rps, seconds=seconds)
    finally:
        await ledger.close()
        engine.dispose()
    return {
        "rps": rps,
        "records": len(waits),
        "wait_ms": percentiles(waits),
        "committed_per_s": round(len(waits) / elapsed, 1),
        "mean_batch": round(len(waits) / max(1, commits), 2),
        "record_json_bytes": len(json.dumps(template.model_dump(mode="json"))),
    }


def bench_ledger(*, rates: tuple[int, ...] = DEFAULT_RATES, seconds: float = 10.0,
                 database_url: str | None = None) -> dict[str, Any]:
    """The ledger's wait per request at each rate."""
    template = typical_record()
    results = []
    with tempfile.TemporaryDirectory(prefix="govgate-ledger-bench-") as tmp:
        for rps in rates:
            url = database_url or f"sqlite:///{Path(tmp) / f'ledger-{rps}.db'}"
            results.append(asyncio.run(_bench_rate(url, template, rps, seconds)))
    backend = (database_url or "sqlite").split(":", 1)[0].split("+", 1)[0]
    return {"backend": backend, "seconds": seconds, "rates": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.benchmarks.ledger")
    parser.add_argument("--rps", type=int, nargs="+", default=list(DEFAULT_RATES))
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    print(json.dumps(bench_ledger(rates=tuple(args.rps), seconds=args.seconds, database_url=args.database_url),
                     indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
