"""One pass over an import file: read, validate and build its rows in worker processes, write
them through the store in one transaction (`import_file`, what `govgate decisions import` runs).

The rows' own rules live in gateway/importing.py (RowReader); the store's bulk writer in
gateway/store/importer.py; the ordered worker pool in gateway/process_map.py.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from queue import Empty, Queue
from typing import Any

from gateway.decision import DecisionRecord, without_defaults
from gateway.importing import Format, ImportedRow, Problem, RowReader, csv_header, csv_rows, file_lines, jsonl_rows
from gateway.process_map import ProcessMap
from gateway.store.chain import CHAIN_FIELDS, canonical_json
from gateway.store.derived import attributes_of, query_columns
from gateway.store.importer import Entry, Shapes, append_imported

BATCH_ROWS = 5_000
# Lines a worker reads at a time, and chunks in flight (read ahead of the writer) at most.
CHUNK_LINES = 1_000
WINDOW_CHUNKS = 16
DEFAULT_WORKERS = os.cpu_count() or 1
# The workers yield to this process, which writes every row in order (one worker per core, plus
# this one, is one process more than the cores).
WORKER_NICENESS = 5
# Problems listed in a report; past these, only counted (a file of a million bad rows still
# answers in bounded memory).
MAX_PROBLEMS = 1_000


@dataclass(frozen=True)
class ImportReport:
    rows: int
    imported: int = 0
    present: int = 0  # already stored (an earlier import), or repeated in this file
    outcomes: int = 0
    bad_rows: int = 0
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.bad_rows == 0


Progress = Callable[[str, int | None], Callable[[int], None]]


def import_file(path: Path, fmt: Format, *, reader: RowReader, engine: Any, progress: Progress | None = None,
                batch_rows: int = BATCH_ROWS, workers: int | None = None) -> ImportReport:
    """Validate and write every row in one streaming pass, inside one transaction
    (gateway/store/importer.py). At the first bad row the writing stops, the rest of the file
    is still validated (every bad row is named), and the transaction is rolled back: nothing is
    half-imported. The chain heads are therefore locked while the file is validated too.

    Rows are read, validated and built in `workers` processes (default: one per core; 0: in
    this one), a chunk of lines each, handed back in the file's order; this process links them
    into the chains and writes them (gateway/process_map.py).

    `progress(phase, total)` returns a callback taking lines done (the CLI's progress bar).
    Raises ImportFileError for a file that is not an import at all (its header, its format).
    """
    bad = multiprocessing.Event()  # set by whichever process meets a bad row first
    shapes = Shapes(engine.dialect)  # before the workers start: they bind rows for this database
    chunk_reader = _ChunkReader(reader, fmt, shapes, recorded_at=datetime.now(UTC), bad=bad)
    seen = _Seen()
    # Each batch's last line, in the order the batches are handed on (the progress callback's).
    ends: deque[int] = deque()

    pool_size = DEFAULT_WORKERS if workers is None else workers
    with _young_collections_only(), ProcessMap(chunk_reader, workers=pool_size, niceness=WORKER_NICENESS) as pool:
        written = progress("importing", _line_count(path)) if progress else None

        def batches() -> Iterator[list[Entry]]:
            batch: list[Entry] = []
            last_line = 0
            for chunk in pool.map(_chunks(path, fmt), window=WINDOW_CHUNKS):
                last_line = chunk.last_line
                seen.rows += chunk.rows
                for problem in chunk.problems:
                    seen.note(problem)
                if seen.bad:  # nothing more is written; an empty batch moves the progress bar on
                    ends.append(chunk.last_line)
                    yield []
                    continue
                batch.extend(chunk.entries)
                while len(batch) >= batch_rows:
                    ends.append(chunk.last_line)
                    yield batch[:batch_rows]
                    batch = batch[batch_rows:]
            if seen.bad:
                raise _BadRows()
            if batch:
                ends.append(last_line)
                yield batch

        shown = 0

        def on_batch(_rows: int) -> None:
            nonlocal shown
            end = ends.popleft()
            if written is not None:
                written(end - shown)
            shown = end

        # Chunks are gathered in a thread while this one writes: the database driver releases
        # the GIL while it stores a batch, so the two overlap.
        try:
            with closing(_prefetched(batches(), depth=4)) as prefetched:  # closed: its thread stops on a failure too
                appended = append_imported(engine, shapes, prefetched, on_batch=on_batch)
        except _BadRows:  # the transaction is rolled back: nothing of the file is stored
            return ImportReport(rows=seen.rows, bad_rows=seen.bad, problems=tuple(seen.problems))
    return ImportReport(rows=seen.rows, imported=appended.imported, present=appended.present,
                        outcomes=appended.outcomes)


@dataclass(frozen=True, slots=True)
class _Lines:
    """A chunk of the file's lines, as a worker gets it (with the CSV header read before)."""

    header: list[str] | None
    lines: list[tuple[int, bytes | None]]


@dataclass(frozen=True, slots=True)
class _Chunk:
    """A chunk as read: its rows' entries (none once a row is bad anywhere) and its problems."""

    rows: int
    last_line: int
    entries: list[Entry]
    problems: list[Problem]


def _chunks(path: Path, fmt: Format) -> Iterator[_Lines]:
    with path.open("rb") as handle:
        lines = file_lines(handle)
        header = csv_header(lines) if fmt == "csv" else None
        if fmt == "csv" and header is None:
            return
        while piece := list(islice(lines, CHUNK_LINES)):
            yield _Lines(header, piece)


class _ChunkReader:
    """What a worker does with a chunk: each row validated and its record and outcome built;
    once any process has met a bad row (`bad`), only the verdicts (nothing will be written)."""

    def __init__(self, reader: RowReader, fmt: Format, shapes: Shapes, *, recorded_at: datetime, bad: Any) -> None:
        self._reader = reader
        self._fmt = fmt
        self._prepare = shapes.prepare
        self._recorded_at = recorded_at
        self._bad = bad

    def __call__(self, piece: _Lines) -> _Chunk:
        reader = self._reader
        raws = csv_rows(piece.lines, piece.header) if self._fmt == "csv" else jsonl_rows(piece.lines)
        entries: list[Entry] = []
        problems: list[Problem] = []
        count = 0
        checking = self._bad.is_set()
        outcome_checked = False
        for raw in raws:
            count += 1
            if checking:
                problem = reader.check(raw)
                if problem is not None:
                    problems.append(problem)
                continue
            read = reader.read(raw)
            if not isinstance(read, ImportedRow):
                problems.append(read or Problem(raw.line, "the line cannot be read"))
                self._bad.set()
                checking = True
                continue
            canonical = reader.canonical(read)
            outcome = reader.outcome_fields(read, recorded_at=self._recorded_at)
            if not entries:
                _check_template(reader, read, canonical)
            if outcome is not None and not outcome_checked:
                _check_outcome_template(reader, read, outcome, self._recorded_at)
                outcome_checked = True
            entries.append(self._prepare(read.created_at, canonical, reader.columns(read), read.attributes, outcome))
        gc.collect(1)  # see _young_collections_only
        return _Chunk(count, piece.lines[-1][0], [] if problems else entries, problems)


@contextmanager
def _young_collections_only() -> Iterator[None]:
    """The cyclic garbage collector paused for the pass (in this process, and in the workers
    it forks): a million rows' records, batches and unpickled chunks are long-lived enough to
    be scanned again and again, which cost a sixth of the import. Each chunk read ends with a
    collection of the young objects instead (what a chunk left as cyclic garbage — a
    remembered refusal's traceback — is collected there, so memory stays bounded)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _BadRows(Exception):
    """Raised through the writing transaction to roll it back: the file had a bad row."""


@dataclass
class _Seen:
    """What the pass has met so far (rows, and the bad ones: the first MAX_PROBLEMS listed)."""

    rows: int = 0
    bad: int = 0
    problems: list[Problem] = field(default_factory=list)

    def note(self, problem: Problem | None) -> None:
        if problem is None:
            return
        self.bad += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


def _line_count(path: Path) -> int:
    """The file's lines, counted in bytes (a fraction of a second for a million rows)."""
    count = last = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1]
    return count + (1 if last not in (0, 10) else 0)


def _check_template(reader: RowReader, row: ImportedRow, canonical: str) -> None:
    """The fast JSON must be the model's stored form (its JSON without defaults), byte for byte,
    read back into the very record, and the columns read off the row those its JSON gives (a
    template gone stale would otherwise store records the model does not describe)."""
    record = reader.record(row)
    payload = without_defaults(record.model_dump(mode="json", exclude=CHAIN_FIELDS))
    if (canonical_json(payload) != canonical or query_columns(payload) != reader.columns(row)
            or attributes_of(payload) != row.attributes or DecisionRecord.from_stored(payload) != record):
        raise RuntimeError("the imported record template disagrees with DecisionRecord; nothing was imported")


def _check_outcome_template(reader: RowReader, row: ImportedRow, outcome: tuple[dict[str, Any], str],
                            recorded_at: datetime) -> None:
    """The same for the row's outcome: its fields and JSON must be the model's."""
    record = reader.outcome(row, recorded_at=recorded_at)
    assert record is not None
    fields, canonical = outcome
    if (fields != record.model_dump(exclude=CHAIN_FIELDS)
            or canonical != canonical_json(record.model_dump(mode="json", exclude=CHAIN_FIELDS))):
        raise RuntimeError("the imported outcome template disagrees with OutcomeRecord; nothing was imported")


def _prefetched(items: Iterator[Any], *, depth: int) -> Iterator[Any]:
    """`items`, produced in a worker thread up to `depth` ahead; its exception is raised here.
    Closing this generator (the consumer failed) stops the producer at its next item."""
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                queue.put((True, item))
            queue.put((False, None))
        except BaseException as exc:  # noqa: BLE001 — handed to the consumer, raised there
            queue.put((False, exc))

    worker = threading.Thread(target=produce, name="import-reader", daemon=True)
    worker.start()
    try:
        while True:
            more, item = queue.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                queue.get(timeout=0.1)
            except Empty:
                pass
        worker.join()


