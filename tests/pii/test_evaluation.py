"""Loaders and scoring on tiny in-test fixtures (never the shared datasets)."""

import json

import pytest

from gateway.pii.evaluation import DEFAULT_LABEL_MAP, detect_format, evaluate, load_label_map, load_samples
from gateway.pii.findings import Finding, FindingExplanation


class _StubEngine:
    """Returns canned findings per text, so scoring is tested without models."""

    def __init__(self, answers):
        self.answers = answers

    def analyze(self, text, *, language=None, entities=None, score_threshold=None):
        return [
            Finding(entity_type=t, start=s, end=e, score=0.9, language="en", explanation=FindingExplanation(recognizer="stub", original_score=0.9))
            for t, s, e in self.answers.get(text, [])
        ]


@pytest.fixture
def presidio_file(tmp_path):
    path = tmp_path / "tiny.json"
    path.write_text(
        json.dumps(
            [
                {"full_text": "Call Tamara on Monday", "spans": [
                    {"entity_type": "PERSON", "start_position": 5, "end_position": 11},
                    {"entity_type": "DATE_TIME", "start_position": 15, "end_position": 21}]},
                {"full_text": "Lives at 12 Main St", "spans": [
                    {"entity_type": "STREET_ADDRESS", "start_position": 9, "end_position": 19}]},
            ]
        )
    )
    return path


def test_presidio_loader_maps_labels(presidio_file):
    assert detect_format(presidio_file) == "presidio"
    samples = load_samples(presidio_file)
    assert [(s.entity_type, s.start, s.end) for s in samples[0].spans] == [("PERSON", 5, 11)]
    assert samples[0].ignored == ((15, 21),)  # DATE_TIME is not scored
    assert samples[1].spans[0].entity_type == "ADDRESS"


def test_cluener_loader_pretty_printed_and_inclusive_ends(tmp_path):
    path = tmp_path / "cluener.json"
    records = [
        {"text": "彭小军认为台湾", "label": {"name": {"彭小军": [[0, 2]]}, "address": {"台湾": [[5, 6]]}}},
        {"text": "曼联赢了", "label": {"organization": {"曼联": [[0, 1]]}, "game": {"x": [[2, 3]]}}},
    ]
    path.write_text(json.dumps(records[0], ensure_ascii=False, indent=2) + "\n" + json.dumps(records[1], ensure_ascii=False))
    assert detect_format(path) == "cluener"
    first, second = load_samples(path)
    assert {(s.entity_type, first.text[s.start : s.end]) for s in first.spans} == {("PERSON", "彭小军"), ("LOCATION", "台湾")}
    assert [(s.entity_type, s.start, s.end) for s in second.spans] == [("ORGANIZATION", 0, 2)]


def test_msra_loader_from_either_file(tmp_path):
    (tmp_path / "msra_test_sentences.txt").write_text("张 三 在 北 京\n中 国 银 行\n", encoding="utf-8")
    (tmp_path / "msra_test_tags.txt").write_text("B-PER I-PER O B-LOC I-LOC\nB-ORG I-ORG I-ORG I-ORG\n")
    for name in ("msra_test_sentences.txt", "msra_test_tags.txt"):
        samples = load_samples(tmp_path / name)
        assert [s.text for s in samples] == ["张三在北京", "中国银行"]
        assert [(x.entity_type, x.start, x.end) for x in samples[0].spans] == [("PERSON", 0, 2), ("LOCATION", 3, 5)]


def test_msra_length_mismatch_is_an_error(tmp_path):
    (tmp_path / "msra_test_sentences.txt").write_text("张 三\n", encoding="utf-8")
    (tmp_path / "msra_test_tags.txt").write_text("B-PER\n")
    with pytest.raises(ValueError):
        load_samples(tmp_path / "msra_test_sentences.txt")


def test_label_map_override(tmp_path, presidio_file):
    override = tmp_path / "map.json"
    override.write_text(json.dumps({"STREET_ADDRESS": "LOCATION", "PERSON": None}))
    label_map = load_label_map(override)
    assert label_map["EMAIL_ADDRESS"] == DEFAULT_LABEL_MAP["EMAIL_ADDRESS"]
    samples = load_samples(presidio_file, label_map=label_map)
    assert samples[0].spans == () and samples[1].spans[0].entity_type == "LOCATION"


def test_scoring_overlap_exact_and_unlabelled_types(presidio_file):
    engine = _StubEngine(
        {
            "Call Tamara on Monday": [("PERSON", 5, 10), ("CN_RESIDENT_ID", 0, 4), ("PERSON", 15, 21)],
            "Lives at 12 Main St": [("ADDRESS", 9, 19), ("PERSON", 0, 5)],
        }
    )
    report = evaluate(engine, presidio_file)
    dumped = report.model_dump()
    assert set(dumped) == {"dataset", "samples", "entities", "overlap_strict", "exact", "misses"}
    assert dumped["misses"] is None  # only with misses=N
    assert report.samples == 2
    assert set(report.entities) == {"PERSON", "ADDRESS"}  # CN_RESIDENT_ID never labelled: not scored
    person = report.entities["PERSON"]
    # "Tamara" overlap-hit; "Monday" lies in an ignored DATE_TIME span; "Lives" is a false positive.
    assert (person.precision, person.recall, person.support) == (0.5, 1.0, 1)
    assert report.exact["PERSON"].recall == 0.0
    assert report.entities["ADDRESS"].f1 == 1.0 and report.exact["ADDRESS"].f1 == 1.0


def test_fragments_of_a_found_gold_span_are_not_false_positives(tmp_path):
    path = tmp_path / "frag.json"
    text = "I live at 742 Evergreen Terrace now, near Paris"
    gold = [{"entity_type": "LOCATION", "start_position": 10, "end_position": 31}]
    path.write_text(json.dumps([{"full_text": text, "spans": gold}]))
    # Two pieces of the one gold address, plus a place the dataset did not label.
    engine = _StubEngine({text: [("LOCATION", 14, 23), ("LOCATION", 24, 31), ("LOCATION", 42, 47)]})
    report = evaluate(engine, path)
    lenient, strict = report.entities["LOCATION"], report.overlap_strict["LOCATION"]
    assert (lenient.precision, lenient.recall) == (0.5, 1.0)  # "Paris" is the only false positive
    assert (round(strict.precision, 4), strict.recall) == (0.3333, 1.0)  # the second piece counted too
    assert report.exact["LOCATION"].recall == 0.0


def test_limit(presidio_file):
    assert evaluate(_StubEngine({}), presidio_file, limit=1).samples == 1
