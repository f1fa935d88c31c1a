"""No raw PII anywhere, on SQLite and PostgreSQL: known values (English and Chinese names,
phones, e-mails, a Chinese resident ID, card numbers, a customer id and a conversation id) go
through every path a request can take; then the WHOLE database (every table, every text,
JSON and bytes column), the logs (caplog, and what the process wrote to stdout and stderr) and
every reader's answer are searched for each value. Zero hits.

Paths and readers are registries: a new way in (e.g. `govgate decisions import`) or out is one
`@path` / `@reader` function. A path returns the responses whose bodies must not echo a value
(refusals; answers legitimately hold the caller's own restored values).

Hex digests (record hashes, keyed HMACs, decision ids) are taken out of every text before it
is searched, so a digest that happens to hold a value's digits is no false hit.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import SUPPORT_HEADERS, Gateway, _postgres_database
from tests.gateway.hostile_upstream import PLAIN_ANSWER, HostileUpstream, chunk, hostile_gateway

EN_NAME, ZH_NAME = "Maria Gonzalez", "张伟"
EN_PHONE, ZH_PHONE = "+1 415 555 0134", "13800138000"
EN_EMAIL, ZH_EMAIL = "maria.gonzalez@example.com", "zhangwei.shenzhen@example.cn"
RESIDENT_ID = "11010519491231002X"
VISA, UNIONPAY = "4111 1111 1111 1111", "6222021234567890128"
CUSTOMER_ID, CONVERSATION_ID = "customer-7741-9923-4410", "conversation-5531-8827-0196"
OUTCOME_ID = f"refund.{ZH_PHONE}"

TEXT_VALUES = (EN_NAME, ZH_NAME, EN_PHONE, ZH_PHONE, EN_EMAIL, ZH_EMAIL, RESIDENT_ID, VISA, UNIONPAY)
ALL_VALUES = (*TEXT_VALUES, CUSTOMER_ID, CONVERSATION_ID, OUTCOME_ID)
MESSAGE = (f"Hi, this is {EN_NAME}, call me on {EN_PHONE} or write to {EN_EMAIL}; card {VISA}. "
           f"我是{ZH_NAME}，手机{ZH_PHONE}，邮箱{ZH_EMAIL}，身份证号码{RESIDENT_ID}，银行卡号{UNIONPAY}。")
ECHO = f"Noted: {EN_NAME}, {EN_PHONE}, {EN_EMAIL}, {VISA}; {ZH_NAME} {ZH_PHONE} {ZH_EMAIL} {RESIDENT_ID} {UNIONPAY}"
MAX_BODY = 64 * 1024
# A run of 12 or more hex digits with a letter in it, as digests are (a 64-digit digest of
# digits alone has odds of 1 in 10^13): long digit runs (cards, resident ids) stay searchable.
HEX_DIGEST = re.compile(r"(?<![0-9a-fA-F])(?=[0-9]*[a-fA-F])[0-9a-fA-F]{12,}(?![0-9a-fA-F])")


def forms(value: str) -> set[str]:
    """The ways a value can be written down: as sent, JSON-escaped, and its digits alone."""
    found = {value, json.dumps(value)[1:-1], value.lower()}
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 8:
        found.add(digits)
    return found


def hits(where: str, text: str, values: tuple[str, ...] = ALL_VALUES) -> list[str]:
    text = HEX_DIGEST.sub("#", text)
    lowered = text.lower()
    return [f"{where}: {value!r}" for value in values for form in forms(value)
            if form in text or form.lower() in lowered]


# --- the world the paths run in ----------------------------------------------------------


@dataclass
class World:
    gateway: Gateway
    upstream: HostileUpstream
    officer_key: str = ""
    decision_ids: list[str] = field(default_factory=list)

    def headers(self, key: str | None = None, **extra: str) -> dict[str, str]:
        return {**SUPPORT_HEADERS, "authorization": f"Bearer {key or self.gateway.bot_key}",
                "X-Customer-Id": CUSTOMER_ID, "X-Conversation-Id": CONVERSATION_ID, **extra}

    def post(self, path: str, body: dict | bytes, *, key: str | None = None, **extra: str) -> httpx.Response:
        content = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        response = httpx.post(self.gateway.base_url + path, content=content, timeout=60,
                              headers={"content-type": "application/json", **self.headers(key, **extra)})
        if "x-decision-id" in response.headers:
            self.decision_ids.append(response.headers["x-decision-id"])
        return response


CHAT = {"model": "demo-chat", "messages": [{"role": "user", "content": MESSAGE}]}
PATHS: list[Callable[[World], list[httpx.Response]]] = []
READERS: list[Callable[[World], Iterator[tuple[str, str]]]] = []


def path(function: Callable[[World], list[httpx.Response]]) -> Callable[[World], list[httpx.Response]]:
    PATHS.append(function)
    return function


def reader(function: Callable[[World], Iterator[tuple[str, str]]]) -> Callable[[World], Iterator[tuple[str, str]]]:
    READERS.append(function)
    return function


# --- every way in ----------------------------------------------------------------------------


@path
def plain_and_streamed(world: World) -> list[httpx.Response]:
    for body in (CHAT, {**CHAT, "stream": True}):
        assert world.post("/chat/completions", body).status_code == 200
    world.upstream.embeddings = {"object": "list", "model": "m", "usage": {"prompt_tokens": 1, "total_tokens": 1},
                                 "data": [{"object": "embedding", "index": 0, "embedding": [0.5, -0.5]}]}
    embedded = world.post("/embeddings", {"model": "demo-embed", "input": MESSAGE})
    assert embedded.status_code == 200, embedded.text
    return []


@path
def denied(world: World) -> list[httpx.Response]:
    response = world.post("/chat/completions", CHAT, **{"X-Purpose": "profiling"})
    assert response.status_code == 403
    return [response]


@path
def refused(world: World) -> list[httpx.Response]:
    responses = [
        world.post("/chat/completions", CHAT, key=f"gg_{ZH_PHONE}"),  # 401, a made-up key
        world.post("/chat/completions", json.dumps(CHAT, ensure_ascii=False).encode()[:-2]),  # 400, cut short
        world.post("/chat/completions", {**CHAT, "temperature": MESSAGE}),  # 400, a bad field
        world.post("/chat/completions", CHAT, **{"X-Customer-Attributes": f"email={EN_EMAIL}"}),  # 400, a header
        world.post("/chat/completions", {**CHAT, "messages": [{"role": "user", "content": MESSAGE * 400}]}),  # 413
        world.post("/pii/redact", {"text": MESSAGE, "language": RESIDENT_ID}),  # 400
    ]
    assert [r.status_code for r in responses] == [401, 400, 400, 400, 413, 400], [r.text for r in responses]
    return responses


@path
def upstream_error(world: World) -> list[httpx.Response]:
    world.upstream.status = 500
    try:
        responses = [world.post("/chat/completions", CHAT), world.post("/chat/completions", {**CHAT, "stream": True})]
    finally:
        world.upstream.status = 200
    assert [r.status_code for r in responses] == [502, 502]
    return responses


@path
def output_scan(world: World) -> list[httpx.Response]:
    """An upstream that answers with PII the request never sent."""
    world.upstream.answer = {**PLAIN_ANSWER, "choices": [
        {"index": 0, "message": {"role": "assistant", "content": ECHO}, "finish_reason": "stop"}]}
    world.upstream.events = [chunk({"role": "assistant", "content": ""}), chunk({"content": ECHO[:30]}),
                             chunk({"content": ECHO[30:]}), chunk({}, "stop")]
    question = {"model": "demo-chat", "messages": [{"role": "user", "content": "What do you know about me?"}]}
    try:
        responses = [world.post("/chat/completions", question, **{"X-Purpose": "marketing"}),
                     world.post("/chat/completions", {**question, "stream": True}, **{"X-Purpose": "marketing"})]
    finally:
        world.upstream.answer, world.upstream.events = PLAIN_ANSWER, []
    assert [r.status_code for r in responses] == [200, 200]
    return responses  # marketing gets nothing personal back: the answers must not hold a value


@path
def pii_api(world: World) -> list[httpx.Response]:
    assert world.post("/pii/redact", {"text": MESSAGE}).status_code == 200
    assert world.post("/pii/analyze", {"text": MESSAGE}).status_code == 200
    return []


@path
def outcomes(world: World) -> list[httpx.Response]:
    decision = world.decision_ids[0]
    good = world.post("/outcomes", {"outcome_id": OUTCOME_ID, "decision_id": decision, "outcome": "resolved"})
    assert good.status_code == 201, good.text
    on_conversation = world.post("/outcomes", {"outcome_id": f"{OUTCOME_ID}.2", "conversation_id": CONVERSATION_ID,
                                               "outcome": "resolved", "csat": 4})
    assert on_conversation.status_code == 201, on_conversation.text
    refused = [
        world.post("/outcomes", {"outcome_id": EN_EMAIL, "decision_id": decision, "outcome": "resolved"}),
        world.post("/outcomes", {"outcome_id": "o-1", "decision_id": decision, "outcome": MESSAGE}),
        world.post("/outcomes", {"outcome_id": "o-2", "decision_id": decision, "outcome": "resolved",
                                 "note": MESSAGE}),
        world.post("/outcomes", {"outcome_id": "o-3", "conversation_id": ZH_PHONE + "@" + ZH_NAME,
                                 "outcome": "resolved"}),
        # A site's own outcome code is a word, not a place for a number.
        world.post("/outcomes", {"outcome_id": "o-4", "decision_id": decision, "outcome": f"site:call_{ZH_PHONE}"}),
        world.post("/outcomes", {"outcome_id": "o-5", "decision_id": decision,
                                 "outcome": "site:card_" + VISA.replace(" ", "_")}),
    ]
    assert [r.status_code for r in refused] == [400] * 6, [r.text for r in refused]
    return refused


@path
def imported(world: World) -> list[httpx.Response]:
    """`govgate decisions import`: a file holding the raw ids imports (they are stored as keyed
    hashes); a file with values in the wrong places is refused, naming lines, not values."""
    import csv

    from gateway.import_pass import import_file
    from gateway.importing import COLUMNS, reader_for

    services = world.gateway.services()
    reader = reader_for(world.gateway.settings, holds_pii=lambda text: bool(services.detector.analyze(text)))
    folder = Path(world.gateway.settings.data_dir)
    good = {"timestamp": "2026-11-02T09:00:00Z", "conversation_id": CONVERSATION_ID, "customer_id": CUSTOMER_ID,
            "region": "EU", "attributes": "gender=female", "channel": "chat", "language": "en", "model": EN_NAME,
            "outcome": "resolved", "csat": "4", "source": "legacy-bot"}
    bad = [{**good, "customer_id": CUSTOMER_ID + "\x07"}, {**good, "attributes": f"email={EN_EMAIL}"},
           {**good, "region": ZH_PHONE}, {**good, "outcome": f"site:call_{ZH_PHONE}"},
           {**good, "conversation_id": f"{ZH_NAME} {RESIDENT_ID}\x00"}, {**good, "model": MESSAGE * 3}]
    answers = []
    for name, rows_ in (("good.csv", [good, {**good, "timestamp": "2026-11-02T09:00:05Z"}]), ("bad.csv", bad)):
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(COLUMNS)
            out.writerows([row.get(column, "") for column in COLUMNS] for row in rows_)
        report = import_file(folder / name, "csv", reader=reader, engine=services.database, workers=0)
        assert report.ok == (name == "good.csv"), report
        assert report.bad_rows == (0 if report.ok else len(bad)), report
        # What the command prints (its --json report), as an answer that must not echo a value.
        answers.append(httpx.Response(200 if report.ok else 400, json={
            "imported": report.imported, "problems": [[p.line, p.reason] for p in report.problems]}))
    return answers


@path
def audits(world: World) -> list[httpx.Response]:
    """A bias audit over everything the paths above recorded (after them: it reads them), its
    report and files stored; and one asked for with a personal value as its reference group."""
    import time

    officer = {"authorization": f"Bearer {world.officer_key}"}
    base = world.gateway.base_url
    refused = httpx.post(base + "/audits", headers=officer, timeout=60,
                         json={"since": "1000w", "reference": {"gender": EN_NAME}})
    assert refused.status_code == 400, refused.text
    asked = httpx.post(base + "/audits", headers=officer, timeout=60, json={"since": "1000w"})
    assert asked.status_code == 202, asked.text
    deadline = time.monotonic() + 240
    while (audit := httpx.get(f"{base}/audits/{asked.json()['id']}", headers=officer, timeout=60)).json()[
            "status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert audit.json()["status"] == "done", audit.text
    files = [httpx.get(base + f["url"].removeprefix("/v1"), headers=officer, timeout=60) for f in audit.json()["files"]]
    return [refused, asked, audit, *files]


# --- every way out ---------------------------------------------------------------------------


@reader
def decision_api(world: World) -> Iterator[tuple[str, str]]:
    officer = {"authorization": f"Bearer {world.officer_key}"}
    base = world.gateway.base_url
    listed = httpx.get(base + "/decisions", params={"limit": 500}, headers=officer, timeout=60)
    assert listed.status_code == 200 and len(listed.json()["data"]) >= len(set(world.decision_ids)) - 1
    yield "GET /v1/decisions", listed.text
    for decision_id in sorted(set(world.decision_ids)):
        one = httpx.get(f"{base}/decisions/{decision_id}", headers=officer, timeout=60)
        yield f"GET /v1/decisions/{decision_id}", one.text
        for lang in ("en", "zh"):
            explained = httpx.get(f"{base}/decisions/{decision_id}/explanation", params={"lang": lang},
                                  headers=officer, timeout=60)
            assert explained.status_code == 200, explained.text
            yield f"GET /v1/decisions/{decision_id}/explanation?lang={lang}", explained.text
    verified = httpx.get(base + "/decisions/verify", headers=officer, timeout=60)
    assert verified.json()["ok"] is True, verified.text
    yield "GET /v1/decisions/verify", verified.text


@reader
def outcome_reads(world: World) -> Iterator[tuple[str, str]]:
    log = world.gateway.services().decision_log
    yield "DecisionLog.window_with_outcomes", json.dumps(
        [(r.model_dump(mode="json"), [o.model_dump(mode="json") for o in os]) for r, os in log.window_with_outcomes()],
        ensure_ascii=False)
    yield "DecisionLog.outcomes_for", json.dumps(
        [o.model_dump(mode="json") for d in world.decision_ids for o in log.outcomes_for(d)], ensure_ascii=False)
    yield "DecisionLog.batches", json.dumps(list(log.batches(with_outcomes=True)), ensure_ascii=False, default=str)


@reader
def exports(world: World) -> Iterator[tuple[str, str]]:
    from gateway.export import write_jsonl, write_opa

    log = world.gateway.services().decision_log
    for name, write in (("opa", write_opa), ("jsonl", write_jsonl)):
        out = io.StringIO()
        assert write(log, out) >= len(set(world.decision_ids)) - 1
        yield f"govgate decisions export --format {name}", out.getvalue()


# --- the search ------------------------------------------------------------------------------


def database_texts(engine: sa.Engine) -> Iterator[tuple[str, str]]:
    """Every value of every column of every table, as text (JSON both ways, bytes decoded)."""
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                for column, value in row._mapping.items():
                    where = f"{table.name}.{column}"
                    if isinstance(value, bytes | memoryview):
                        yield where, bytes(value).decode("utf-8", errors="replace")
                    elif isinstance(value, dict | list):
                        yield where, json.dumps(value, ensure_ascii=False)
                        yield where, json.dumps(value)
                    elif value is not None:
                        yield where, str(value)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          pii_engine) -> Iterator[World]:  # type: ignore[no-untyped-def]
    tmp = Path(tmp_path_factory.mktemp(f"no-raw-pii-{request.param}"))
    urls = iter([None]) if request.param == "sqlite" else _postgres_database()
    for database_url in urls:
        for gateway, upstream in hostile_gateway(tmp, pii_engine, database_url=database_url, max_body_bytes=MAX_BODY,
                                                 rate_limit_per_minute=100_000):
            world = World(gateway, upstream)
            world.officer_key = gateway.officer_key
            yield world


def test_no_raw_value_is_stored_logged_or_read_back(world: World, caplog: pytest.LogCaptureFixture,
                                                    capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.INFO)
    found: list[str] = []
    for send in PATHS:
        for response in send(world):
            found += hits(f"{send.__name__} answer {response.status_code}", response.text)
    tables = set()
    for where, text in database_texts(world.gateway.services().database):
        tables.add(where.split(".")[0])
        found += hits(where, text)
    # The search saw the rows that would hold a value, were one kept.
    assert {"decisions", "decision_attributes", "outcomes", "vault_entries", "api_keys", "audits",
            "audit_files"} <= tables
    for read in READERS:
        for where, text in read(world):
            found += hits(f"{read.__name__} {where}", text)
    out, err = capfd.readouterr()
    found += hits("stdout", out) + hits("stderr", err)
    found += hits("caplog", "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records))
    assert len(world.decision_ids) >= 15
    assert found == []


def test_the_values_are_found_where_they_are_meant_to_be() -> None:
    """The search itself finds each value (and only past its digests)."""
    for value in ALL_VALUES:
        assert hits("here", f"before {value} after") and hits("here", json.dumps({"v": value}))
    assert hits("here", "card 4111111111111111") and hits("here", "手机 13800138000")
    assert hits("here", "a3f0" + "13800138000" + "b" * 20) == []  # inside a hex digest
    assert hits("here", "f" * 64 + " 11010519491231002X " + "0" * 8) != []
    assert hits("here", "dec_0a1b2c3d4e5f60718293a4b5c6d7e8f9 2026-12-03T12:58:11.123456Z 12.345") == []
