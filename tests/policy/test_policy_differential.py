"""A corpus of varied inputs gives identical results on regorus and on real OPA."""

from __future__ import annotations

import itertools
import random

import pytest
from policy_inputs import make_input

from gateway.policy.errors import PolicyError

ENTITY_TYPES = [
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "CN_RESIDENT_ID", "US_SSN", "IBAN_CODE",
    "ADDRESS", "LOCATION", "IP_ADDRESS", "CN_USCC", "CN_PASSPORT", "ORGANIZATION", "SECRET", "SOMETHING_ELSE",
]


def corpus(n: int = 60, seed: int = 20240611):
    rng = random.Random(seed)
    kinds = [("chat", "demo-chat"), ("embeddings", "demo-embed"), ("chat", "demo-embed"), ("chat", "gpt-x"),
             ("models", None), ("pii", None), ("chat", None)]
    purposes = ["customer-support", "marketing", "credit-scoring", None]
    regions = ["EU", "CN", "US", "us", None, "BR"]
    bases = [None, "pipl-standard-contract", "pipl-certification", "made-up"]
    roles = [("bot",), ("admin",), ("compliance_officer",), ("security_admin",), ("bot", "admin"), (), ("ghost",)]
    # Every residency/basis/purpose combination for the bot first, then random mixes.
    cases = [
        make_input(region=r, basis=b, purpose=p)
        for r, b, p in itertools.product(["EU", "CN", "US"], bases[:2], purposes[:2])
    ]
    while len(cases) < n:
        kind, model = rng.choice(kinds)
        cases.append(make_input(
            kind=kind, model=model, purpose=rng.choice(purposes), region=rng.choice(regions),
            basis=rng.choice(bases), roles=rng.choice(roles),
            entity_types=tuple(rng.sample(ENTITY_TYPES, rng.randint(0, 5))),
        ))
    return cases


CORPUS = corpus()


def test_corpus_is_varied():
    assert len(CORPUS) >= 50
    kinds = {c.request.kind for c in CORPUS}
    assert kinds == {"chat", "embeddings", "models", "pii"}


@pytest.mark.parametrize("index", range(len(CORPUS)))
def test_engines_agree(regorus_engine, opa_engine, index):
    policy_input = CORPUS[index]
    outcomes = []
    for engine in (regorus_engine, opa_engine):
        try:
            outcomes.append(engine.evaluate(policy_input).model_dump())
        except PolicyError as exc:  # both must fail the same way, if at all
            outcomes.append(type(exc).__name__)
    assert outcomes[0] == outcomes[1]


def test_corpus_covers_allow_and_deny(regorus_engine):
    results = [regorus_engine.evaluate(c) for c in CORPUS]
    assert any(r.allow for r in results) and any(not r.allow for r in results)
