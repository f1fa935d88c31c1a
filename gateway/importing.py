"""Imported interactions: another bot's log (CSV or JSONL) read into decision records, so bias
audits also cover bots that do not route through the gateway yet (docs/decision-record.md,
"Imported interactions").

Reading only: one pass over a whole file is gateway/import_pass.py, the store writes
(gateway/store/importer.py). A row is validated by the gateway's
own rules, not copies of them: the customer columns go through the header parser and screen
(gateway/customer.py, gateway/identifiers.py) as the X-Customer-* headers do, under the same
keyed HMAC; the outcome through the POST /v1/outcomes body model (gateway/outcome.py).

    rows(path, fmt)                  (line number, the row's fields) or the line's problem, streamed
    RowReader(...).read(raw)         one row, validated: an `ImportedRow`, or why not
    RowReader(...).record(row)       the decision record the row becomes (.canonical: its JSON, fast)

A problem never repeats a value from the file: it names the line, the column and its rule.
"""

from __future__ import annotations

import codecs
import csv
import json
import math
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring as _encode_string  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import TypeAdapter

from gateway.customer import CustomerContext, parse_customer_headers
from gateway.decision import NO_DEFAULT, DecisionRecord, Features, ImportedRecord, Timings, default_at, without_defaults
from gateway.errors import BadRequest
from gateway.identifiers import Digest, HoldsPii, listed_or_digest, screen_customer
from gateway.json_body import parse_json_object
from gateway.outcome import MAX_CLOCK_SKEW, OutcomeRecord, OutcomeRequest
from gateway.policy.documents import Vocabulary
from gateway.store.chain import CHAIN_FIELDS, canonical_json

Format = Literal["csv", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl")

COLUMNS = ("timestamp", "conversation_id", "customer_id", "region", "attributes", "channel", "language", "model",
           "message_chars", "ttft_ms", "latency_ms", "outcome", "csat", "source")
REQUIRED = ("timestamp", "source")
# No column allows more; a longer line is refused unread (memory stays bounded whatever the file).
MAX_LINE_BYTES = 64 * 1024
MAX_MODEL_CHARS = 256
MAX_NUMBER = 10**9  # characters, or milliseconds (11 days)

# The columns the customer headers' parser reads, by header name.
_HEADERS = {"conversation_id": "x-conversation-id", "customer_id": "x-customer-id", "region": "x-customer-region",
            "attributes": "x-customer-attributes", "channel": "x-channel"}
_COLUMN_OF_PARAM = {"X-Conversation-Id": "conversation_id", "X-Customer-Id": "customer_id",
                    "X-Customer-Region": "region", "X-Customer-Attributes": "attributes", "X-Channel": "channel"}
# ISO 8601 with seconds; the zone may be left out (then the time is UTC). [0-9], not \d.
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
                        r"(Z|[+-][0-9]{2}:[0-9]{2})?")
_SOURCE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_INTEGER = re.compile(r"[0-9]{1,10}")
_DECIMAL = re.compile(r"[0-9]{1,10}(\.[0-9]{1,6})?")
_LANGUAGES = ("en", "zh")
# Any valid decision id does for checking an outcome's fields (the importer makes the real one).
_PLACEHOLDER_DECISION = "dec_" + "0" * 32

RULES = {
    "timestamp": "an ISO 8601 time with seconds, e.g. 2026-12-02T10:30:00Z (no zone: UTC), not in the future",
    "source": "the bot's name: 1-64 characters of a-z 0-9 . _ -, starting with a letter or digit",
    "language": "en or zh (or empty)",
    "model": f"1-{MAX_MODEL_CHARS} printable characters (or empty)",
    "message_chars": f"a whole number from 0 to {MAX_NUMBER} (or empty)",
    "ttft_ms": f"milliseconds from 0 to {MAX_NUMBER}, at most 6 decimals (or empty)",
    "latency_ms": f"milliseconds from 0 to {MAX_NUMBER}, at most 6 decimals (or empty)",
}


class ImportFileError(Exception):
    """The file cannot be read as an import at all (not one bad row): nothing is imported."""


# The two per-row values are NamedTuples, not frozen dataclasses: as immutable, and a tenth of
# the cost to build (a frozen dataclass sets each field through object.__setattr__).
class RawRow(NamedTuple):
    """One line of the file: its fields by column (absent or empty: not there), or its problem."""

    line: int
    fields: dict[str, Any] | None
    problem: str | None = None


class ImportedRow(NamedTuple):
    """A row as validated: every identifier already a keyed hash or a listed value."""

    line: int
    decision_id: str
    created_at: datetime
    bot: str
    region: str | None
    attributes: dict[str, str]
    channel: str | None
    pseudonym: str | None  # keyed HMAC of customer_id
    conversation: str | None  # keyed HMAC of conversation_id
    language: str | None
    model: str | None
    message_chars: int | None
    ttft_ms: float | None
    latency_ms: float | None
    outcome: str | None
    csat: int | None


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    reason: str


def detect_format(path: Path, given: str | None) -> Format:
    if given is not None:
        if given not in FORMATS:
            raise ImportFileError(f"--format must be one of {', '.join(FORMATS)}")
        return given  # type: ignore[return-value]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise ImportFileError("cannot tell the format from the file name: name it .csv or .jsonl, or give --format")


# --- reading lines -----------------------------------------------------------------------


def rows(path: Path, fmt: Format) -> Iterator[RawRow]:
    """The file's rows in order, streamed. Blank lines are skipped; a line that is too long, not
    UTF-8 or not one row is a problem (and the reading goes on, so every bad line is named)."""
    with path.open("rb") as handle:
        lines = file_lines(handle)
        yield from (csv_rows(lines) if fmt == "csv" else jsonl_rows(lines))


def file_lines(handle: Any) -> Iterator[tuple[int, bytes | None]]:
    """(line number, the line's bytes without its end) or None for a line over MAX_LINE_BYTES."""
    number = 0
    while True:
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest, a bounded piece at a time
                raw = handle.readline(MAX_LINE_BYTES + 1)
            yield number, None
            continue
        yield number, raw.rstrip(b"\r\n")


_TOO_LONG = f"the line is longer than {MAX_LINE_BYTES} bytes"
_NOT_UTF8 = "the line is not valid UTF-8"


def csv_rows(lines: Iterable[tuple[int, bytes | None]], header: list[str] | None = None) -> Iterator[RawRow]:
    """The rows of `lines`; without `header`, the first non-blank line is the header (read
    from `lines`, which must then be an iterator). An empty file has no rows."""
    if header is None:
        lines = iter(lines)
        header = csv_header(lines)
        if header is None:
            return
    for number, raw in lines:
        if raw is None:
            yield RawRow(number, None, _TOO_LONG)
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield RawRow(number, None, _NOT_UTF8)
            continue
        if not text.strip():
            continue
        try:
            cells = next(csv.reader((text,), strict=True))
        except csv.Error:
            yield RawRow(number, None, "the line is not one CSV row (a quoted field must end on its line)")
            continue
        if len(cells) != len(header):
            yield RawRow(number, None, f"the line has {len(cells)} fields, the header {len(header)}")
            continue
        yield RawRow(number, {name: cell for name, cell in zip(header, cells, strict=True) if cell != ""})


def csv_header(lines: Iterator[tuple[int, bytes | None]]) -> list[str] | None:
    """The header's column names, read up to the first non-blank line (None: no line at all)."""
    for number, raw in lines:
        if raw is None:
            raise ImportFileError(f"line {number}: the header: {_TOO_LONG}")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ImportFileError(f"line {number}: the header: {_NOT_UTF8}") from None
        if not text.strip():
            continue
        try:
            cells = next(csv.reader((text,), strict=True))
        except csv.Error:
            raise ImportFileError(f"line {number}: the header is not one CSV row") from None
        return _header(number, cells)
    return None


def _header(number: int, cells: list[str]) -> list[str]:
    names = [cell.strip() for cell in cells]
    for position, name in enumerate(names, start=1):
        if name not in COLUMNS:
            # The unknown name is the file's text: not repeated back.
            raise ImportFileError(f"line {number}: column {position} of the header is not an import column; "
                                  f"the columns are: {', '.join(COLUMNS)}")
        if names.index(name) != position - 1:
            raise ImportFileError(f"line {number}: the header names the column {name} twice")
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise ImportFileError(f"line {number}: the header lacks the required column(s) {', '.join(missing)}")
    return names


def jsonl_rows(lines: Iterable[tuple[int, bytes | None]]) -> Iterator[RawRow]:
    for number, raw in lines:
        if raw is None:
            yield RawRow(number, None, _TOO_LONG)
            continue
        if not raw.strip():
            continue
        try:
            # The request bodies' parser: bounded depth and numbers, well-formed Unicode, unique keys.
            body = parse_json_object(raw, unique_keys=True)
        except BadRequest as refused:
            yield RawRow(number, None, f"the line is not one JSON object: {refused.message}")
            continue
        if any(key not in COLUMNS for key in body):
            yield RawRow(number, None, f"the object has a key that is not an import column; "
                                       f"the columns are: {', '.join(COLUMNS)}")
            continue
        yield RawRow(number, {key: value for key, value in body.items() if value is not None and value != ""})


# --- one row -----------------------------------------------------------------------------


class _Refused(ValueError):
    def __init__(self, column: str, rule: str) -> None:
        super().__init__(f"{column} must be {rule}")


# Past this many distinct keys a memo starts over (memory stays bounded whatever the file).
_MEMO_MAX = 100_000
# Customer and conversation ids remembered (they recur within a conversation, not across a file).
_RECENT_MAX = 10_000


class RowReader:
    """Validates rows and turns them into records, with the gateway's keys and policy vocabulary.

    `digest` is the ledger's keyed HMAC (the one the gateway stores X-Customer-Id and
    X-Conversation-Id as); `holds_pii` checks unlisted audit attributes as admission does;
    `id_digest` and `outcome_digest` are keyed HMACs of their own (derived keys "import-id"
    and "outcome-id"). Region, attributes, channel, model and outcome take a few values
    each, so each distinct value is checked once and remembered (the answer depends only
    on the value).
    """

    def __init__(self, *, vocabulary: Vocabulary, digest: Digest, id_digest: Digest, outcome_digest: Digest,
                 holds_pii: HoldsPii | None, now: datetime) -> None:
        self._vocabulary = vocabulary
        self._digest = digest
        self._id_digest = id_digest
        self._outcome_digest = outcome_digest
        self._holds_pii = holds_pii
        self._now = now
        self._memo: dict[tuple[Any, ...], Any] = {}
        # Raw ids of recent rows (held only for the pass, as the rows themselves are).
        self._recent_ids: dict[tuple[str | None, str | None], Any] = {}
        self._recent_digests: dict[str, str] = {}
        self._template = _RecordTemplate(self)
        self._outcome_template: _OutcomeTemplate | None = None

    def check(self, raw: RawRow) -> Problem | None:
        """`read` without making the row's ids (past a bad row only the verdict matters)."""
        read = self.read(raw, check_only=True)
        return read if isinstance(read, Problem) else None

    def read(self, raw: RawRow, *, check_only: bool = False) -> ImportedRow | Problem | None:
        """The row validated and its ids made; None when `check_only` and the row is good."""
        if raw.fields is None:
            return Problem(raw.line, raw.problem or "the line cannot be read")
        fields = raw.fields
        problems: list[str] = []

        def take(column: str, read: Callable[[Any], Any]) -> Any:
            value = fields.get(column)
            if value is None:
                if column in REQUIRED:
                    problems.append(f"{column} is required: {RULES[column]}")
                return None
            try:
                return read(value)
            except _Refused as refused:
                problems.append(str(refused))
                return None

        created_at = take("timestamp", self._timestamp)
        bot = take("source", _source)
        language = take("language", _language)
        model = take("model", lambda v: self._remembered(("model", v), lambda: self._model(v)))
        message_chars = take("message_chars", lambda v: _number(v, "message_chars", integer=True))
        ttft_ms = take("ttft_ms", lambda v: _number(v, "ttft_ms", integer=False))
        latency_ms = take("latency_ms", lambda v: _number(v, "latency_ms", integer=False))
        if ttft_ms is not None and latency_ms is not None and ttft_ms > latency_ms:
            problems.append("ttft_ms must not be greater than latency_ms")
        ids = self._ids(fields, problems)
        customer = self._customer(fields, problems)
        outcome = self._outcome(fields, problems)
        if problems:
            return Problem(raw.line, "; ".join(problems))
        if check_only:
            return None
        assert created_at is not None and bot is not None and ids is not None and customer is not None
        customer_id, conversation_id = ids
        listed_model, model_as_sent = model if model is not None else (None, None)
        (region, attributes, channel), screened = customer
        code, csat = outcome if outcome is not None else (None, None)
        identity = canonical_json([bot, created_at.isoformat(), conversation_id, customer_id, region, attributes,
                                   channel, language, model_as_sent, message_chars, ttft_ms, latency_ms, code, csat])
        return ImportedRow(
            line=raw.line, decision_id=f"dec_{self._id_digest(identity)[:32]}", created_at=created_at, bot=bot,
            region=screened[0], attributes=screened[1], channel=screened[2],
            pseudonym=self._recent_digest(customer_id) if customer_id is not None else None,
            conversation=self._recent_digest(conversation_id) if conversation_id is not None else None,
            language=language, model=listed_model, message_chars=message_chars, ttft_ms=ttft_ms,
            latency_ms=latency_ms, outcome=code, csat=csat)

    def record(self, row: ImportedRow) -> DecisionRecord:
        """The decision record the row becomes (the model: `unlinked` builds the same JSON faster)."""
        return DecisionRecord(
            decision_id=row.decision_id, created_at=row.created_at, source="imported",
            conversation_id=row.conversation, kind="chat", model=row.model,
            customer_pseudonym=row.pseudonym, customer_region=row.region,
            customer_attributes=row.attributes, allowed=None, stage="completed", status_code=200,
            timings=Timings(client_ttfb=row.ttft_ms, client_total=row.latency_ms),
            features=Features(message_chars=row.message_chars, language=row.language,  # type: ignore[arg-type]
                              channel=row.channel),
            masked=_masked(row), imported=ImportedRecord(bot=row.bot))

    def canonical(self, row: ImportedRow) -> str:
        """`record(row)`'s stored JSON (what the chain hashes): its canonical text without the
        fields at their default (`decision.without_defaults`: `from_stored` reads it back into
        the same record), filled into a template of the model (a million pydantic dumps cost
        more than the import)."""
        return self._template.fill(row)

    @staticmethod
    def columns(row: ImportedRow) -> dict[str, Any]:
        """The query columns `record(row)`'s JSON gives (store/derived.py), read off the row."""
        return {"decision_id": row.decision_id, "caller": None, "purpose": None, "kind": "chat", "status_code": 200,
                "allowed": None, "policy_version": None, "region": row.region, "language": row.language,
                "channel": row.channel, "stage": "completed", "source": "imported"}

    def outcome(self, row: ImportedRow, *, recorded_at: datetime) -> OutcomeRecord | None:
        """The row's outcome, attached to its decision; None: the row reports none."""
        if row.outcome is None:
            return None
        return OutcomeRecord(
            outcome_key=self._outcome_digest(f"import/{row.decision_id}"), reported_by=f"imported:{row.bot}",
            decision_id=row.decision_id, outcome=row.outcome, csat=row.csat, occurred_at=row.created_at,
            occurred_at_reported=False, recorded_at=recorded_at)

    def outcome_fields(self, row: ImportedRow, *, recorded_at: datetime) -> tuple[dict[str, Any], str] | None:
        """`outcome(row)`'s fields (its model_dump without the chain fields) and its canonical
        JSON, filled into a template of the model (a third of the rows have one: pydantic
        per outcome cost more than the row's own record)."""
        if row.outcome is None:
            return None
        template = self._outcome_template
        if template is None or template.recorded_at != recorded_at:
            template = self._outcome_template = _OutcomeTemplate(self, recorded_at)
        fields = {"outcome_key": self._outcome_digest(f"import/{row.decision_id}"),
                  "reported_by": f"imported:{row.bot}", "decision_id": row.decision_id, "conversation_id": None,
                  "subject_caller": None, "outcome": row.outcome, "csat": row.csat, "occurred_at": row.created_at,
                  "occurred_at_reported": False, "recorded_at": recorded_at}
        return fields, template.fill(fields)

    # --- columns ---------------------------------------------------------------------------

    def _remembered(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """compute(), once per key; a refusal is remembered too (and raised again)."""
        found = self._recall(key)
        if found is _MISSING:
            try:
                found = compute()
            except _Refused as refused:
                found = refused
            self._remember(key, found)
        if isinstance(found, _Refused):
            raise found
        return found

    def _recall(self, key: tuple[Any, ...]) -> Any:
        """What the memo holds for `key`, or _MISSING (also for a key holding a JSON object
        or array, as a JSONL cell may: it is checked, and not remembered)."""
        try:
            return self._memo.get(key, _MISSING)
        except TypeError:
            return _MISSING

    def _remember(self, key: tuple[Any, ...], found: Any) -> None:
        if len(self._memo) >= _MEMO_MAX:
            self._memo.clear()
        try:
            self._memo[key] = found
        except TypeError:  # unhashable: see _recall
            pass

    def _timestamp(self, value: Any) -> datetime:
        if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value.strip()):
            raise _Refused("timestamp", RULES["timestamp"])
        try:
            moment = datetime.fromisoformat(value.strip())
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        except (ValueError, OverflowError):  # 2026-13-01, 0001-01-01T00:00:00+14:00
            raise _Refused("timestamp", RULES["timestamp"]) from None
        if moment > self._now + MAX_CLOCK_SKEW:
            raise _Refused("timestamp", RULES["timestamp"])
        return moment

    def _model(self, value: Any) -> tuple[str | None, str]:
        """(as stored: listed or a keyed hash, as sent)."""
        if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_MODEL_CHARS \
                or not value.strip().isprintable():
            raise _Refused("model", RULES["model"])
        return listed_or_digest(value.strip(), self._vocabulary.models, self._digest), value.strip()

    def _ids(self, fields: Mapping[str, Any], problems: list[str]) -> tuple[str | None, str | None] | None:
        """customer_id and conversation_id, checked by the headers' parser (raw: for keyed hashes
        only). A conversation's turns repeat them on nearby lines: the recent ones are remembered."""
        key = (fields.get("customer_id"), fields.get("conversation_id"))
        if not all(value is None or type(value) is str for value in key):
            parsed = self._headers(fields, ("customer_id", "conversation_id"), problems)
            return None if parsed is None else (parsed.customer_id, parsed.conversation_id)
        found = self._recent_ids.get(key)
        if found is None:
            if len(self._recent_ids) >= _RECENT_MAX:
                self._recent_ids.clear()
            found_problems: list[str] = []
            parsed = self._headers(fields, ("customer_id", "conversation_id"), found_problems)
            found = self._recent_ids[key] = (found_problems if parsed is None
                                             else (parsed.customer_id, parsed.conversation_id))
        if isinstance(found, list):
            problems.extend(found)
            return None
        return found

    def _recent_digest(self, raw_id: str) -> str:
        """The ledger's keyed HMAC of a customer or conversation id, remembered for recent ids."""
        found = self._recent_digests.get(raw_id)
        if found is None:
            if len(self._recent_digests) >= _RECENT_MAX:
                self._recent_digests.clear()
            found = self._recent_digests[raw_id] = self._digest(raw_id)
        return found

    def _customer(self, fields: Mapping[str, Any],
                  problems: list[str]) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
        """(region, attributes, channel) as parsed and as screened, by admission's own code."""
        region, attributes, channel = fields.get("region"), fields.get("attributes"), fields.get("channel")
        key = ("customer", type(region), region, type(attributes), attributes, type(channel), channel)
        found = self._recall(key)
        if found is _MISSING:
            found_problems: list[str] = []
            parsed = self._headers(fields, ("region", "attributes", "channel"), found_problems)
            if parsed is not None:
                try:
                    screened = screen_customer(parsed, self._vocabulary, self._digest, self._holds_pii)
                    found = ((parsed.region, parsed.attributes, parsed.channel),
                             (screened.region, screened.attributes, screened.channel))
                except BadRequest as refused:
                    found_problems.append(_header_problem(refused))
            if found_problems:
                found = found_problems
            self._remember(key, found)
        if isinstance(found, list):
            problems.extend(found)
            return None
        return found

    def _headers(self, fields: Mapping[str, Any], columns: tuple[str, ...],
                 problems: list[str]) -> CustomerContext | None:
        headers: dict[str, str] = {}
        for column in columns:
            value = fields.get(column)
            if value is None:
                continue
            if not isinstance(value, str):
                problems.append(f"{column} must be text")
                return None
            headers[_HEADERS[column]] = value
        try:
            return parse_customer_headers(headers)
        except BadRequest as refused:
            problems.append(_header_problem(refused))
            return None

    def _outcome(self, fields: Mapping[str, Any], problems: list[str]) -> tuple[str, int | None] | None:
        outcome, csat = fields.get("outcome"), fields.get("csat")
        if outcome is None:
            if csat is not None:
                problems.append("csat needs an outcome in the same row")
            return None
        key = ("outcome", type(outcome), outcome, type(csat), csat)
        found = self._recall(key)
        if found is _MISSING:
            found = _outcome(outcome, csat)
            self._remember(key, found)
        if isinstance(found, str):
            problems.append(found)
            return None
        return found


_MISSING = object()


def _outcome(outcome: Any, csat: Any) -> tuple[str, int | None] | str:
    """(code, csat) by the POST /v1/outcomes body's own rules, or the refusal's message."""
    if isinstance(csat, str) and _INTEGER.fullmatch(csat.strip()):
        csat = int(csat)
    body = {"outcome_id": "import", "decision_id": _PLACEHOLDER_DECISION,
            "outcome": outcome.strip() if isinstance(outcome, str) else outcome}
    if csat is not None:
        body["csat"] = csat
    try:
        request = OutcomeRequest.parse(body)
    except BadRequest as refused:
        return refused.message  # names the field and its rule, never the value
    return request.outcome, request.csat


def _header_problem(refused: BadRequest) -> str:
    # The headers' messages name the header; here the column is what the user wrote.
    column = _COLUMN_OF_PARAM.get(refused.param or "", "a customer column")
    return f"{column}: {refused.message.replace(refused.param or '', column)}"


def _masked(row: ImportedRow) -> list[str]:
    return [path for path, value in (("/row/conversation_id", row.conversation), ("/row/customer_id", row.pseudonym))
            if value is not None]


class _RecordTemplate:
    """An imported record's stored JSON — its canonical text without the fields at their
    default (`decision.without_defaults`) — filled into a template rendered once from the
    model itself: the same fields, defaults and order as `RowReader.record(row)` gives
    (tests/gateway/test_importing.py checks the two agree over generated rows, and
    `import_file` checks the first record of every chunk)."""

    # Where each per-row value sits in the record's JSON, and how the row gives it.
    SLOTS: tuple[tuple[tuple[str, ...], Callable[[ImportedRow], Any]], ...] = (
        (("decision_id",), lambda r: r.decision_id),
        (("created_at",), lambda r: _TIME.dump_python(r.created_at, mode="json")),
        (("conversation_id",), lambda r: r.conversation),
        (("model",), lambda r: r.model),
        (("customer_pseudonym",), lambda r: r.pseudonym),
        (("customer_region",), lambda r: r.region),
        (("customer_attributes",), lambda r: r.attributes),
        (("timings", "client_ttfb"), lambda r: r.ttft_ms),
        (("timings", "client_total"), lambda r: r.latency_ms),
        (("features", "message_chars"), lambda r: r.message_chars),
        (("features", "language"), lambda r: r.language),
        (("features", "channel"), lambda r: r.channel),
        (("masked",), _masked),
        (("imported", "bot"), lambda r: r.bot),
    )

    def __init__(self, reader: RowReader) -> None:
        sample = ImportedRow(line=0, decision_id=_PLACEHOLDER_DECISION, created_at=datetime(2026, 1, 1, tzinfo=UTC),
                             bot="template", region=None, attributes={}, channel=None, pseudonym=None,
                             conversation=None, language=None, model=None, message_chars=None, ttft_ms=None,
                             latency_ms=None, outcome=None, csat=None)
        payload = reader.record(sample).model_dump(mode="json", exclude=CHAIN_FIELDS)
        for number, (path, _) in enumerate(self.SLOTS):
            _set(payload, path, _slot(number))
        self._items = _template_items(without_defaults(payload), ())
        if sorted(_slots_in(self._items)) != list(range(len(self.SLOTS))):
            raise RuntimeError("the record template lost a slot")
        # Each slot's default as JSON text (None: it has none, it is always written).
        self._defaults = [_default_text(self._items, number) for number in range(len(self.SLOTS))]
        # Which slots a row leaves at their default decides which keys are written: the
        # template for each such pattern, split at the slots written (a file has a handful).
        self._splits: dict[tuple[bool, ...], tuple[list[str], list[int]]] = {}

    def fill(self, row: ImportedRow) -> str:
        texts = [_json_value(get(row)) for _, get in self.SLOTS]
        written = tuple(map(operator.ne, texts, self._defaults))
        split = self._splits.get(written)
        if split is None:
            split = self._split(written)
        pieces, slots = split
        parts = [pieces[0]]
        for slot, piece in zip(slots, pieces[1:]):
            parts.append(texts[slot])
            parts.append(piece)
        return "".join(parts)

    def _split(self, written: tuple[bool, ...]) -> tuple[list[str], list[int]]:
        """The template with the defaults left out, split where the written slots go."""
        marked = [_slot(number) if keep else default
                  for number, (keep, default) in enumerate(zip(written, self._defaults, strict=True))]
        text = "{" + ",".join(_rendered(self._items, marked)) + "}"
        cut = re.split("\x00slot([0-9]+)\x00", text)
        if len(self._splits) >= _MEMO_MAX:
            self._splits.clear()
        split = self._splits[written] = (cut[0::2], [int(n) for n in cut[1::2]])
        return split


def _slot(number: int) -> str:
    """A per-row value's place in the rendered model: a text no default can equal."""
    return f"\x00slot{number}\x00"


def _slot_number(value: Any) -> int | None:
    found = re.fullmatch("\x00slot([0-9]+)\x00", value) if isinstance(value, str) else None
    return int(found.group(1)) if found else None


def _has_slot(value: Any) -> bool:
    return _slot_number(value) is not None or (isinstance(value, dict) and any(map(_has_slot, value.values())))


# One key of a template object, in canonical (sorted) order: a constant ("text", its whole
# `"key":value` text), a slot ("slot", `"key":`, the slot's number, its default's JSON text:
# left out when the value's text is that), or a part ("part", `"key":`, its items, its
# default's JSON text).
_Item = tuple[str, str, Any, str | None]


def _template_items(payload: dict[str, Any], path: tuple[str, ...]) -> list[_Item]:
    items: list[_Item] = []
    for key in sorted(payload):
        value, at, prefix = payload[key], (*path, key), _encode_string(key) + ":"
        if not _has_slot(value):
            items.append(("text", prefix + canonical_json(value), None, None))
            continue
        default = default_at(at)
        default_text = None if default is NO_DEFAULT else canonical_json(default)
        number = _slot_number(value)
        if number is not None:
            items.append(("slot", prefix, number, default_text))
        else:
            items.append(("part", prefix, _template_items(value, at), default_text))
    return items


def _slots_in(items: list[_Item]) -> Iterator[int]:
    for kind, _, content, _ in items:
        if kind == "slot":
            yield content
        elif kind == "part":
            yield from _slots_in(content)


def _rendered(items: list[_Item], texts: list[str]) -> list[str]:
    """Each item's `"key":value` text given each slot's JSON text, leaving out a value at its
    default (as without_defaults does)."""
    out = []
    for kind, text, content, default_text in items:
        if kind == "text":
            out.append(text)
            continue
        value = texts[content] if kind == "slot" else "{" + ",".join(_rendered(content, texts)) + "}"
        if value != default_text:
            out.append(text + value)
    return out


def _default_text(items: list[_Item], number: int) -> str | None:
    for kind, _, content, default_text in items:
        if kind == "slot" and content == number:
            return default_text
        if kind == "part" and (found := _default_text(content, number)) is not None:
            return found
    return None


class _OutcomeTemplate:
    """An imported outcome's canonical JSON (all its fields, as `POST /v1/outcomes` stores
    one), filled into a template rendered once from the model for one import's `recorded_at`;
    `import_file` checks the first outcome of every chunk against the model."""

    SLOTS = ("outcome_key", "reported_by", "decision_id", "outcome", "csat", "occurred_at")

    def __init__(self, reader: RowReader, recorded_at: datetime) -> None:
        self.recorded_at = recorded_at
        sample = reader.outcome(ImportedRow(
            line=0, decision_id=_PLACEHOLDER_DECISION, created_at=recorded_at, bot="template", region=None,
            attributes={}, channel=None, pseudonym=None, conversation=None, language=None, model=None,
            message_chars=None, ttft_ms=None, latency_ms=None, outcome="resolved", csat=None), recorded_at=recorded_at)
        assert sample is not None
        payload = sample.model_dump(mode="json", exclude=CHAIN_FIELDS)
        for number, name in enumerate(self.SLOTS):
            payload[name] = _slot(number)
        pieces = re.split(r'"\\u0000slot([0-9]+)\\u0000"', canonical_json(payload))
        self._texts = pieces[0::2]
        self._order = [int(n) for n in pieces[1::2]]
        if sorted(self._order) != list(range(len(self.SLOTS))):
            raise RuntimeError("the outcome template lost a slot")

    def fill(self, fields: dict[str, Any]) -> str:
        values = [fields[name] for name in self.SLOTS]
        values[5] = _TIME.dump_python(values[5], mode="json")  # occurred_at, as the model writes it
        parts = [self._texts[0]]
        for slot, text in zip(self._order, self._texts[1:], strict=True):
            parts.append(_json_value(values[slot]))
            parts.append(text)
        return "".join(parts)


_TIME: TypeAdapter[datetime] = TypeAdapter(datetime)


def _json_value(value: Any) -> str:
    """One value as canonical_json writes it inside a record (json's own encoders: the same
    text; a str, number or null spelled out, a generic encode costs more than the row)."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is str:
        return _encode_string(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    if kind is int:
        return int.__repr__(value)
    try:  # str -> str dicts (attributes) and str lists (masked), spelled out
        if kind is dict:
            pairs = [_encode_string(key) + ":" + _encode_string(value[key]) for key in sorted(value)]
            return "{" + ",".join(pairs) + "}"
        if kind is list:
            return "[" + ",".join(map(_encode_string, value)) + "]"
    except TypeError:  # a key or item that is not a str
        pass
    return canonical_json(value)


def _set(payload: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        payload = payload[key]
    payload[path[-1]] = value


def _source(value: Any) -> str:
    if not isinstance(value, str) or not value.isascii() or not _SOURCE.fullmatch(value.strip()):
        raise _Refused("source", RULES["source"])
    return value.strip()


def _language(value: Any) -> str:
    if not isinstance(value, str) or value.strip() not in _LANGUAGES:
        raise _Refused("language", RULES["language"])
    return value.strip()


def _number(value: Any, column: str, *, integer: bool) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if not (_INTEGER if integer else _DECIMAL).fullmatch(text):
            raise _Refused(column, RULES[column])
        number: Any = int(text) if integer else float(text)
    elif isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
        raise _Refused(column, RULES[column])
    else:
        number = value
    if not math.isfinite(number) or not 0 <= number <= MAX_NUMBER:
        raise _Refused(column, RULES[column])
    return number if integer else round(float(number), 6)


def reader_for(settings: Any, *, holds_pii: HoldsPii | None, now: datetime | None = None) -> RowReader:
    """A RowReader with this gateway's keys (the same derived keys the server uses) and its
    local policy's vocabulary."""
    from gateway import keys
    from gateway.policy.bundle import PolicyBundle
    from gateway.policy.engine import build_engine

    master = keys.hmac_key(settings.hmac_key, settings.data_dir)
    vocabulary = build_engine(PolicyBundle.load(settings.policy_dir), "regorus").vocabulary()
    return RowReader(vocabulary=vocabulary, digest=keys.KeyedDigest(keys.derive_key(master, "ledger")),
                     id_digest=keys.KeyedDigest(keys.derive_key(master, "import-id")),
                     outcome_digest=keys.KeyedDigest(keys.derive_key(master, "outcome-id")),
                     holds_pii=holds_pii, now=now or datetime.now(UTC))
