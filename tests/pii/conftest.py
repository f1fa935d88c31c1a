"""PII fixtures. The full engine (`pii_engine`) comes from the root conftest, loaded once."""

from __future__ import annotations

import pytest

from gateway.pii.engine import PiiEngine
from gateway.pii.nlp.base import BlankNlpBackend
from gateway.pii.registry import RegistryConfig, build_registry


@pytest.fixture(scope="session")
def blank_engine() -> PiiEngine:
    """Patterns only: the registry with NLP backends that find nothing (fast, no models)."""
    registry = build_registry(RegistryConfig(given_names=frozenset({"tamara"})))
    return PiiEngine(registry, {"en": BlankNlpBackend("en"), "zh": BlankNlpBackend("zh")})


def spans(text: str, findings, entity_type: str | None = None) -> list[str]:
    return [text[f.start : f.end] for f in findings if entity_type is None or f.entity_type == entity_type]
