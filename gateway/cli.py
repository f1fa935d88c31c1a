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
    return Settings()


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
    if unit not in units or not number.isdigit():
        raise click.BadParameter(f"{text!r}: use a number followed by m, h or d (e.g. 7d)")
    return timedelta(**{units[unit]: int(number)})


# --- decisions ---------------------------------------------------------------------------


@main.group()
def decisions() -> None:
    """Read and verify the decision ledger."""


@decisions.command("verify")
@click.option("--json", "as_json", is_flag=True)
def decisions_verify(as_json: bool) -> None:
    """Recompute both hash chains (decisions, outcomes) from the first record; non-zero exit if one is broken."""
    from gateway.store.decision_log import DecisionLog

    check = DecisionLog(_database()).verify()

    def render(value: dict[str, Any]) -> None:
        click.echo(_chain_line("chain", "records", value))
        click.echo(_chain_line("outcome chain", "outcomes", value["outcomes"]))

    _emit(check.as_dict(), as_json, render)
    if not check.ok:
        sys.exit(1)


def _chain_line(chain: str, things: str, value: dict[str, Any]) -> str:
    if value["ok"]:
        return f"{chain} intact: {value['checked']} {things}"
    named = f" ({value['outcome_key']})" if value.get("outcome_key") else ""
    return (f"{chain} BROKEN at {things[:-1]} {value['first_bad_seq']}{named}: {value['problem']} "
            f"({value['checked']} {things} good before it)")


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


@main.group()
def outcomes() -> None:
    """Verify the outcomes reported on decisions."""


@outcomes.command("verify")
@click.option("--json", "as_json", is_flag=True)
def outcomes_verify(as_json: bool) -> None:
    """Recompute the outcome chain only; non-zero exit if it is broken."""
    from gateway.store.decision_log import DecisionLog, outcome_check_dict

    value = outcome_check_dict(DecisionLog(_database()).verify_outcomes())
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


if __name__ == "__main__":
    main()
