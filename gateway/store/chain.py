"""Hash chains: how a record joins one (`chain_hash`) and how a stored chain is checked (`walk`).

The decision ledger and the outcome table each keep their own chain, built the same way:
record_hash = sha256(prev_hash + canonical JSON of the record without its three chain fields),
the first record's prev_hash is the genesis hash, and a one-row head table holds the tip. The
writers (ledger.py, outcomes.py) hash the canonical text with `text_hash` and store that same
text (`stored_json`); the reader (decision_log.py) walks each chain with `walk`, which is
written once so both chains are checked by the same rules. After a
retention purge (gateway/store/retention.py) a chain starts at its signed checkpoint instead
of the genesis (gateway/store/checkpoint.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64
CHAIN_FIELDS = frozenset({"seq", "prev_hash", "record_hash"})


# json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False), its encoder
# built once (dumps builds one per call: a bulk import hashes millions).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(payload: Mapping[str, Any] | list[Any]) -> str:
    return _CANONICAL.encode(payload)


def chain_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    """`payload` without its chain fields, as `model_dump(mode="json", exclude=CHAIN_FIELDS)` gives it."""
    return text_hash(prev_hash, canonical_json(payload))


def text_hash(prev_hash: str, canonical: str) -> str:
    """`chain_hash` of a payload whose canonical JSON the writer holds already (it stores that text)."""
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def stored_json(canonical: str, seq: int, prev_hash: str, record_hash: str) -> str:
    """The stored text: the hashed JSON object with its three chain fields added at its end
    (readers parse it; `verify()` takes them out again and re-hashes the canonical rest)."""
    assert canonical.startswith("{") and canonical.endswith("}") and canonical != "{}"
    return f'{canonical[:-1]},"prev_hash":"{prev_hash}","record_hash":"{record_hash}","seq":{seq}}}'


@dataclass(frozen=True)
class ChainCheck:
    """What a walk found. `first_bad_id` names the first bad row (its decision id or outcome key)."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    first_bad_id: str | None = None


@dataclass(frozen=True)
class StoredLink:
    """One stored row as the walk sees it: its columns and the JSON that was hashed."""

    seq: int
    prev_hash: str
    record_hash: str
    stored: Mapping[str, Any]
    # The row's query columns, by name, as the database returned them.
    columns: Mapping[str, Any]
    name: str | None = None


# A query column and how to read the same fact from the hashed JSON (both normalised to compare).
ColumnCheck = Callable[[Any, Mapping[str, Any]], bool]


def walk(links: Iterable[StoredLink], head: tuple[int, str], column_checks: Mapping[str, ColumnCheck],
         start: tuple[int, str] = (0, GENESIS_HASH)) -> ChainCheck:
    """Recompute every hash from `start` over the stored JSON, in seq order.

    `start` is the genesis (seq 0, GENESIS_HASH), or the (seq, record hash) of the last
    record a purge removed, from a retention checkpoint whose signature the caller checked
    (gateway/store/checkpoint.py): the first record must then follow it.

    Catches an edited record (its hash), a deleted one (a gap in seq), an inserted or moved one
    (prev_hash, or its stored seq disagreeing with its row), a query column edited apart from
    the record (`column_checks`), and a cut-off tail or rows past the tip (the head row).
    """
    seq, prev = start
    checked = 0
    head_seq, head_hash = head
    if head_seq < seq:
        return ChainCheck(False, 0, head_seq, "the chain head lies before the retention checkpoint")
    for link in links:
        stored = link.stored
        problem = None
        if link.seq <= start[0]:
            problem = "a record lies in the purged range (at or before the retention checkpoint)"
        elif link.seq > head_seq:
            problem = "a record lies past the chain head (inserted after the last committed record)"
        elif link.seq != seq + 1:
            problem = "a record is missing before this one"
        elif stored.get("seq") != link.seq:
            problem = "the record was moved from its place in the chain"
        elif stored.get("prev_hash") != prev or link.prev_hash != prev:
            problem = "prev_hash does not match the previous record"
        elif chain_hash(prev, {k: v for k, v in stored.items() if k not in CHAIN_FIELDS}) != link.record_hash \
                or stored.get("record_hash") != link.record_hash:
            problem = "record content does not match its hash"
        elif not all(check(link.columns.get(name), stored) for name, check in column_checks.items()):
            problem = "the query columns disagree with the hashed record"
        if problem:
            return ChainCheck(False, checked, link.seq, problem, link.name)
        prev, seq, checked = link.record_hash, link.seq, checked + 1
    if (head_seq, head_hash) != (seq, prev):
        return ChainCheck(False, checked, seq + 1, "records after this point are missing (chain head is ahead)")
    return ChainCheck(True, checked)
