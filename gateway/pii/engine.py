"""`PiiEngine`: finds PII spans in one message, in English, Chinese or both.

`analyze()` is the pipeline from the style guide, one named step each:

    check input → normalise (view + offset map) → plan language passes → per pass: choose
    recognizers → run NLP once → run recognizers → boost by context → odd digit runs →
    (all passes) prefer address blocks → dedupe → merge overlaps → resolve type conflicts → apply threshold →
    apply allow-list → map spans back onto the original text → findings

Every recognizer reads the *normalised view* (`gateway.pii.normalize`: NFKC, digits folded
to ASCII, format characters removed, obfuscated e-mail addresses rewritten); findings are
mapped back, so their start/end index the text the caller sent.

A *pass* is one language's recognizers over the message. The message's primary language
(`LanguageChooser`) gets a pass over the whole text with its NER and *every* pattern
recognizer of every language (phones, cards, IDs, e-mail, IBAN, SSN, IP: a US SSN in a
Chinese message is still an SSN; each recognizer class runs once, the primary language's
instance when both have one). Each other script present gets a pass of its language's NER
over just the runs in that script: LAC over the Han runs of an English message, spaCy over
the Latin runs of a Chinese one ("我的美国朋友 Maria Gonzalez 的电话…"). A finding's
`language` is the language of the recognizer that found it.

Thread-safety: the engine keeps no per-call state. Recognizers compile their patterns at
build time, the LAC ONNX session is safe for concurrent `run`, and the spaCy backend
serialises its calls with a lock (see `gateway.pii.nlp.en`).

Why one module of ~400 lines: it is one idea, the steps of `analyze()` in the order above
(each a short method), with `build_pii_engine` assembling the registry it runs on.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from presidio_analyzer import EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.predefined_recognizers import UsSsnRecognizer

from gateway.pii.context import WindowContextEnhancer
from gateway.pii.errors import PiiConfigError, PiiInputError
from gateway.pii.findings import Finding, FindingExplanation, Language
from gateway.pii.language import LanguageChooser
from gateway.pii.nlp.base import NlpBackend, NlpResult
from gateway.pii.normalize import NormalizedText, normalize, separated_digit_runs
from gateway.pii.recognizers.base import SOURCE_KEY, NerRecognizer
from gateway.pii.recognizers.date_shapes import date_time_spans
from gateway.pii.recognizers.en.address_block import BLOCK_KEY
from gateway.pii.recognizers.en.phone_pattern import GenericPhoneRecognizer
from gateway.pii.recognizers.zh.address import CnAddressRecognizer
from gateway.pii.recognizers.payment_card import PaymentCardRecognizer
from gateway.pii.recognizers.zh.phone import CnPhoneRecognizer
from gateway.pii.recognizers.zh.resident_id import CnResidentIdRecognizer
from gateway.pii.registry import DEFAULT_LANGUAGES, RegistryConfig, build_registry, check_languages

# Longest text (in characters) analyze() accepts; the gateway maps PiiInputError to 413.
MAX_TEXT_LENGTH = 1_000_000
# Findings below this score are dropped. Bare pattern matches without a checksum or a
# context word (a 9-digit number as SSN, a grouped number as phone) sit below it.
DEFAULT_SCORE_THRESHOLD = 0.4

_SOURCES = {"pattern", "ner", "checksum", "context", "other"}

# Recognizers that also read the compact/spaced rewritings of numbers written with odd
# separators ("4111.1111.1111.1111", "1 3 8 1 2 3 4 5 6 7 8"); see `separated_digit_runs`.
_DIGIT_RUN_RECOGNIZERS: tuple[type, ...] = (
    PaymentCardRecognizer,
    CnResidentIdRecognizer,
    CnPhoneRecognizer,
    GenericPhoneRecognizer,
    UsSsnRecognizer,
)

Tagged = list[tuple[Language, RecognizerResult]]


@dataclass(frozen=True)
class _Pass:
    language: Language
    recognizers: tuple[EntityRecognizer, ...]
    # Windows the NLP model reads (None = the whole text); patterns always read everything.
    nlp_windows: tuple[tuple[int, int], ...] | None = None


def _reads_nlp(recognizer: EntityRecognizer) -> bool:
    return isinstance(recognizer, NerRecognizer | CnAddressRecognizer)


class PiiEngine:
    """Analyses text with a Presidio registry, one NLP backend per language."""

    def __init__(
        self,
        registry: RecognizerRegistry,
        nlp: Mapping[Language, NlpBackend],
        *,
        context_enhancer: WindowContextEnhancer | None = None,
        language_chooser: LanguageChooser | None = None,
        score_threshold: float = DEFAULT_SCORE_THRESHOLD,
        allow_list: Iterable[str] = (),
        max_length: int = MAX_TEXT_LENGTH,
    ) -> None:
        self.languages: tuple[Language, ...] = tuple(nlp)
        check_languages(registry, self.languages)
        for language, backend in nlp.items():
            if backend.language != language:
                raise PiiConfigError(f"NLP backend for {language!r} analyses {backend.language!r}")
        if not 0.0 <= score_threshold <= 1.0:
            raise PiiConfigError("score_threshold must be within [0, 1]")
        self.registry = registry
        self.score_threshold = score_threshold
        self.max_length = max_length
        self._nlp = dict(nlp)
        self._chooser = language_chooser or LanguageChooser()
        self._context = context_enhancer or WindowContextEnhancer()
        self._context.prepare(registry.recognizers)
        self._allow = frozenset(w.casefold() for w in allow_list)
        self._by_language = {
            lang: [r for r in registry.recognizers if r.supported_language == lang] for lang in self.languages
        }
        self._language_of = {r.id: r.supported_language for r in registry.recognizers}
        # Per primary language: every pattern recognizer of every language, one per class
        # (the primary language's own instance first, for its context words).
        self._patterns = {lang: self._pattern_union(lang) for lang in self.languages}
        self._ner = {lang: [r for r in self._by_language[lang] if _reads_nlp(r)] for lang in self.languages}

    def _pattern_union(self, primary: Language) -> list[EntityRecognizer]:
        chosen: list[EntityRecognizer] = []
        classes: set[type] = set()
        for lang in (primary, *(x for x in self.languages if x != primary)):
            for recognizer in self._by_language[lang]:
                if not _reads_nlp(recognizer) and type(recognizer) not in classes:
                    chosen.append(recognizer)
                    classes.add(type(recognizer))
        return chosen

    @property
    def supported_entities(self) -> list[str]:
        return sorted({e for r in self.registry.recognizers for e in r.supported_entities})

    def choose_language(self, text: str) -> Language:
        """The primary language `analyze` gives this text (a language it serves)."""
        primary = self._chooser.choose(text)
        return primary if primary in self._nlp else self.languages[0]

    def analyze(
        self,
        text: str,
        *,
        language: Language | None = None,
        entities: Collection[str] | None = None,
        score_threshold: float | None = None,
    ) -> list[Finding]:
        self._check_input(text, language)
        if not text.strip():
            return []
        view = normalize(text)
        norm = view.text
        if len(norm) > 2 * self.max_length:
            raise PiiInputError("text is too long once normalised")
        if not norm.strip():
            return []
        wanted = self._wanted_entities(entities)
        passes = self._plan_passes(norm, language, wanted)
        tagged: Tagged = []
        for step in passes:
            nlp = self._run_nlp(norm, step)
            results = self._run_recognizers(norm, step.recognizers, nlp, wanted)
            tagged.extend(self._enhance_with_context(norm, results))
        if passes:
            tagged.extend(self._enhance_with_context(norm, self._run_digit_runs(norm, passes[0], wanted)))
        tagged = self._prefer_blocks(norm, tagged)
        tagged = self._dedupe(tagged)
        tagged = self._merge_overlapping(tagged)
        tagged = self._resolve_type_conflicts(tagged)
        tagged = self._apply_threshold(tagged, self.score_threshold if score_threshold is None else score_threshold)
        tagged = self._apply_allow_list(norm, tagged)
        return self._to_findings(tagged, view)

    # --- steps -------------------------------------------------------------------------

    def _check_input(self, text: str, language: Language | None) -> None:
        if not isinstance(text, str):
            raise PiiInputError(f"text must be str, not {type(text).__name__}")
        if len(text) > self.max_length:
            raise PiiInputError(f"text has {len(text)} characters; the limit is {self.max_length}")
        if language is not None and language not in self._nlp:
            raise PiiInputError(f"language {language!r} is not served; choose from {list(self.languages)}")

    def _wanted_entities(self, entities: Collection[str] | None) -> frozenset[str] | None:
        if entities is None:
            return None
        wanted = frozenset(entities)
        unknown = wanted - set(self.supported_entities)
        if unknown:
            raise PiiInputError(f"unsupported entity types {sorted(unknown)}")
        return wanted

    def _plan_passes(self, text: str, language: Language | None, wanted: frozenset[str] | None) -> list[_Pass]:
        """The primary language over the whole text (its NER and all pattern recognizers),
        then each other language's NER over the runs in its script."""
        primary = language or self._chooser.choose(text)
        if primary not in self._nlp:
            primary = self.languages[0]
        passes = [_Pass(primary, tuple(self._select(self._patterns[primary] + self._ner[primary], wanted)))]
        for other in self.languages:
            if other == primary:
                continue
            recognizers = tuple(self._select(self._ner[other], wanted))
            if not recognizers:
                continue
            windows = self._script_runs(other, text)
            if windows:
                passes.append(_Pass(other, recognizers, windows))
        return [p for p in passes if p.recognizers]

    def _script_runs(self, language: Language, text: str) -> tuple[tuple[int, int], ...]:
        if language == "zh":
            return tuple((run.start, run.end) for run in self._chooser.cjk_runs(text))
        if language == "en":
            return tuple((run.start, run.end) for run in self._chooser.latin_runs(text))
        return ()

    @staticmethod
    def _select(recognizers: list[EntityRecognizer], wanted: frozenset[str] | None) -> list[EntityRecognizer]:
        if wanted is None:
            return list(recognizers)
        return [r for r in recognizers if wanted.intersection(r.supported_entities)]

    def _run_nlp(self, text: str, step: _Pass) -> NlpResult | None:
        if not any(_reads_nlp(r) for r in step.recognizers):
            return None
        return self._nlp[step.language].process(text, windows=step.nlp_windows)

    def _run_digit_runs(self, text: str, primary: _Pass, wanted: frozenset[str] | None) -> list[RecognizerResult]:
        """Numbers written with odd separators: the digit recognizers read each run's compact
        and spaced rewritings; results are moved back onto the run in the view."""
        runs = separated_digit_runs(text)
        if not runs:
            return []
        # "2000-04-16 11" or "1978/04/13 12:30" is a run with odd groups, and its spaced
        # rewriting "2000 04 16 11" has a phone's shape: a run that holds a date is no number.
        dates = date_time_spans(text)
        if dates:
            runs = [run for run in runs if not any(s < run.end and run.start < e for s, e in dates)]
        recognizers = [r for r in primary.recognizers if isinstance(r, _DIGIT_RUN_RECOGNIZERS)]
        out: list[RecognizerResult] = []
        for run in runs:
            for variant in run.variants:
                for result in self._run_recognizers(variant.text, recognizers, None, wanted):
                    result.start, result.end = variant.to_view(result.start, result.end)
                    out.append(result)
        return out

    @staticmethod
    def _run_recognizers(
        text: str,
        recognizers: list[EntityRecognizer],
        nlp: NlpResult | None,
        wanted: frozenset[str] | None,
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for recognizer in recognizers:
            entities = [e for e in recognizer.supported_entities if wanted is None or e in wanted]
            results.extend(recognizer.analyze(text, entities, nlp) or [])
        return results

    def _enhance_with_context(self, text: str, results: list[RecognizerResult]) -> Tagged:
        """Context words in the window of the recognizer's own language; results are tagged
        with that language."""
        by_language: dict[Language, list[RecognizerResult]] = {}
        for result in results:
            rec_id = (result.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY)
            by_language.setdefault(self._language_of.get(rec_id, self.languages[0]), []).append(result)
        tagged: Tagged = []
        for language, group in by_language.items():
            tagged.extend((language, r) for r in self._context.enhance(text, group, language))
        return tagged

    @staticmethod
    def _prefer_blocks(text: str, tagged: Tagged) -> Tagged:
        """Inside a multi-line postal address (`AddressBlockRecognizer`), its per-part findings
        stand for the block: a single-line ADDRESS match within the block's extent (it would
        merge the parts back into one span), and a model span or another ADDRESS match that
        runs over a line break into the block (spaCy reading the block as one ORGANIZATION)
        are dropped."""
        blocks = [r.recognition_metadata[BLOCK_KEY] for _, r in tagged if BLOCK_KEY in (r.recognition_metadata or {})]
        if not blocks:
            return tagged
        parts = [(r.start, r.end) for _, r in tagged if BLOCK_KEY in (r.recognition_metadata or {})]

        def dropped(result: RecognizerResult) -> bool:
            if BLOCK_KEY in (result.recognition_metadata or {}):
                return False
            # The model reading a street, a postcode or a city line ("IL 62704", "London") as
            # a company or a name.
            if _source(result) == "ner" and result.entity_type != "LOCATION" and any(
                    s < result.end and result.start < e for s, e in parts):
                return True
            for start, end in blocks:
                if result.entity_type == "ADDRESS" and start <= result.start and result.end <= end:
                    return True
                # A span run over a line break into the block: a model reading the block as
                # one organisation, or a single-line pattern whose `\s` crossed a name line.
                if (_source(result) == "ner" or result.entity_type == "ADDRESS") and result.start < end \
                        and start < result.end and "\n" in text[result.start : result.end]:
                    return True
            return False

        return [(lang, r) for lang, r in tagged if not dropped(r)]

    @staticmethod
    def _dedupe(tagged: Tagged) -> Tagged:
        # Same type, one span inside another (or equal): keep the stronger (Presidio's rule).
        language_of = {id(r): lang for lang, r in tagged}
        kept = EntityRecognizer.remove_duplicates([r for _, r in tagged])
        return [(language_of[id(r)], r) for r in kept]

    @staticmethod
    def _merge_overlapping(tagged: Tagged) -> Tagged:
        """Two results of one type that overlap become one span (the union), carrying the
        higher score and its explanation: "Jacob van Gameren" from spaCy and from the title
        rule, a name found by spaCy and LAC with different edges, or a phone number read by
        two countries' patterns, are one value, not two findings. NER results merge with NER
        results, pattern results with pattern results (an NER span overlapping a pattern
        match of its type is left to `_dedupe`'s containment rule)."""
        groups: dict[bool, list[tuple[Language, RecognizerResult]]] = {True: [], False: []}
        for item in tagged:
            groups[_source(item[1]) == "ner"].append(item)
        merged_all: Tagged = []
        for items in groups.values():
            items = sorted(items, key=lambda item: (item[1].entity_type, item[1].start, -item[1].end))
            merged: Tagged = []
            for lang, result in items:
                if merged:
                    last_lang, last = merged[-1]
                    if last.entity_type == result.entity_type and result.start < last.end:
                        keep = last if last.score >= result.score else result
                        keep.start, keep.end = min(last.start, result.start), max(last.end, result.end)
                        merged[-1] = (last_lang if keep is last else lang, keep)
                        continue
                merged.append((lang, result))
            merged_all.extend(merged)
        return merged_all

    @staticmethod
    def _resolve_type_conflicts(tagged: Tagged) -> Tagged:
        """Different types, one span inside the other: keep the container when it scores
        higher, or when it comes from a pattern/checksum and the contained one from NER
        (an address regex knows "742 Evergreen Terrace" is not an organisation). An NER
        container never removes a pattern/checksum finding, whatever its score: spaCy
        reading "Phone 020 7392 4298" as one ORG, or a token after "access token" as a
        name, must not make the phone number or the key disappear."""

        def beaten(item: RecognizerResult) -> bool:
            for _, other in tagged:
                if other is item or other.entity_type == item.entity_type:
                    continue
                if not (other.start <= item.start and item.end <= other.end):
                    continue
                if _source(other) == "ner" and _source(item) != "ner":
                    continue
                if other.score > item.score or (_source(other) != "ner" and _source(item) == "ner"):
                    return True
            return False

        return [(lang, r) for lang, r in tagged if not beaten(r)]

    @staticmethod
    def _apply_threshold(tagged, threshold: float):
        return [(lang, r) for lang, r in tagged if r.score >= threshold]

    def _apply_allow_list(self, text: str, tagged):
        if not self._allow:
            return tagged
        return [(lang, r) for lang, r in tagged if text[r.start : r.end].strip().casefold() not in self._allow]

    @staticmethod
    def _to_findings(tagged: Tagged, view: NormalizedText) -> list[Finding]:
        findings = []
        for lang, result in tagged:
            if result.end <= result.start:
                continue
            result.start, result.end = view.to_original(result.start, result.end)
            findings.append(_finding(lang, result))
        return sorted(findings, key=lambda f: (f.start, f.end, f.entity_type))


def _source(result: RecognizerResult) -> str:
    meta = result.recognition_metadata or {}
    source = meta.get(SOURCE_KEY)
    if source in _SOURCES:
        return source
    explanation = result.analysis_explanation
    return "checksum" if explanation is not None and explanation.validation_result is not None else "pattern"


def _finding(language: Language, result: RecognizerResult) -> Finding:
    ex = result.analysis_explanation
    meta = result.recognition_metadata or {}
    recognizer = (ex.recognizer if ex is not None else None) or meta.get(RecognizerResult.RECOGNIZER_NAME_KEY, "unknown")
    return Finding(
        entity_type=result.entity_type,
        start=result.start,
        end=result.end,
        score=round(min(max(result.score, 0.0), 1.0), 4),
        language=language,
        explanation=FindingExplanation(
            recognizer=recognizer,
            source=_source(result),
            pattern_name=ex.pattern_name if ex is not None else None,
            original_score=ex.original_score if ex is not None else result.score,
            score_context_improvement=round(ex.score_context_improvement, 4) if ex is not None else 0.0,
            supportive_context_word=(ex.supportive_context_word or None) if ex is not None else None,
            validation_result=ex.validation_result if ex is not None else None,
        ),
    )


# --- factory ---------------------------------------------------------------------------

_WARMUP = {
    "en": "Hi, I'm John Smith from Boston. Card 4111 1111 1111 1111, call +1 415 555 0132, "
    "john@example.com, 192.168.0.1, SSN 078-05-1120, IBAN DE89370400440532013000.",
    "zh": "我是张伟，住在北京市海淀区中关村大街27号，身份证110101199003077777，手机13812345678，"
    "卡号6222020200112345678，邮箱zw@example.com。",
}


def build_pii_engine(
    *,
    languages: Iterable[Language] = DEFAULT_LANGUAGES,
    score_threshold: float = DEFAULT_SCORE_THRESHOLD,
    lac_threads: int = 1,
    en_ner_windows: bool = True,
    en_prune_labels: bool = True,
) -> PiiEngine:
    """Load models, build the registry, warm up. Called once at gateway startup (seconds).

    `en_ner_windows` sends English NER only the words around capitalised candidates, and
    `en_prune_labels` removes the NER moves of labels GovGate never reads (see
    `SpacyNerBackend` and docs/pii.md for the measured latency and accuracy).
    """
    from gateway.pii.nlp.en import load_english_nlp
    from gateway.pii.nlp.zh import load_chinese_nlp
    from gateway.pii.recognizers.en.email import offline_tld_extractor

    languages = tuple(dict.fromkeys(languages))
    loaders = {
        "en": lambda: load_english_nlp(windows=en_ner_windows, prune_labels=en_prune_labels),
        "zh": lambda: load_chinese_nlp(threads=lac_threads),
    }
    unknown = [lang for lang in languages if lang not in loaders]
    if unknown:
        raise PiiConfigError(f"no NLP backend for languages {unknown}")
    # tldextract must never fetch the public suffix list: every e-mail recognizer is handed
    # this explicitly offline extractor (no URLs, the bundled snapshot). No environment
    # variable is set for it: tldextract's module-level extractor (the one Presidio's own
    # EmailRecognizer would call) reads TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS at import, so
    # setting it here never reached that one, and nothing else in the process makes one.
    registry = build_registry(RegistryConfig(languages=languages, tld_extractor=offline_tld_extractor()))
    engine = PiiEngine(registry, {lang: loaders[lang]() for lang in languages}, score_threshold=score_threshold)
    for lang in languages:  # compile Presidio's lazily-compiled patterns, initialise ONNX
        engine.analyze(_WARMUP[lang], language=lang)
    return engine
