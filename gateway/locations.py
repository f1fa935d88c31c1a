"""Where a text sits in a JSON body, and scanning many short texts as one.

A `Location` is a path of keys and indexes, so it can address any key (a schema property
called `a.b[0]` included); its `str()` is the readable form the decision record stores:
`messages[0].content`, `tools[0].function.parameters.properties.city.description`, and a key
that is not a plain word quoted: `properties["a.b"]`.

An *identifier* (a tool name, a tool-call id, a schema property name) is scanned like any
text but never rewritten: changing it would break the call, so PII in it is refused.

Scanning has a fixed cost per text (a few milliseconds for the English pipeline) beside its
cost per character: a request made of hundreds of short texts (enum values, tool-call ids,
"Thanks") would cost seconds. `batch_texts` joins short texts into a `Batch` scanned once;
`unbatch` puts each finding back on the text it came from.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from gateway.pii.findings import Finding

Step = Union[str, int]
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Location:
    path: tuple[Step, ...]
    # Scanned, never rewritten: a finding whose action is not `allow` refuses the request.
    identifier: bool = field(default=False, compare=False)
    # The identifier is the last key of `path` itself (a property name), not the value under
    # it: a different location from the value's, though the path is the same.
    is_key: bool = False

    def __str__(self) -> str:
        return render(self.path)

    def child(self, *steps: Step) -> Location:
        return Location(self.path + steps)


def render(path: Sequence[Step], *, hidden: Collection[tuple[Step, ...]] = ()) -> str:
    """The readable form; a key whose path is in `hidden` (a name that holds PII) shows as `[*]`."""
    out: list[str] = []
    for i, step in enumerate(path):
        if hidden and tuple(path[:i + 1]) in hidden and isinstance(step, str):
            out.append("[*]")
        elif isinstance(step, int):
            out.append(f"[{step}]")
        elif _PLAIN_KEY.fullmatch(step):
            out.append(f".{step}" if out else step)
        else:
            out.append(f"[{json.dumps(step, ensure_ascii=True)}]")
    return "".join(out)


def identifier(path: tuple[Step, ...], *, is_key: bool = False) -> Location:
    return Location(path, identifier=True, is_key=is_key)


def replace_texts(body: dict[str, Any], replacements: dict[Location, str]) -> dict[str, Any]:
    """A copy of the body with the texts at the given locations replaced."""
    if not replacements:
        return body
    edited = copy.deepcopy(body)
    for location, text in replacements.items():
        steps = location.path
        target: Any = edited
        for step in steps[:-1]:
            target = target[step]
        target[steps[-1]] = text
    return edited


# --- batching -------------------------------------------------------------------------

# Texts up to this long are joined; longer ones are scanned alone (and cached alone, which
# matters for a conversation's history). A batch stays short enough for one cheap pass.
BATCH_TEXT_MAX_CHARS = 256
BATCH_MAX_CHARS = 4096
# A paragraph break: sentence and entity boundaries for the NER, no word glued to the next.
BATCH_SEPARATOR = "\n\n"
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Part:
    location: Location
    text: str  # as in the body (identifiers: as written, scanned in `scan_form`)
    start: int  # where the part starts in the batch's joined text
    end: int


@dataclass(frozen=True)
class Batch:
    """Several short texts scanned as one; the joined text is its scan text."""

    parts: tuple[Part, ...]

    def __str__(self) -> str:
        return f"batch of {len(self.parts)}"


Scan = tuple[Location | Batch, str]


def scan_form(location: Location, text: str) -> str:
    """What the detectors read. Identifiers read as words (`maria_gonzalez` → `maria gonzalez`);
    the same length, so spans still point into the identifier."""
    if location.identifier:
        return text.replace("_", " ").replace("-", " ")
    return text


def batch_texts(texts: Iterable[tuple[Location, str]]) -> list[Scan]:
    """Short texts joined into batches, long texts alone; empty texts need no scan.

    A batch never mixes messages: a conversation re-sends its history every turn, and each
    message's batch is then the same text as last turn, found in the detector's cache. The
    request's other texts (tools, schemas, stops: the same on every call of a bot) form their
    own batch. Han and non-Han texts are kept apart so each batch gets the right language."""
    scans: list[Scan] = []
    groups: dict[tuple[Any, ...], list[Part]] = {}

    def close(group: tuple[Any, ...]) -> None:
        parts = groups.pop(group, [])
        if len(parts) == 1:
            scans.append((parts[0].location, scan_form(parts[0].location, parts[0].text)))
        elif parts:
            scans.append((Batch(tuple(parts)), BATCH_SEPARATOR.join(scan_form(p.location, p.text) for p in parts)))

    for location, text in texts:
        if not text:
            continue
        if len(text) > BATCH_TEXT_MAX_CHARS:
            scans.append((location, scan_form(location, text)))
            continue
        group = (*_group(location), bool(_HAN.search(text)))
        parts = groups.get(group)
        start = parts[-1].end + len(BATCH_SEPARATOR) if parts else 0
        if start + len(text) > BATCH_MAX_CHARS:
            close(group)
            start = 0
        groups.setdefault(group, []).append(Part(location, text, start, start + len(text)))
    for group in list(groups):
        close(group)
    return scans


def _group(location: Location) -> tuple[Any, ...]:
    if location.path[:1] == ("messages",):
        return location.path[:2]
    return ("request",)


def unbatch(located: Iterable[tuple[Any, Finding]]) -> list[tuple[Location, Finding]]:
    """Each finding on the text it came from, spans relative to that text. A finding that
    runs over a separator is cut into the parts it covers (each part then acts on its share)."""
    found: list[tuple[Location, Finding]] = []
    for location, finding in located:
        if not isinstance(location, Batch):
            found.append((location, finding))
            continue
        for part in location.parts:
            start, end = max(finding.start, part.start), min(finding.end, part.end)
            if start < end:
                found.append((part.location, finding.model_copy(
                    update={"start": start - part.start, "end": end - part.start})))
    return found


def unbatch_texts(scans: Iterable[tuple[Any, str]]) -> list[tuple[Location, str]]:
    """(location, text) as in the body, batches opened up, in path order (deterministic:
    pseudonym tokens are numbered in this order)."""
    opened: list[tuple[Location, str]] = []
    for location, text in scans:
        if isinstance(location, Batch):
            opened.extend((part.location, part.text) for part in location.parts)
        else:
            opened.append((location, text))
    return sorted(opened, key=lambda item: _order(item[0]))


def _order(location: Location) -> tuple[Any, ...]:
    # Keys and indexes never meet at one position of two paths; the flag keeps sorting total.
    return (0, tuple((isinstance(step, str), step) for step in location.path))
