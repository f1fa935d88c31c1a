"""`govgate`: run the gateway, manage keys, work with PII and policies, benchmark.

Reads the same GOVGATE_* settings as the server. Commands that print results take --json.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from gateway.config import DEFAULT_HOST, DEFAULT_PORT, Settings


def _settings() -> Settings:
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    try:
        return Settings()
    except (ValidationError, SettingsError) as exc:
        # The reason (pydantic names the setting; values are never quoted: hide_input_in_errors).
        raise click.ClickException(f"the GOVGATE_* settings cannot be used: {exc}") from None


def _emit(value: Any, as_json: bool, render) -> None:  # type: ignore[no-untyped-def]
    if as_json:
        click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))
    else:
        render(value)


@click.group()
def main() -> None:
    """GovGate: the governance gateway for customer-service AI."""


# --- serving -----------------------------------------------------------------------------


@main.command()
@click.option("--host", default=None, help=f"Bind address (default GOVGATE_HOST or {DEFAULT_HOST}).")
@click.option("--port", type=int, default=None, help=f"Port (default GOVGATE_PORT or {DEFAULT_PORT}).")
@click.option("--workers", type=int, default=1, show_default=True,
              help="Gateway processes sharing the port (each loads its own PII models).")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Start the gateway."""
    import os

    import uvicorn

    from gateway.app import create_app

    settings = _settings()
    host, port = host or settings.host, port or settings.port
    if workers == 1:
        settings.host, settings.port = host, port
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False)
        return
    # Each worker process builds its app from the environment.
    os.environ.update(GOVGATE_HOST=host, GOVGATE_PORT=str(port))
    uvicorn.run("gateway.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", access_log=False)


@main.command("demo-upstream")
@click.option("--host", default="127.0.0.1")
@click.option("--port", type=int, default=8090)
def demo_upstream(host: str, port: int) -> None:
    """Run the demo OpenAI-compatible upstream on its own (base URL http://HOST:PORT/v1)."""
    import uvicorn

    from gateway.upstream.demo import create_demo_upstream

    uvicorn.run(create_demo_upstream(), host=host, port=port, log_level="warning", access_log=False)


# --- keys --------------------------------------------------------------------------------


@main.group()
def keys() -> None:
    """Manage callers and their API keys."""


def _database():  # type: ignore[no-untyped-def]
    from gateway.store.db import make_engine, migrate

    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    return engine


@keys.command("create")
@click.option("--caller", required=True, help="The calling service's name, e.g. billing-bot.")
@click.option("--roles", required=True, help="Comma-separated: bot, compliance_officer, security_admin, admin.")
@click.option("--json", "as_json", is_flag=True)
def keys_create(caller: str, roles: str, as_json: bool) -> None:
    """Create a key; it is printed once and only its hash is kept."""
    from gateway.auth import create_key
    from gateway.store.keys import KeyStore
    from gateway.errors import GatewayError

    try:
        key, info = create_key(KeyStore(_database()), caller=caller, roles=[r.strip() for r in roles.split(",") if r.strip()])
    except GatewayError as error:
        raise click.ClickException(error.message) from None
    _emit({"key": key, **info.model_dump(mode="json")}, as_json,
          lambda v: click.echo(f"{v['key']}\n(key id {v['key_id']} for {v['caller']}, roles "
                               f"{', '.join(v['roles'])}; store it now: it is not shown again)"))


@keys.command("list")
@click.option("--json", "as_json", is_flag=True)
def keys_list(as_json: bool) -> None:
    """List keys (ids, callers, roles, state), never the keys themselves."""
    from gateway.store.keys import KeyStore

    rows = [info.model_dump(mode="json") for info in KeyStore(_database()).all()]

    def render(items: list[dict[str, Any]]) -> None:
        for item in items:
            state = f"revoked {item['revoked_at']}" if item["revoked_at"] else "active"
            click.echo(f"{item['key_id']}  {item['caller']:<24} {','.join(item['roles']):<32} {state}")

    _emit(rows, as_json, render)


@keys.command("revoke")
@click.argument("key_id")
@click.option("--json", "as_json", is_flag=True)
def keys_revoke(key_id: str, as_json: bool) -> None:
    """Revoke a key by its id."""
    from gateway.store.keys import KeyStore

    revoked = KeyStore(_database()).revoke(key_id)
    _emit({"key_id": key_id, "revoked": revoked}, as_json,
          lambda v: click.echo(f"revoked {key_id}" if revoked else f"no active key {key_id}"))
    if not revoked:
        sys.exit(1)


# --- pii ---------------------------------------------------------------------------------


@main.group()
def pii() -> None:
    """Detect PII and evaluate the detector."""


@pii.command("analyze")
@click.argument("text")
@click.option("--language", type=click.Choice(["en", "zh"]), default=None)
@click.option("--json", "as_json", is_flag=True)
def pii_analyze(text: str, language: str | None, as_json: bool) -> None:
    """Print the PII findings in TEXT."""
    from gateway.pii.engine import build_pii_engine

    findings = build_pii_engine().analyze(text, language=language)
    rows = [{"entity_type": f.entity_type, "start": f.start, "end": f.end, "score": round(f.score, 4),
             "recognizer": f.recognizer, "language": f.language} for f in findings]

    def render(items: list[dict[str, Any]]) -> None:
        for item in items:
            click.echo(f"{item['entity_type']:<18} {item['start']:>5}-{item['end']:<5} {item['score']:.2f}  "
                       f"{item['recognizer']}  {text[item['start']:item['end']]!r}")
        if not items:
            click.echo("no PII found")

    _emit(rows, as_json, render)


@pii.command("eval")
@click.argument("dataset", type=click.Path(exists=True, path_type=Path))
@click.option("--map", "map_file", type=click.Path(exists=True, path_type=Path), default=None,
              help="JSON file mapping dataset labels to GovGate entity types (overrides the default map).")
@click.option("--limit", type=int, default=None, help="Evaluate only the first N samples.")
@click.option("--misses", type=click.IntRange(min=0), default=0,
              help="Also list up to N missed and N spurious spans per entity, as shapes (never the text).")
@click.option("--json", "as_json", is_flag=True)
def pii_eval(dataset: Path, map_file: Path | None, limit: int | None, misses: int, as_json: bool) -> None:
    """Per-entity precision, recall and F1 on DATASET (presidio-research JSON, CLUENER, MSRA)."""
    from gateway.pii.engine import build_pii_engine
    from gateway.pii.eval_misses import EntityMisses, render_misses
    from gateway.pii.evaluation import evaluate, load_label_map

    label_map = load_label_map(map_file) if map_file else None
    report = evaluate(build_pii_engine(), dataset, label_map=label_map, limit=limit, misses=misses)
    payload = report.model_dump(mode="json")

    def render(value: dict[str, Any]) -> None:
        click.echo(f"{value['dataset']}: {value['samples']} samples (overlap match; exact match in brackets)")
        click.echo(f"{'entity':<20}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
        for entity, m in sorted(value["entities"].items()):
            exact = value["exact"].get(entity, {})
            click.echo(f"{entity:<20}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}{m['support']:>9}"
                       f"   [{exact.get('precision', 0):.3f} {exact.get('recall', 0):.3f} {exact.get('f1', 0):.3f}]")
        if value.get("misses"):
            shown = {entity: EntityMisses.model_validate(m) for entity, m in value["misses"].items()}
            for line in render_misses(shown):
                click.echo(line)

    _emit(payload, as_json, render)


# --- policy ------------------------------------------------------------------------------


@main.group()
def policy() -> None:
    """Test, evaluate and replay the Rego policy."""


def _policy_dir(value: Path | None) -> Path:
    return value if value is not None else _settings().policy_dir


@policy.command("test")
@click.option("--engine", type=click.Choice(["regorus", "opa"]), default="regorus")
@click.option("--policies", "policy_dir", type=click.Path(path_type=Path), default=None)
@click.option("--json", "as_json", is_flag=True)
def policy_test(engine: str, policy_dir: Path | None, as_json: bool) -> None:
    """Run the Rego unit tests and schema checks; non-zero exit on any failure."""
    from gateway.policy.testing import format_results, run_policy_tests

    results = run_policy_tests(_policy_dir(policy_dir), engine=engine)
    if as_json:
        click.echo(json.dumps(results.model_dump(mode="json"), indent=2))
    else:
        click.echo(format_results(results))
    if not results.ok:
        sys.exit(1)


@policy.command("eval")
@click.option("--input", "input_file", type=click.Path(exists=True, path_type=Path), required=True)
@click.option("--policies", "policy_dir", type=click.Path(path_type=Path), default=None)
@click.option("--engine", type=click.Choice(["regorus", "opa"]), default="regorus")
@click.option("--explain", is_flag=True, help="Also show which rules contributed.")
def policy_eval(input_file: Path, policy_dir: Path | None, engine: str, explain: bool) -> None:
    """Print the decision document for one input document."""
    from pydantic import ValidationError

    from gateway.policy.bundle import PolicyBundle
    from gateway.policy.documents import PolicyInput
    from gateway.policy.engine import build_engine
    from gateway.policy.errors import PolicyError

    try:
        policy_input = PolicyInput.model_validate_json(input_file.read_text())
    except ValidationError as exc:
        raise click.ClickException(f"the input does not fit the policy contract: {exc.error_count()} error(s):\n"
                                   + str(exc)) from None
    try:
        evaluator = build_engine(PolicyBundle.load(_policy_dir(policy_dir)), engine)
        if explain:
            click.echo(json.dumps(evaluator.explain(policy_input).model_dump(mode="json"), indent=2))
        else:
            click.echo(json.dumps(evaluator.evaluate(policy_input).model_dump(mode="json"), indent=2))
    except PolicyError as exc:
        raise click.ClickException(str(exc)) from None


@policy.command("replay")
@click.option("--policies", "policy_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              required=True, help="The candidate policy folder.")
@click.option("--since", default="7d", help="How far back: e.g. 30m, 12h, 7d.")
@click.option("--engine", type=click.Choice(["regorus", "opa"]), default="regorus")
@click.option("--json", "as_json", is_flag=True)
def policy_replay(policy_dir: Path, since: str, engine: str, as_json: bool) -> None:
    """Re-decide recorded requests under a candidate policy and report what would change."""
    from gateway.policy.bundle import PolicyBundle
    from gateway.policy.engine import build_engine
    from gateway.policy.errors import PolicyError
    from gateway.policy.replay import replay
    from gateway.store.decision_log import DecisionLog

    try:
        candidate = build_engine(PolicyBundle.load(policy_dir), engine)
    except PolicyError as exc:
        raise click.ClickException(f"the candidate policy does not load: {exc}") from None
    log = DecisionLog(_database())
    report = replay(log.policy_decisions(since=datetime.now(UTC) - _duration(since)), candidate)
    payload = report.model_dump(mode="json")

    def render(value: dict[str, Any]) -> None:
        click.echo(f"candidate {value['candidate_bundle_hash'][:12]}: {value['total']} decisions replayed, "
                   f"{value['changed']} would change, {value['unchanged']} unchanged")
        for kind, summary in value["changes"].items():
            if summary["count"]:
                click.echo(f"  {kind:<18} {summary['count']:>6}   e.g. {', '.join(summary['examples'])}")

    _emit(payload, as_json, render)


def _duration(text: str) -> timedelta:
    units = {"m": "minutes", "h": "hours", "d": "days"}
    number, unit = text[:-1], text[-1:]
    # ASCII digits only: str.isdigit() also takes "١٢" and "²".
    if unit not in units or not (number.isascii() and number.isdigit()):
        raise click.BadParameter(f"{text!r}: use a number followed by m, h or d (e.g. 7d)")
    try:
        return timedelta(**{units[unit]: int(number)})
    except OverflowError:
        raise click.BadParameter(f"{text!r}: too long a duration") from None


# --- audits ------------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """Bias audits of the decision ledger (docs/audit-methodology.md)."""


@audit.command("run")
@click.option("--since", required=True,
              help="Window start: ISO 8601 (2026-11-01T00:00:00Z) or a duration back, e.g. 30d.")
@click.option("--until", default=None, help="Window end (exclusive): ISO 8601 or a duration back; default now.")
@click.option("--attributes", default=None, help="Comma-separated customer attributes (default: all the records carry).")
@click.option("--reference", multiple=True, help="attribute=group, repeatable (default: the most favourable group).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory for report.json, report.html and report.pdf.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the HTML and PDF report.")
@click.option("--previous", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="An earlier report.json: the report shows the trend against it (default: the previous stored audit).")
@click.option("--no-store", is_flag=True, help="Do not record the audit in the database (GET /v1/audits lists it).")
def audit_run(since: str, until: str | None, attributes: str | None, reference: tuple[str, ...], out_dir: Path,
              lang: str, previous: Path | None, no_store: bool) -> None:
    """Audit a window and write DIR/report.json with its HTML and PDF renderings (report.html, report.pdf)."""
    from audits.cli import run_to_directory
    from audits.errors import AuditError, AuditUsageError
    from gateway.store.audits import AuditStore
    from gateway.store.decision_log import DecisionLog

    engine = _database()
    try:
        paths, audit_id = run_to_directory(DecisionLog(engine), since=since, until=until, attributes=attributes,
                                           reference=reference, out=out_dir, lang=lang, previous=previous,
                                           store=None if no_store else AuditStore(engine))
    except (AuditUsageError, AuditError) as exc:
        raise click.UsageError(str(exc)) from None
    for path in paths.values():
        click.echo(f"wrote {path}")
    if audit_id:
        click.echo(f"stored as audit {audit_id}")


@audit.command("schedule")
def audit_schedule() -> None:
    """Run GOVGATE_AUDIT_SCHEDULES and the queued audits as a process of its own, until stopped
    (SIGINT, SIGTERM). Safe beside gateways that do the same: each firing runs once."""
    import logging
    import signal
    import threading

    from audits.cli import run_schedule
    from audits.service import AuditSettingsError, open_audit_service
    from gateway.store.decision_log import DecisionLog

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings, engine = _settings(), _database()
    try:
        service = open_audit_service(settings, engine, DecisionLog(engine, checkpoint_digest=_checkpoint_digest()),
                                     run=True, schedule=True)
    except AuditSettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if not settings.audit_schedules:
        click.echo("no GOVGATE_AUDIT_SCHEDULES: running queued audits only", err=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    run_schedule(service, stop)


# --- decisions ---------------------------------------------------------------------------


@main.group()
def decisions() -> None:
    """Read and verify the decision ledger."""


@decisions.command("verify")
@click.option("--json", "as_json", is_flag=True)
def decisions_verify(as_json: bool) -> None:
    """Recompute both hash chains (decisions, outcomes) from the first record; non-zero exit if one is broken."""
    from gateway.store.decision_log import DecisionLog

    check = DecisionLog(_database(), checkpoint_digest=_checkpoint_digest()).verify()

    def render(value: dict[str, Any]) -> None:
        if value["checkpoints"]:
            click.echo(f"retention checkpoints: {value['checkpoints']} (the chains start at the newest)")
        # The top-level `ok` is both chains'; the first line is the decision chain's alone.
        click.echo(_chain_line("chain", "records", {**value, "ok": check.decisions.ok}))
        click.echo(_chain_line("outcome chain", "outcomes", value["outcomes"]))

    _emit(check.as_dict(), as_json, render)
    if not check.ok:
        sys.exit(1)


def _chain_line(chain: str, things: str, value: dict[str, Any]) -> str:
    if value["ok"]:
        return f"{chain} intact: {value['checked']} {things}"
    if value["first_bad_seq"] is None:
        return f"{chain} NOT VERIFIED: {value['problem']}"
    name = value.get("decision_id") or value.get("outcome_key")
    named = f" ({name})" if name else ""
    return (f"{chain} BROKEN at {things[:-1]} {value['first_bad_seq']}{named}: {value['problem']} "
            f"({value['checked']} {things} good before it)")


@decisions.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help="Default: from the file name (.csv, .jsonl).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True)
def decisions_import(file: Path, fmt: str | None, quiet: bool, as_json: bool) -> None:
    """Import another bot's interactions (CSV or JSONL) as decision records; all or nothing.

    Columns: docs/decision-record.md, "Imported interactions". Any bad row: every bad row is
    named by its line, nothing is imported, exit 1."""
    from gateway.import_pass import import_file
    from gateway.importing import ImportFileError, detect_format, reader_for
    from gateway.pii.detector import PiiDetector
    from gateway.pii.engine import build_pii_engine
    from gateway.policy.errors import PolicyLoadError

    try:
        chosen = detect_format(file, fmt)
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from None
    settings = _settings()
    detector = PiiDetector(build_pii_engine(), cache_size=0)
    try:
        # The policy's vocabulary screens attributes and channels as the gateway does.
        reader = reader_for(settings, holds_pii=lambda text: bool(detector.analyze(text)))
    except PolicyLoadError as exc:
        raise click.ClickException(f"nothing imported: {exc} (set GOVGATE_POLICY_DIR)") from None
    bars = None if quiet else _Bars()
    try:
        report = import_file(file, chosen, reader=reader, engine=_database(), progress=bars)
    except ImportFileError as exc:
        raise click.ClickException(f"nothing imported: {exc}") from None
    finally:
        if bars is not None:
            bars.close()
    value = {"ok": report.ok, "rows": report.rows, "imported": report.imported, "already_present": report.present,
             "outcomes": report.outcomes, "bad_rows": report.bad_rows,
             "problems": [{"line": p.line, "reason": p.reason} for p in report.problems]}

    def render(v: dict[str, Any]) -> None:
        if v["ok"]:
            click.echo(f"{v['imported']} imported, {v['already_present']} already present "
                       f"({v['outcomes']} outcomes)")
            return
        for problem in v["problems"]:
            click.echo(f"line {problem['line']}: {problem['reason']}", err=True)
        listed = len(v["problems"])
        more = f" (the first {listed} listed)" if listed < v["bad_rows"] else ""
        click.echo(f"nothing imported: {v['bad_rows']} bad row(s) of {v['rows']}{more}", err=True)

    _emit(value, as_json, render)
    if not report.ok:
        sys.exit(1)


class _Bars:
    """tqdm bars on stderr, one per phase of an import (its one pass: importing, counted in lines)."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._pending = 0

    def __call__(self, phase: str, total: int | None):  # type: ignore[no-untyped-def]
        from tqdm import tqdm

        self.close()
        self._bar = tqdm(total=total, desc=phase, unit=" rows", file=sys.stderr, mininterval=0.5)
        return self._advance

    def _advance(self, rows: int) -> None:
        # Shown in chunks: tqdm's update per row would cost more than reading the row.
        self._pending += rows
        if self._pending >= 1000:
            self._bar.update(self._pending)
            self._pending = 0

    def close(self) -> None:
        if self._bar is not None:
            self._bar.update(self._pending)
            self._bar.close()
        self._bar, self._pending = None, 0


@decisions.command("list")
@click.option("--limit", type=int, default=20)
@click.option("--json", "as_json", is_flag=True)
def decisions_list(limit: int, as_json: bool) -> None:
    """The most recent decisions."""
    from gateway.store.decision_log import DecisionLog

    records = [r.model_dump(mode="json") for r in DecisionLog(_database()).page(limit=limit)]

    def render(items: list[dict[str, Any]]) -> None:
        for r in items:
            click.echo(f"{r['created_at']}  {r['decision_id']}  {r['caller'] or '-':<16} {r['kind']:<10} "
                       f"{r['status_code']}  {r['route']['deployment'] or '-'}")

    _emit(records, as_json, render)


@decisions.command("explain")
@click.argument("decision_id")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="The language of the text.")
@click.option("--json", "as_json", is_flag=True, help="The whole explanation, as GET /v1/decisions/{id}/explanation.")
def decisions_explain(decision_id: str, lang: str, as_json: bool) -> None:
    """Explain one decision: rules, PII findings, route, policy version, timings, outcomes."""
    from explainers.decision import explain
    from gateway.store.decision_log import DecisionLog

    log = DecisionLog(_database())
    # Looked up as given (the log matches ids exactly); the id itself is not echoed back.
    record = log.get(decision_id)
    if record is None:
        raise click.ClickException("no such decision (ids are 'dec_' and 32 hexadecimal digits)")
    document = explain(log, record, lang=lang)  # type: ignore[arg-type]
    _emit(document.model_dump(mode="json"), as_json, lambda v: click.echo(v["text"]))


def _checkpoint_digest():  # type: ignore[no-untyped-def]
    """The key retention checkpoints are signed with (derived from the gateway's HMAC key)."""
    from gateway.keys import KeyedDigest, derive_key, hmac_key
    from gateway.store.checkpoint import CHECKPOINT_KEY_PURPOSE

    settings = _settings()
    return KeyedDigest(derive_key(hmac_key(settings.hmac_key, settings.data_dir), CHECKPOINT_KEY_PURPOSE))


def _moment(text: str, now: datetime) -> datetime:
    """An ISO date or time (UTC unless it says otherwise), or a duration before now (30d, 12h)."""
    if text[-1:] in ("m", "h", "d") and text[:-1].isascii() and text[:-1].isdigit():
        try:
            return now - _duration(text)
        except OverflowError:
            raise click.BadParameter(f"{text!r}: reaches before the calendar's start") from None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: use an ISO date or time (2026-01-31, 2026-01-31T12:00:00Z) "
                                 "or a duration (30d, 12h, 45m)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@decisions.command("export")
@click.option("--since", required=True, help="From (inclusive): an ISO date/time or a duration back, e.g. 30d.")
@click.option("--until", default=None, help="To (exclusive); default now.")
@click.option("--format", "fmt", type=click.Choice(["opa", "jsonl", "parquet"]), required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (required for parquet); default stdout.")
@click.option("--instance-id", default="govgate", show_default=True, help="labels.id of OPA events.")
def decisions_export(since: str, until: str | None, fmt: str, out: Path | None, instance_id: str) -> None:
    """Export the decisions created in [since, until) as OPA decision-log events, JSON lines or Parquet."""
    from gateway.export import Window, write_jsonl, write_opa, write_parquet
    from gateway.store.decision_log import DecisionLog

    now = datetime.now(UTC)
    window = Window(since=_moment(since, now), until=_moment(until, now) if until else None)
    if window.until is not None and window.since is not None and window.until < window.since:
        raise click.BadParameter("--until is before --since")
    log = DecisionLog(_database())
    if fmt == "parquet":
        if out is None:
            raise click.UsageError("--format parquet needs --out PATH (Parquet is not streamed to stdout)")
        count = write_parquet(log, out, window)
    elif out is None:
        count = (write_opa(log, sys.stdout, window, instance_id=instance_id) if fmt == "opa"
                 else write_jsonl(log, sys.stdout, window))
    else:
        with out.open("w", encoding="utf-8") as handle:
            count = (write_opa(log, handle, window, instance_id=instance_id) if fmt == "opa"
                     else write_jsonl(log, handle, window))
    click.echo(f"exported {count} decisions", err=True)


@decisions.command("purge")
@click.option("--before", required=True, help="Delete decisions created before this: an ISO date/time or a "
                                              "duration back (e.g. 400d).")
@click.option("--force", is_flag=True, help="Also delete records younger than GOVGATE_RETENTION_DAYS.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True)
def decisions_purge(before: str, force: bool, yes: bool, as_json: bool) -> None:
    """Delete decisions older than BEFORE (and what hangs on them only); leave a signed checkpoint."""
    from gateway.store.retention import PurgeRefused, check_retention, plan_purge, purge

    now = datetime.now(UTC)
    cutoff = _moment(before, now)
    try:
        check_retention(cutoff, now=now, retention_days=_settings().retention_days, forced=force)
    except PurgeRefused as refused:
        raise click.ClickException(str(refused)) from None
    engine = _database()
    plan = plan_purge(engine, cutoff)
    if not yes:
        click.confirm(f"Delete {plan.decisions} decisions (seq {plan.first_seq}-{plan.last_seq}) created before "
                      f"{cutoff.isoformat()}, with their attributes and the outcomes only they concern?", abort=True)
    try:
        checkpoint = purge(engine, before=cutoff, now=now, digest=_checkpoint_digest(), forced=force)
    except PurgeRefused as refused:
        raise click.ClickException(str(refused)) from None
    value = checkpoint.as_dict()
    _emit(value, as_json, lambda v: click.echo(
        f"purged {v['decisions_removed']} decisions, {v['attributes_removed']} attribute rows, "
        f"{v['outcomes_removed']} outcomes, {v['vault_removed']} expired vault entries; checkpoint {v['id']}: "
        f"decisions start after seq {v['decision_seq']}, outcomes after seq {v['outcome_seq']}"))


@main.group()
def outcomes() -> None:
    """Verify the outcomes reported on decisions."""


@outcomes.command("verify")
@click.option("--json", "as_json", is_flag=True)
def outcomes_verify(as_json: bool) -> None:
    """Recompute the outcome chain only; non-zero exit if it is broken."""
    from gateway.store.decision_log import DecisionLog, outcome_check_dict

    value = outcome_check_dict(DecisionLog(_database(), checkpoint_digest=_checkpoint_digest()).verify_outcomes())
    _emit(value, as_json, lambda v: click.echo(_chain_line("outcome chain", "outcomes", v)))
    if not value["ok"]:
        sys.exit(1)


# --- benchmark ---------------------------------------------------------------------------


@main.command()
@click.option("--mode", type=click.Choice(["passthrough", "policy", "full"]), default="full")
@click.option("--rps", type=int, default=100, help="Fixed request rate (open loop).")
@click.option("--seconds", type=float, default=10.0)
@click.option("--stream", is_flag=True, help="Use streamed chat completions (latency = time to first token).")
@click.option("--workers", type=int, default=1, show_default=True, help="Gateway processes.")
@click.option("--json", "as_json", is_flag=True)
def bench(mode: str, rps: int, seconds: float, stream: bool, workers: int, as_json: bool) -> None:
    """Measure the latency the gateway adds over a direct call to the same local upstream."""
    from gateway.benchmarks.load import run_bench

    result = run_bench(mode=mode, rps=rps, seconds=seconds, stream=stream, workers=workers)

    def render(value: dict[str, Any]) -> None:
        click.echo(f"mode={value['mode']} rps={value['rps']} requests={value['requests']} "
                   f"error_rate={value['error_rate']:.4f} peak_rss_mb={value['peak_rss_mb']}")
        for name in ("added_ms", "direct_ms", "gateway_ms"):
            q = value[name]
            click.echo(f"  {name:<11} p50={q['p50']:.2f} p95={q['p95']:.2f} p99={q['p99']:.2f}")

    _emit(result, as_json, render)


# Console accounts live with the console (gateway/console/users_cli.py).
from gateway.console.users_cli import users  # noqa: E402

main.add_command(users)

if __name__ == "__main__":
    main()
