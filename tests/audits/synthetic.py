"""Synthetic ledgers for the audit tests: real records written through the ledger (and outcomes
through the outcome store), with a disparity planted where a test wants one."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from gateway.decision import DecisionRecord, Features, FindingRecord, PolicyRecord, Timings
from gateway.outcome import OutcomeRecord
from gateway.pii.findings import FindingExplanation
from gateway.store.ledger import DecisionLedger
from gateway.store.outcomes import OutcomeStore

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SINCE, UNTIL = T0, T0 + timedelta(days=7)


@dataclass
class Population:
    """Who sends requests and how each is served. Weights need not sum to 1 (they are normalised)."""

    n: int = 1200
    gender: dict[str | None, float] = field(default_factory=lambda: {"female": 0.5, "male": 0.5})
    age_band: dict[str | None, float] = field(default_factory=lambda: {"18-34": 0.5, "35-64": 0.5})
    # gender -> TTFT and total-latency multiplier (the planted disparity)
    slower: dict[str, float] = field(default_factory=dict)
    # gender -> the share of its requests on the phone channel (phone is slower: PHONE_FACTOR)
    phone_share: dict[str, float] = field(default_factory=dict)
    default_phone_share: float = 0.2
    blocked: dict[str, float] = field(default_factory=dict)  # gender -> blocked probability
    default_blocked: float = 0.05
    log_sd: float = 0.35
    source: str = "gateway"
    pipeline_mode: str = "full"
    bundles: Sequence[str] = ("bundle-a",)
    first_index: int = 0


PHONE_FACTOR = 1.8


def _pick(rng: np.random.Generator, weights: dict[str | None, float], n: int) -> list[str | None]:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return [keys[i] for i in rng.choice(len(keys), size=n, p=p / p.sum())]


def records(population: Population, seed: int) -> list[DecisionRecord]:
    rng = np.random.default_rng(seed)
    n = population.n
    genders, ages = _pick(rng, population.gender, n), _pick(rng, population.age_band, n)
    made = []
    noise = rng.normal(0, population.log_sd, size=n)
    for i in range(n):
        gender, age = genders[i], ages[i]
        attributes = {k: v for k, v in (("gender", gender), ("age_band", age)) if v is not None}
        phone = rng.random() < population.phone_share.get(gender or "", population.default_phone_share)
        channel = "phone" if phone else "web"
        factor = population.slower.get(gender or "", 1.0) * (PHONE_FACTOR if phone else 1.0)
        ttft = float(np.exp(np.log(400.0) + noise[i]) * factor)
        blocked = rng.random() < population.blocked.get(gender or "", population.default_blocked)
        completed = not blocked
        chars = int(rng.integers(20, 400))
        index = population.first_index + i
        made.append(DecisionRecord(
            decision_id=f"dec_{index:032x}", created_at=T0 + timedelta(seconds=30 * index), kind="chat",
            source=population.source, model="gpt-4o-mini", caller="support-bot", customer_attributes=attributes,
            allowed=not blocked, stage="completed" if completed else "policy", status_code=200 if completed else 403,
            policy=PolicyRecord(bundle_hash=population.bundles[i % len(population.bundles)],
                                pipeline_mode=population.pipeline_mode),
            timings=Timings(total=ttft * 2.5 if completed else 3.0, upstream_ttft=ttft * 0.9 if completed else None,
                            client_ttfb=ttft if completed else None, client_total=ttft * 2.5 if completed else 3.0),
            features=Features(message_chars=chars, prompt_chars=chars, language="en", turns=int(rng.integers(1, 6)),
                              channel=channel),
            findings=[_finding()] if rng.random() < 0.1 else []))
    return made


def _finding() -> FindingRecord:
    return FindingRecord(entity_type="EMAIL_ADDRESS", location="messages[0].content", start=0, end=5, score=0.9,
                         language="en", action="redact",
                         explanation=FindingExplanation(recognizer="EmailRecognizer", original_score=0.9))


def write(database, made: list[DecisionRecord]) -> list[DecisionRecord]:  # type: ignore[no-untyped-def]
    async def run() -> list[DecisionRecord]:
        ledger = DecisionLedger(database, batch_max=500)
        await ledger.start()
        try:
            return list(await asyncio.gather(*(ledger.record(r) for r in made)))
        finally:
            await ledger.close()

    return asyncio.run(run())


def report_outcomes(database, made: Sequence[DecisionRecord], outcome_of) -> int:  # type: ignore[no-untyped-def]
    """`outcome_of(record) -> (outcome, csat) | None`; returns how many were stored."""
    store, stored = OutcomeStore(database), 0
    for record in made:
        said = outcome_of(record)
        if said is None:
            continue
        outcome, csat = said
        at = record.created_at + timedelta(minutes=5)
        store.attach(OutcomeRecord(outcome_key=f"k-{record.decision_id}", reported_by="support-bot",
                                   decision_id=record.decision_id, subject_caller="support-bot", outcome=outcome,
                                   csat=csat, occurred_at=at, occurred_at_reported=True, recorded_at=at))
        stored += 1
    return stored
