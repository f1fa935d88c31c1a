"""The generated PII sets (gateway.benchmarks.pii_sets): deterministic, well-formed,
readable by the evaluator, and independent of the detection code."""

import json
import subprocess
import sys

import pytest

from gateway.benchmarks.pii_sets import MODULES, all_sets, generate_set
from gateway.benchmarks.pii_sets.__main__ import main
from gateway.pii.evaluation import load_samples


@pytest.mark.parametrize("name", ["addresses", "names_en", "names_zh", "names_en_context"])
def test_sets_are_seeded_and_well_formed(name):
    a = generate_set(name, seed=3, n=120)
    assert a == generate_set(name, seed=3, n=120)
    assert a != generate_set(name, seed=4, n=120)
    assert len(a) == 120
    for sample in a:
        text = sample["full_text"]
        for span in sample["spans"]:
            assert 0 <= span["start_position"] < span["end_position"] <= len(text)
            piece = text[span["start_position"] : span["end_position"]]
            assert piece == piece.strip() and piece


def test_address_set_covers_many_countries_and_decoys():
    from gateway.benchmarks.pii_sets.addresses import COUNTRIES

    assert len(COUNTRIES) >= 8
    samples = generate_set("addresses", n=300)
    kinds = {s["entity_type"] for sample in samples for s in sample["spans"]}
    assert kinds == {"ADDRESS", "LOCATION"}
    assert any(not sample["spans"] for sample in samples)  # look-alikes with nothing to find


def test_registry_names_are_unique_and_modules_listed():
    assert set(MODULES) >= {"addresses", "names", "names_context"}
    assert {"addresses", "names_en", "names_zh", "names_en_context"} <= set(all_sets())


def test_entry_point_writes_files_the_evaluator_reads(tmp_path, capsys):
    main(["--out", str(tmp_path), "--seed", "1", "--n", "25"])
    for name in ("addresses", "names_en", "names_zh"):
        path = tmp_path / f"{name}.json"
        assert len(json.loads(path.read_text(encoding="utf-8"))) == 25
        assert len(load_samples(path)) == 25
    assert "addresses.json" in capsys.readouterr().out


def test_entry_point_rejects_bad_n(tmp_path):
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path), "--n", "0"])


def test_generators_do_not_import_the_recognizers():
    code = (
        "import sys, gateway.benchmarks.pii_sets as p; p.all_sets(); "
        "print(sorted(m for m in sys.modules if m.startswith('gateway.pii')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_names_en_context_covers_its_contexts_and_look_alikes():
    samples = generate_set("names_en_context", n=400)
    texts = [s["full_text"] for s in samples]
    assert any(not s["spans"] for s in samples)  # places, streets, brands: no person
    assert any("'s " in t for t in texts) and any(", " in t and " and " in t for t in texts)
    assert any(t == t.lower() for t in texts)  # lower-case chat
    for sample in samples:
        for span in sample["spans"]:
            name = sample["full_text"][span["start_position"] : span["end_position"]]
            assert not name.endswith(("'s", "’s")) and not name.rstrip(".").lower() in {"mr", "mrs", "ms", "dr", "prof"}
