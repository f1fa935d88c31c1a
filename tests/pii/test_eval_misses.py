"""`govgate pii eval --misses N`: missed and spurious spans as shapes, never as text."""

import json

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from gateway.cli import main
from gateway.pii.eval_misses import MissCollector, render_misses, shape
from gateway.pii.evaluation import evaluate


def test_shape_keeps_structure_and_drops_letters_and_digits():
    assert shape("Rua do Arenque 1634") == "Xxx xx Xxxxx 9999"
    assert shape("SW1A 1AA") == "XX9X 9XX"
    assert shape("张伟先生") == "HHHH"
    assert shape("Calle Mayor 5, 2º B") == "Xxxxx Xxxxx 9, 9x X"  # º is a letter
    assert shape("a\nb") == "x⏎x"


@given(st.text(max_size=200))
def test_shape_never_shows_a_letter_or_digit_of_the_input(text):
    out = shape(text)
    assert not any(ch.isdigit() and ch != "9" for ch in out)
    assert not any(ch.isalpha() and ch not in "XxH" for ch in out)


class _Finding:
    def __init__(self, entity_type, start, end):
        self.entity_type, self.start, self.end = entity_type, start, end
        self.explanation = type("E", (), {"recognizer": "Fake", "pattern_name": "p"})()


class _Engine:
    """Finds 'Main' as LOCATION and nothing else: the address is missed, the place spurious."""

    def analyze(self, text, language=None):
        i = text.find("Main")
        return [_Finding("LOCATION", i, i + 4)] if i >= 0 else []


def _dataset(tmp_path):
    text = "I live at 42 Main Street in Springfield, call Olga Petrova"
    samples = [{"full_text": text, "spans": [
        {"entity_type": "ADDRESS", "start_position": 10, "end_position": 24},
        {"entity_type": "LOCATION", "start_position": 28, "end_position": 39},
        {"entity_type": "PERSON", "start_position": 46, "end_position": 57},
    ]}]
    path = tmp_path / "set.json"
    path.write_text(json.dumps(samples), encoding="utf-8")
    return path, text


def test_report_lists_misses_as_shapes(tmp_path):
    path, text = _dataset(tmp_path)
    report = evaluate(_Engine(), path, misses=5)
    address = report.misses["ADDRESS"]
    assert address.missed_total == 1 and address.missed[0].shape == "99 Xxxx Xxxxx"
    assert address.missed[0].note == "predicted LOCATION"
    location = report.misses["LOCATION"]
    assert location.spurious_total == 1 and location.spurious[0].note == "Fake/p"
    # The report names its dataset by path (pytest's tmp path may hold any digits): search the rest.
    dumped = report.model_dump_json(exclude={"dataset"})
    for raw in ("Main", "Street", "Springfield", "Olga", "Petrova", "42"):
        assert raw not in dumped


def test_cli_misses_output_has_no_raw_digit_or_span(tmp_path, monkeypatch):
    path, text = _dataset(tmp_path)
    monkeypatch.setattr("gateway.pii.engine.build_pii_engine", lambda: _Engine())
    result = CliRunner().invoke(main, ["pii", "eval", str(path), "--misses", "3"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    miss_lines = [line for line in lines if line.startswith("  #")]
    assert miss_lines
    for line in miss_lines:
        body = line.split(None, 1)[1]  # after the sample index
        assert not any(ch.isdigit() and ch != "9" for ch in body), line
    for raw in ("42 Main Street", "Main", "Springfield", "Olga Petrova", "Petrova"):
        assert raw not in result.output
    as_json = CliRunner().invoke(main, ["pii", "eval", str(path), "--misses", "3", "--json"])
    assert "Springfield" not in as_json.output and json.loads(as_json.output)["misses"]


def test_collector_keeps_at_most_n_and_counts_all():
    collector = MissCollector(2)
    for i in range(5):
        collector.add("missed", "PERSON", i, "call Anna now", 5, 9)
    m = collector.by_entity["PERSON"]
    assert m.missed_total == 5 and len(m.missed) == 2
    assert render_misses(collector.by_entity)[0] == "PERSON missed: 5 (showing 2)"


def test_cli_rejects_negative_misses(tmp_path):
    path, _ = _dataset(tmp_path)
    result = CliRunner().invoke(main, ["pii", "eval", str(path), "--misses", "-1"])
    assert result.exit_code != 0
