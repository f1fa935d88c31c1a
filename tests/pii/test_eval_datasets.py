"""Floors on the first ~200 records of each shared dev dataset.

Reads GOVGATE_PII_DEV_DATA (default ../shared/data/pii-dev beside the checkout). Missing data skips the
test locally but fails it in CI (CI=true), so the floor cannot silently stop running.
The floors sit a few points below the figures in docs/pii.md, measured on the full files.
"""

import os
from pathlib import Path

import pytest

from gateway.pii.evaluation import evaluate
from tests.conftest import IN_CI

# CI clones the repository with shared/ beside it, as on a developer's machine; the
# workplace's own copy is the fallback.
_CANDIDATES = [Path(__file__).resolve().parents[3] / "shared" / "data" / "pii-dev", Path("/work/shared/data/pii-dev")]
DATA = Path(os.environ["GOVGATE_PII_DEV_DATA"]) if "GOVGATE_PII_DEV_DATA" in os.environ else next(
    (path for path in _CANDIDATES if path.exists()), _CANDIDATES[0])
LIMIT = 200

FLOORS = {
    "presidio_research_generated_large.json": {
        "EMAIL_ADDRESS": ("recall", 0.95),
        "CREDIT_CARD": ("recall", 0.95),
        "PHONE_NUMBER": ("recall", 0.85),
        "PERSON": ("recall", 0.65),
    },
    "cluener_dev.json": {"PERSON": ("f1", 0.65), "LOCATION": ("f1", 0.45)},
    "msra_test_sentences.txt": {"PERSON": ("f1", 0.8), "LOCATION": ("f1", 0.7)},
}


def _dataset(name: str) -> Path:
    path = DATA / name
    if not path.exists():
        if IN_CI:
            pytest.fail(f"PII dev dataset missing in CI: {path}")
        pytest.skip(f"PII dev dataset not available: {path}")
    return path


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_floor(pii_engine, name):
    report = evaluate(pii_engine, _dataset(name), limit=LIMIT)
    assert report.samples == LIMIT
    for entity, (metric, floor) in FLOORS[name].items():
        # Every floored type is labelled in the first LIMIT records; one that is not means the
        # data or its label mapping changed, and a floor that cannot be measured is a failure.
        assert entity in report.entities, f"{name}: no {entity} labelled in the first {LIMIT} records"
        value = getattr(report.entities[entity], metric)
        assert value >= floor, f"{name} {entity} {metric} {value:.3f} < {floor}"
