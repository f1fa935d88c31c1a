"""`govgate decisions export` and `purge` on SQLite and PostgreSQL, against records a real
gateway wrote: OPA events that parse and carry OPA's fields, JSON lines and Parquet that read
back equal to the records, window bounds, an empty window, no raw PII in any output, and a
purge (refused below the retention period, then forced) after which verify still passes."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
from click.testing import CliRunner
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.cli import main
from gateway.decision import DecisionRecord
from gateway.export import (OPA_PATH, PARQUET_COLUMNS, PARQUET_SCHEMA, Window, opa_event, write_jsonl, write_opa,
                            write_parquet)
from gateway.policy.documents import PolicyInput, PolicyResult
from gateway.store.decision_log import DecisionLog
from gateway.store.ledger import DecisionLedger
from tests.conftest import POLICY_DIR, SUPPORT_HEADERS, Gateway, database_for, start_gateway

MARIA = "I am Maria Gonzalez, maria.gonzalez@example.com, +1 415 555 0134, card 4111 1111 1111 1111"
RAW = ("Maria Gonzalez", "Gonzalez", "maria.gonzalez@example.com", "415 555 0134", "4111 1111 1111 1111",
       "4111111111111111", "cust-0042", "conv-secret-7781", "13800138000")
ZH = "我的手机13800138000，请回电"
OPA_FIELDS = {"decision_id", "path", "input", "result", "timestamp", "bundles", "metrics", "erased", "masked",
              "labels", "requested_by"}


@dataclass
class Site:
    gateway: Gateway
    database_url: str


def _send_traffic(gateway: Gateway) -> None:
    """Decisions with PII in every place a caller can put it, and refusals before the policy."""
    headers = {**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}", "X-Conversation-Id": "conv-secret-7781"}
    for content in (MARIA, ZH, "hello"):
        response = httpx.post(gateway.base_url + "/chat/completions", headers=headers, timeout=60,
                              json={"model": "demo-chat", "messages": [{"role": "user", "content": content}]})
        assert response.status_code == 200, response.text
    assert httpx.post(gateway.base_url + "/pii/redact", headers=headers, json={"text": MARIA},
                      timeout=60).status_code == 200
    # Refused before the policy ran: no key, and a body that is not JSON.
    assert httpx.post(gateway.base_url + "/chat/completions", json={"messages": [{"role": "user", "content": MARIA}]},
                      timeout=30).status_code == 401
    assert httpx.post(gateway.base_url + "/chat/completions", content=b"{" + MARIA.encode(), timeout=30,
                      headers={**headers, "content-type": "application/json"}).status_code == 400


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pii_engine,  # type: ignore[no-untyped-def]
         upstream: str) -> Iterator[Site]:
    tmp = Path(tmp_path_factory.mktemp(f"export-{request.param}"))
    with database_for(request.param, tmp) as url:
        gateway, server = start_gateway(tmp, pii_engine=pii_engine, upstream_url=upstream, database_url=url,
                                        rate_limit_per_minute=100_000)
        try:
            _send_traffic(gateway)
            yield Site(gateway, url)
        finally:
            server.stop()


def govgate(site: Site, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "GOVGATE_DATA_DIR": str(site.gateway.settings.data_dir),
                   "GOVGATE_POLICY_DIR": str(POLICY_DIR), "GOVGATE_DATABASE_URL": site.database_url, **env}
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], env=environment, capture_output=True,
                          text=True, check=check, timeout=300)


def records(site: Site) -> list[DecisionRecord]:
    return list(site.gateway.services().decision_log.window())


def _pii_free(text: str) -> None:
    leaked = [value for value in RAW if value in text]
    assert not leaked, f"raw PII in an export: {leaked}"


# --- formats ---------------------------------------------------------------------------------


def test_opa_events_parse_and_carry_opas_fields(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    result = govgate(site, "decisions", "export", "--since", "1d", "--format", "opa", "--out", str(out))
    assert "exported" in result.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    stored = {r.decision_id: r for r in records(site)}
    events = [json.loads(line) for line in lines]
    # Every decision is an event, the ones the policy never saw included.
    assert [e["decision_id"] for e in events] == list(stored)
    for event in events:
        record = stored[event["decision_id"]]
        assert OPA_FIELDS <= set(event) and event["path"] == OPA_PATH == "govgate/decision"
        assert datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")) == record.created_at
        assert event["timestamp"].endswith("Z")
        assert event["labels"]["app"] == "govgate" and {"id", "version"} <= set(event["labels"])
        assert all(isinstance(v, int) and v >= 0 for v in event["metrics"].values())
        assert all(p.startswith("/") for p in event["erased"] + event["masked"])
        assert event["govgate"]["seq"] == record.seq and event["govgate"]["record_hash"] == record.record_hash
        if record.policy.result is not None:
            assert PolicyInput.model_validate(event["input"]) == record.policy.input
            assert PolicyResult.model_validate(event["result"]) == record.policy.result
            assert event["bundles"] == {"govgate": {"revision": record.policy.bundle_hash}}
            assert event["metrics"]["timer_rego_query_eval_ns"] == round(record.timings.policy * 1e6)
            assert "error" not in event
        else:
            assert event["result"] is None and event["error"]["code"] and "timer_rego_query_eval_ns" not in event[
                "metrics"]
    refused = [e for e in events if e["result"] is None]
    assert {e["govgate"]["status_code"] for e in refused} >= {400, 401}
    # The customer's id and conversation were masked, their attributes kept from the upstream.
    maria = next(e for e in events if e["govgate"]["kind"] == "chat" and e["result"] is not None)
    assert {"/headers/x-customer-id", "/headers/x-conversation-id"} <= set(maria["masked"])
    assert "/upstream/headers/x-customer-attributes" in maria["erased"]
    # Without --out: the same events on stdout.
    stdout = govgate(site, "decisions", "export", "--since", "1d", "--format", "opa", "--instance-id", "gw-eu-1").stdout
    assert [json.loads(line)["decision_id"] for line in stdout.splitlines()] == list(stored)
    assert {json.loads(line)["labels"]["id"] for line in stdout.splitlines()} == {"gw-eu-1"}


def test_jsonl_is_the_stored_records_with_their_outcomes(site: Site) -> None:
    decision = records(site)[0]
    outcome = httpx.post(site.gateway.base_url + "/outcomes", timeout=30,
                         headers={"authorization": f"Bearer {site.gateway.bot_key}"},
                         json={"decision_id": decision.decision_id, "outcome_id": f"o-{decision.decision_id}",
                               "outcome": "refund_granted", "csat": 4})
    assert outcome.status_code in (200, 201), outcome.text
    stored = records(site)
    lines = govgate(site, "decisions", "export", "--since", "2000-01-01", "--format", "jsonl").stdout.splitlines()
    exported = [json.loads(line) for line in lines]
    assert [DecisionRecord.model_validate({k: v for k, v in e.items() if k not in ("outcomes", "benchmark")})
            for e in exported] == stored
    assert [(o["outcome"], o["csat"]) for o in exported[0]["outcomes"]] == [("refund_granted", 4)]
    assert all(e["outcomes"] == [] for e in exported[1:])


def test_parquet_reads_back_equal_to_the_records(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "decisions.parquet"
    govgate(site, "decisions", "export", "--since", "1d", "--format", "parquet", "--out", str(out))
    table = pq.read_table(out)
    assert table.schema.equals(PARQUET_SCHEMA)
    rows = table.to_pylist()
    stored = records(site)
    assert [r["decision_id"] for r in rows] == [r.decision_id for r in stored]
    for row, record in zip(rows, stored, strict=True):
        assert row["seq"] == record.seq and row["created_at"] == record.created_at
        assert (row["caller"], row["kind"], row["status_code"], row["allowed"], row["stage"]) == (
            record.caller, record.kind, record.status_code, record.allowed, record.stage)
        assert dict(row["customer_attributes"]) == record.customer_attributes
        assert row["finding_entity_types"] == [f.entity_type for f in record.findings]
        assert row["reason_rule_ids"] == [r.rule_id for r in record.reasons]
        assert row["policy_bundle_hash"] == record.policy.bundle_hash
        for name in ("total", "pii", "policy", "upstream_ttft", "overhead", "client_total"):
            assert row[f"timings_{name}"] == getattr(record.timings, name)
        assert (row["features_language"], row["features_prompt_chars"]) == (record.features.language,
                                                                           record.features.prompt_chars)
        assert row["record_hash"] == record.record_hash
        result = row["policy_result"]
        assert (PolicyResult.model_validate_json(result) if result else None) == record.policy.result
    assert "gold" in {dict(r["customer_attributes"] or []).get("segment") for r in rows}


def test_no_raw_pii_in_any_export(site: Site, tmp_path: Path) -> None:
    for fmt in ("opa", "jsonl"):
        _pii_free(govgate(site, "decisions", "export", "--since", "1d", "--format", fmt).stdout)
    out = tmp_path / "all.parquet"
    govgate(site, "decisions", "export", "--since", "1d", "--format", "parquet", "--out", str(out))
    _pii_free(json.dumps(pq.read_table(out).to_pylist(), default=str, ensure_ascii=False))
    _pii_free(out.read_bytes().decode("latin-1"))


def test_bad_arguments_are_clear_errors(site: Site) -> None:
    result = govgate(site, "decisions", "export", "--since", "1d", "--format", "parquet", check=False)
    assert result.returncode == 2 and "--out" in result.stderr and "Traceback" not in result.stderr
    result = govgate(site, "decisions", "export", "--since", "1d", "--until", "2d", "--format", "opa", check=False)
    assert result.returncode == 2 and "before --since" in result.stderr


@pytest.mark.parametrize("since", ["yesterday", "7w", "2026-13-45", "", "\u0661\u0662d", "\u00b2d", "-3d",
                                   "99999999999999d", "9" * 400 + "d", "2026-01-01T25:00", "\u202e3d", "d"])
def test_a_bad_time_is_a_usage_error(since: str) -> None:
    """Refused while the options are read, before the database is opened."""
    for command in (["export", "--format", "opa", "--since", since], ["purge", "--yes", "--before", since]):
        result = CliRunner().invoke(main, ["decisions", *command])
        assert result.exit_code == 2 and "Invalid value" in result.output, (since, result.output)
        assert not isinstance(result.exception, OverflowError | ValueError)


# --- windows, on records with known times ------------------------------------------------------

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _write(database, count: int) -> list[DecisionRecord]:  # type: ignore[no-untyped-def]
    async def run() -> list[DecisionRecord]:
        ledger = DecisionLedger(database)
        await ledger.start()
        try:
            return [await ledger.record(DecisionRecord(
                decision_id=f"dec_{i:032x}", created_at=T0 + timedelta(hours=i), kind="chat", caller="bot",
                status_code=200, allowed=True, stage="completed", customer_attributes={"segment": f"s{i % 3}"}))
                for i in range(count)]
        finally:
            await ledger.close()

    return asyncio.run(run())


def _exports(log: DecisionLog, window: Window, tmp_path: Path) -> tuple[list[str], list[str], list[str]]:
    opa, jsonl = io.StringIO(), io.StringIO()
    write_opa(log, opa, window)
    write_jsonl(log, jsonl, window)
    write_parquet(log, tmp_path / "w.parquet", window, size=3)
    return ([json.loads(line)["decision_id"] for line in opa.getvalue().splitlines()],
            [json.loads(line)["decision_id"] for line in jsonl.getvalue().splitlines()],
            pq.read_table(tmp_path / "w.parquet").column("decision_id").to_pylist())


def test_window_bounds_since_inclusive_until_exclusive(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    written = _write(database, 10)
    log = DecisionLog(database, page_size=4)
    window = Window(since=T0 + timedelta(hours=2), until=T0 + timedelta(hours=7))
    expected = [r.decision_id for r in written[2:7]]
    assert _exports(log, window, tmp_path) == (expected, expected, expected)
    # A bound in another zone is the same instant.
    shifted = Window(since=(T0 + timedelta(hours=2)).astimezone(timezone(timedelta(hours=8))),
                     until=T0 + timedelta(hours=7))
    assert _exports(log, shifted, tmp_path)[0] == expected
    # Parquet written in batches of 3 equals the records.
    assert pq.read_table(tmp_path / "w.parquet").num_rows == 5


def test_an_empty_window_exports_nothing_but_a_valid_parquet_file(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _write(database, 3)
    log = DecisionLog(database)
    window = Window(since=T0 + timedelta(days=30))
    assert _exports(log, window, tmp_path) == ([], [], [])
    table = pq.read_table(tmp_path / "w.parquet")
    assert table.num_rows == 0 and table.schema.equals(PARQUET_SCHEMA)
    assert [c.name for c in PARQUET_COLUMNS] == table.column_names


def test_an_imported_record_without_a_policy_is_still_an_event() -> None:
    record = DecisionRecord(decision_id="dec_imported", created_at=T0, kind="chat", source="imported",
                            status_code=200, seq=7)
    event = opa_event(record)
    assert event["result"] is None and event["input"] is None and event["bundles"] == {}
    assert event["error"]["message"] == "no policy decision: an imported record"
    assert event["govgate"]["source"] == "imported"


# --- purge through the CLI, on a live gateway --------------------------------------------------


def test_purge_is_refused_below_the_retention_period_then_forced_and_verify_passes(
        tmp_path: Path, pii_engine, upstream: str, database_url: str) -> None:  # type: ignore[no-untyped-def]
    gateway, server = start_gateway(tmp_path, pii_engine=pii_engine, upstream_url=upstream, database_url=database_url)
    site = Site(gateway, database_url)
    try:
        _send_traffic(gateway)
        before = len(records(site))
        refused = govgate(site, "decisions", "purge", "--before", "0d", "--yes", check=False)
        assert refused.returncode == 1 and "retention period (365 days" in refused.stderr
        assert len(records(site)) == before
        # A shorter configured period is still at least 183 days.
        short = govgate(site, "decisions", "purge", "--before", "100d", "--yes", check=False,
                        GOVGATE_RETENTION_DAYS="90")
        assert short.returncode != 0 and len(records(site)) == before
        # Without --yes, a "no" at the prompt deletes nothing.
        assert govgate(site, "decisions", "purge", "--before", "0d", "--force", check=False).returncode == 1
        assert len(records(site)) == before

        done = json.loads(govgate(site, "decisions", "purge", "--before", "0d", "--force", "--yes", "--json").stdout)
        assert done["decisions_removed"] == before and done["forced"] is True and done["signature"]
        assert records(site) == []
        verified = json.loads(govgate(site, "decisions", "verify", "--json").stdout)
        assert verified["ok"] and verified["checkpoints"] == 1
        # The gateway goes on recording; the API's verify (the gateway's own key) agrees.
        _send_traffic(gateway)
        api = httpx.get(gateway.base_url + "/decisions/verify", timeout=30,
                        headers={"authorization": f"Bearer {gateway.officer_key}"}).json()
        assert api["ok"] and api["checked"] == len(records(site)) > 0
        assert "retention checkpoints: 1" in govgate(site, "decisions", "verify").stdout
        # Under another HMAC key the checkpoint is not this gateway's: verify fails, and says why.
        other = govgate(site, "decisions", "verify", check=False, GOVGATE_HMAC_KEY="another-key")
        assert other.returncode == 1 and "NOT VERIFIED" in other.stdout
    finally:
        server.stop()



_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=60, deadline=None)
@given(caller=st.none() | _TEXT, purpose=st.none() | _TEXT, attributes=st.dictionaries(_TEXT, _TEXT, max_size=4),
       total=st.floats(0, 1e9), stage=st.sampled_from(["admission", "request", "completed"]))
def test_any_record_is_an_event_that_parses_back(caller: str | None, purpose: str | None,
                                                 attributes: dict[str, str], total: float, stage: str) -> None:
    record = DecisionRecord(decision_id="dec_x", created_at=T0, kind="chat", caller=caller, purpose=purpose,
                            customer_attributes=attributes, stage=stage, status_code=400, seq=1,
                            timings={"total": total})  # type: ignore[arg-type]
    line = json.dumps(opa_event(record), ensure_ascii=False, separators=(",", ":"))
    assert "\n" not in line  # one event per line, whatever the text
    event = json.loads(line)
    assert OPA_FIELDS <= set(event) and event["requested_by"] == (caller or "")
    assert event["metrics"]["timer_server_handler_ns"] == round(total * 1e6)
    assert "customer_attributes" not in line  # audit attributes stay out of SIEM events
