"""The generated card, date/phone and secret sets: deterministic, well-formed, independent."""

from __future__ import annotations

import ast
import importlib
import json
import random
from pathlib import Path

import pytest

from gateway.pii.evaluation import evaluate

MODULES = ["cards", "dates", "secrets"]
FOLDER = Path(__file__).resolve().parents[2] / "gateway" / "benchmarks" / "pii_sets"


def sets():
    for name in MODULES:
        module = importlib.import_module(f"gateway.benchmarks.pii_sets.{name}")
        yield from module.SETS.items()


@pytest.mark.parametrize("module", MODULES)
def test_generators_never_import_the_recognizers(module):
    tree = ast.parse((FOLDER / f"{module}.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m and m.startswith("gateway.pii") for m in imported), imported


@pytest.mark.parametrize(("name", "generate"), list(sets()))
def test_deterministic_and_well_formed(name, generate):
    first = generate(random.Random(f"0:{name}"), 120)
    assert first == generate(random.Random(f"0:{name}"), 120)
    assert first != generate(random.Random(f"1:{name}"), 120)
    assert len(first) == 120
    for sample in first:
        text = sample["full_text"]
        for span in sample["spans"]:
            assert 0 <= span["start_position"] < span["end_position"] <= len(text)
            assert text[span["start_position"] : span["end_position"]].strip()


def test_cards_cover_every_scheme_and_both_languages():
    from gateway.benchmarks.pii_sets.cards import card_messages
    samples = card_messages(random.Random(3), 200)
    texts = [s["full_text"] for s in samples]
    assert any(any("\u4e00" <= c <= "\u9fff" for c in t) for t in texts)
    assert any(not s["spans"] for s in samples)  # negatives too


def test_sets_are_readable_by_pii_eval(tmp_path, blank_engine):
    for name, generate in sets():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(generate(random.Random(name), 30), ensure_ascii=False), encoding="utf-8")
        report = evaluate(blank_engine, path)
        assert report.dataset
