"""Measure the engine against labelled datasets: per-entity precision, recall, F1.

Three formats are read (the format is detected from the path):

* presidio-research JSON: a list of `{"full_text", "spans": [{"entity_type",
  "start_position", "end_position"}]}` (end exclusive);
* CLUENER: JSON objects one after another (one per line or pretty-printed), each
  `{"text", "label": {type: {value: [[start, end_inclusive], ...]}}}`;
* MSRA: `*_sentences.txt` (space-separated characters, one sentence per line) next to
  `*_tags.txt` (BIO tags, same shape). Either file's path may be given.

Dataset labels are mapped onto GovGate types with a label map (`DEFAULT_LABEL_MAP`,
overridable from a JSON file). Labels mapped to `None` or absent are not scored.

Scoring rules:

* Only types the dataset annotates are scored. A prediction of a type the dataset never
  labels (ADDRESS on MSRA, CN_RESIDENT_ID on CLUENER) is neither a false positive nor a
  true positive: the dataset simply cannot judge it.
* Predictions are first folded with `PREDICTION_FALLBACK` when their own type is not
  scored: an ADDRESS prediction counts as LOCATION on a dataset that labels places but not
  addresses (CLUENER's "address" and MSRA's LOC are mostly place names, and our Chinese
  address recognizer absorbs LOC spans into addresses).
* A prediction that overlaps a span the dataset labels with an unscored label (CLUENER
  "scene", "government"; presidio "DATE_TIME") and no gold span of its own type is
  ignored: the annotators looked at that text and filed it under a type we do not score.
* Three matchings, all per type:
  - *overlap* (`entities`, the headline figures): a gold span is found when a prediction
    shares at least one character with it (one-to-one pairing, so each gold span counts
    once for recall). A prediction that pairs with no gold span but overlaps a gold span
    that *was* found is a fragment of that span ("翠洲环湖" and "小路" inside one CLUENER
    address, or "Evergreen" and "Terrace"): it is neither a true nor a false positive.
    Counting it as a false positive penalised a detector for cutting one long span in two
    while it already got the recall point for it, and a detector that emits one sloppy
    long span would score better than one that emits two exact pieces.
  - *overlap_strict*: the same one-to-one pairing, with fragments counted as false
    positives (the figure reported before; kept to compare).
  - *exact* (same start and end).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from gateway.pii.eval_misses import EntityMisses, MissCollector

DatasetFormat = Literal["presidio", "cluener", "msra"]

# Dataset label -> GovGate entity type (None = do not score). Keys are matched as given
# first, then upper-cased, then lower-cased.
DEFAULT_LABEL_MAP: dict[str, str | None] = {
    # presidio-research (and the Faker-based generators it ships)
    "PERSON": "PERSON",
    "PER": "PERSON",
    "NAME": "PERSON",
    "FIRST_NAME": "PERSON",
    "LAST_NAME": "PERSON",
    "name": "PERSON",
    "ADDRESS": "ADDRESS",
    "STREET_ADDRESS": "ADDRESS",
    "LOCATION": "LOCATION",
    "LOC": "LOCATION",
    "GPE": "LOCATION",
    "CITY": "LOCATION",
    "COUNTRY": "LOCATION",
    "STATE": "LOCATION",
    "ORGANIZATION": "ORGANIZATION",
    "ORG": "ORGANIZATION",
    "COMPANY": "ORGANIZATION",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "EMAIL": "EMAIL_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "PHONE": "PHONE_NUMBER",
    "CREDIT_CARD": "CREDIT_CARD",
    "CREDIT_CARD_NUMBER": "CREDIT_CARD",
    "IBAN_CODE": "IBAN_CODE",
    "IBAN": "IBAN_CODE",
    "US_SSN": "US_SSN",
    "SSN": "US_SSN",
    "IP_ADDRESS": "IP_ADDRESS",
    # Credentials (gateway.benchmarks.pii_sets.secrets); provider names fold into the family.
    "SECRET": "SECRET",
    "API_KEY": "SECRET",
    "CREDENTIAL": "SECRET",
    "PASSWORD": "SECRET",
    # Not detected by GovGate on purpose (see gateway.pii.registry): not scored.
    "DATE_TIME": None,
    "DOMAIN_NAME": None,
    "URL": None,
    "TITLE": None,
    "PREFIX": None,
    "US_DRIVER_LICENSE": None,
    "NRP": None,
    # CLUENER: "address" covers places of every size (台湾, 香山, 武昌区余家头小区三期b座),
    # so it is scored as LOCATION; our ADDRESS predictions fold into it (see above).
    "address": "LOCATION",
    "organization": "ORGANIZATION",
    "company": "ORGANIZATION",
    "government": "ORGANIZATION",
    "position": None,
    "game": None,
    "scene": None,
    "book": None,
    "movie": None,
    # MSRA uses PER / LOC / ORG, covered above.
}

# When a prediction's type is not scored on a dataset, count it as this type instead.
PREDICTION_FALLBACK: dict[str, str] = {"ADDRESS": "LOCATION"}


class EntityScore(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int


class EvalReport(BaseModel):
    dataset: str
    samples: int
    entities: dict[str, EntityScore] = Field(default_factory=dict)
    overlap_strict: dict[str, EntityScore] = Field(default_factory=dict)
    exact: dict[str, EntityScore] = Field(default_factory=dict)
    # Only with `misses=N`: missed and spurious spans (overlap matching) as shapes.
    misses: dict[str, EntityMisses] | None = None


@dataclass(frozen=True)
class GoldSpan:
    entity_type: str
    start: int
    end: int  # exclusive


@dataclass(frozen=True)
class Sample:
    text: str
    spans: tuple[GoldSpan, ...]
    # Spans the dataset labels with a type we do not score (CLUENER "scene", presidio
    # "DATE_TIME"): a prediction inside one is ignored rather than called a false positive.
    ignored: tuple[tuple[int, int], ...] = ()


# --- loaders ---------------------------------------------------------------------------


def detect_format(path: Path) -> DatasetFormat:
    name = path.name.lower()
    if path.suffix == ".txt" or "msra" in name:
        return "msra"
    with path.open(encoding="utf-8") as fh:
        head = fh.read(2048).lstrip()
    if head.startswith("["):
        return "presidio"
    if head.startswith("{"):
        return "cluener"
    raise ValueError(f"cannot tell the dataset format of {path}")


def load_samples(
    path: str | Path,
    *,
    label_map: Mapping[str, str | None] | None = None,
    limit: int | None = None,
    fmt: DatasetFormat | None = None,
) -> list[Sample]:
    path = Path(path)
    fmt = fmt or detect_format(path)
    loader = {"presidio": _load_presidio, "cluener": _load_cluener, "msra": _load_msra}[fmt]
    mapping = dict(DEFAULT_LABEL_MAP if label_map is None else label_map)
    out = []
    for text, raw_spans in loader(path):
        if limit is not None and len(out) >= limit:
            break
        spans, ignored = [], []
        for label, start, end in raw_spans:
            entity = _map_label(mapping, label)
            if entity is not None:
                spans.append(GoldSpan(entity, start, end))
            else:
                ignored.append((start, end))
        out.append(Sample(text, tuple(spans), tuple(ignored)))
    return out


def load_label_map(path: str | Path, *, base: Mapping[str, str | None] | None = None) -> dict[str, str | None]:
    """`DEFAULT_LABEL_MAP` (or `base`) updated with a JSON object {label: type-or-null}."""
    override = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(override, dict) or not all(isinstance(v, str | None) for v in override.values()):
        raise ValueError(f"{path}: expected a JSON object of label -> entity type (or null)")
    return {**(DEFAULT_LABEL_MAP if base is None else base), **override}


def _map_label(mapping: Mapping[str, str | None], label: str) -> str | None:
    for key in (label, label.upper(), label.lower()):
        if key in mapping:
            return mapping[key]
    return None


def _load_presidio(path: Path) -> Iterator[tuple[str, list[tuple[str, int, int]]]]:
    for record in json.loads(path.read_text(encoding="utf-8")):
        spans = [(s["entity_type"], s["start_position"], s["end_position"]) for s in record.get("spans", [])]
        yield record["full_text"], spans


def _load_cluener(path: Path) -> Iterator[tuple[str, list[tuple[str, int, int]]]]:
    text = path.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        record, pos = decoder.raw_decode(text, pos)
        spans = [
            (label, start, end + 1)
            for label, values in (record.get("label") or {}).items()
            for positions in values.values()
            for start, end in positions
        ]
        yield record["text"], spans


def _load_msra(path: Path) -> Iterator[tuple[str, list[tuple[str, int, int]]]]:
    stem = path.name.rsplit("_", 1)[0]
    sentences = path.with_name(f"{stem}_sentences.txt")
    tags = path.with_name(f"{stem}_tags.txt")
    with sentences.open(encoding="utf-8") as fs, tags.open(encoding="utf-8") as ft:
        for n, (line, tag_line) in enumerate(zip(fs, ft, strict=True), start=1):
            chars, labels = line.split(), tag_line.split()
            if len(chars) != len(labels):
                raise ValueError(f"{sentences.name}:{n}: {len(chars)} characters but {len(labels)} tags")
            yield "".join(chars), _bio_spans(labels)


def _bio_spans(tags: list[str]) -> list[tuple[str, int, int]]:
    spans, label, start = [], None, 0
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, kind = tag.partition("-")
        if label is not None and not (prefix in ("I", "M", "E") and kind == label):
            spans.append((label, start, i))
            label = None
        if prefix in ("B", "S") or (prefix in ("I", "M", "E") and label is None):
            label, start = kind, i
    return spans


# --- scoring ---------------------------------------------------------------------------


def evaluate(
    engine,
    path: str | Path,
    *,
    label_map: Mapping[str, str | None] | None = None,
    limit: int | None = None,
    language=None,
    misses: int = 0,
) -> EvalReport:
    """Run `engine.analyze` on each sample and score the findings (see module docstring).

    `misses=N` also reports, per type, up to N missed gold spans and N spurious predictions
    (overlap matching) as shapes (`gateway.pii.eval_misses`), never as text."""
    samples = load_samples(path, label_map=label_map, limit=limit)
    scored = sorted({s.entity_type for sample in samples for s in sample.spans})
    modes = ("overlap", "overlap_strict", "exact")
    counts = {mode: defaultdict(lambda: [0, 0, 0]) for mode in modes}  # tp, fp, fn
    collector = MissCollector(misses) if misses > 0 else None
    for index, sample in enumerate(samples):
        predicted = _predictions(engine, sample.text, scored, language)
        for entity in scored:
            gold = [(s.start, s.end) for s in sample.spans if s.entity_type == entity]
            chosen = [p for p in predicted if p[0] == entity and not _ignored(sample, entity, p[1], p[2])]
            pred = [(s, e) for _, s, e, _ in chosen]
            for mode in modes:
                paired, found, fragments = _pairing(gold, pred, exact=mode == "exact")
                tp = len(found)
                c = counts[mode][entity]
                c[0] += tp
                c[1] += len(pred) - tp - (len(fragments) if mode == "overlap" else 0)
                c[2] += len(gold) - tp
                if mode == "overlap" and collector is not None:
                    _collect(collector, entity, index, sample.text, gold, chosen, predicted, paired, found, fragments)
    return EvalReport(
        dataset=str(path),
        samples=len(samples),
        entities={e: _score(*counts["overlap"][e]) for e in scored},
        overlap_strict={e: _score(*counts["overlap_strict"][e]) for e in scored},
        exact={e: _score(*counts["exact"][e]) for e in scored},
        misses=collector.by_entity if collector is not None else None,
    )


def _collect(collector, entity, index, text, gold, chosen, predicted, paired, found, fragments) -> None:
    for i, (gs, ge) in enumerate(gold):
        if i in found:
            continue
        instead = sorted({t for t, s, e, _ in predicted if t != entity and s < ge and gs < e})
        collector.add("missed", entity, index, text, gs, ge, note=("predicted " + ", ".join(instead)) if instead else "")
    for i, (_, s, e, source) in enumerate(chosen):
        if i not in paired and i not in fragments:
            collector.add("spurious", entity, index, text, s, e, note=source)


def _predictions(engine, text: str, scored: list[str], language) -> list[tuple[str, int, int, str]]:
    """(scored type, start, end, "recognizer/pattern") per finding of a scored type."""
    out = []
    scored_set = set(scored)
    for f in engine.analyze(text, language=language):
        entity = f.entity_type if f.entity_type in scored_set else PREDICTION_FALLBACK.get(f.entity_type)
        if entity in scored_set:
            ex = f.explanation
            source = ex.recognizer + (f"/{ex.pattern_name}" if ex.pattern_name else "")
            out.append((entity, f.start, f.end, source))
    return out


def _ignored(sample: Sample, entity: str, start: int, end: int) -> bool:
    """Inside a span of an unscored label and touching no gold span of its own type."""
    if not any(s < end and start < e for s, e in sample.ignored):
        return False
    return not any(g.entity_type == entity and g.start < end and start < g.end for g in sample.spans)


def _matches(gold: list[tuple[int, int]], pred: list[tuple[int, int]], *, exact: bool) -> tuple[int, int]:
    """(true positives, fragments): one-to-one pairs, and unpaired predictions that overlap
    a paired gold span (always 0 for exact matching)."""
    _, found, fragments = _pairing(gold, pred, exact=exact)
    return len(found), len(fragments)


def _pairing(
    gold: list[tuple[int, int]], pred: list[tuple[int, int]], *, exact: bool
) -> tuple[set[int], set[int], set[int]]:
    """(paired prediction indices, found gold indices, fragment prediction indices)."""
    used: set[int] = set()
    found: set[int] = set()
    for g, (gs, ge) in enumerate(gold):
        for i, (ps, pe) in enumerate(pred):
            if i in used:
                continue
            if (ps, pe) == (gs, ge) if exact else (ps < ge and gs < pe):
                used.add(i)
                found.add(g)
                break
    if exact:
        return used, found, set()
    fragments = {
        i
        for i, (ps, pe) in enumerate(pred)
        if i not in used and any(ps < gold[g][1] and gold[g][0] < pe for g in found)
    }
    return used, found, fragments


def _score(tp: int, fp: int, fn: int) -> EntityScore:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return EntityScore(precision=round(precision, 4), recall=round(recall, 4), f1=round(f1, 4), support=tp + fn)


def main(argv: list[str] | None = None) -> None:
    """`python -m gateway.pii.evaluation DATASET [--limit N] [--label-map FILE]`"""
    import argparse

    from gateway.pii.engine import build_pii_engine

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("dataset", nargs="+")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--label-map")
    parser.add_argument("--misses", type=int, default=0)
    args = parser.parse_args(argv)
    label_map = load_label_map(args.label_map) if args.label_map else None
    engine = build_pii_engine()
    for dataset in args.dataset:
        print(evaluate(engine, dataset, label_map=label_map, limit=args.limit, misses=args.misses).model_dump_json(indent=2))


if __name__ == "__main__":
    main()
