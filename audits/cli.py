"""`govgate audit run` and `govgate audit schedule`: the logic behind the thin click commands
in gateway/cli.py.

`run` parses the operator's options into run_audit's arguments (times or durations back from
now, audits/window.py), runs the audit in this process and writes the report's files
(audits/output.py: report.json, and report.html / report.pdf in `--lang`, with the trend
against `--previous`, an earlier report.json, or else the previous stored audit) into the
folder asked for; with a store it is also recorded as an audit (trigger `cli`) that the API
lists and serves. `schedule` runs the configured schedules and the queued audits as a
process of its own until it is told to stop.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from audits.config import AuditConfig
from audits.errors import AuditError, AuditUsageError
from audits.output import write_report
from audits.report import AuditReport
from audits.runner import AuditRunner, run_parameters
from audits.texts import LANGS
from audits.window import parse_moment, parse_window
from gateway.store.audits import AuditLog, AuditStore, ClaimedAudit
from gateway.store.decision_log import DecisionLog

log = logging.getLogger(__name__)


def parse_time(text: str, option: str, *, now: datetime | None = None) -> datetime:
    """An ISO 8601 time, or a duration back from now ("30d")."""
    return parse_moment(text, option, now=now or datetime.now(UTC))


def parse_attributes(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise AuditUsageError("--attributes must name at least one attribute, e.g. gender,age_band")
    return names


def parse_reference(values: tuple[str, ...]) -> dict[str, str]:
    """Each `attribute=group` (an intersection as gender×age_band=female × 18-34)."""
    reference = {}
    for value in values:
        attribute, sep, group = value.partition("=")
        if not sep or not attribute.strip() or not group.strip():
            raise AuditUsageError("--reference takes attribute=group, e.g. gender=male")
        reference[attribute.strip()] = group.strip()
    return reference


def load_previous(path: Path | None) -> AuditReport | None:
    """An earlier report.json for the trend; the message names the option, never the file's content."""
    if path is None:
        return None
    try:
        return AuditReport.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise AuditUsageError(f"--previous cannot be read: {exc.strerror or type(exc).__name__}") from None
    except ValidationError as exc:
        where = ".".join(str(part) for part in exc.errors()[0]["loc"]) or "the document"
        raise AuditUsageError(f"--previous is not an audit report.json ({where}: "
                              f"{exc.errors()[0]['type']})") from None


def run_to_directory(log: DecisionLog, *, since: str, until: str | None, attributes: str | None,
                     reference: tuple[str, ...], out: Path, config: AuditConfig = AuditConfig(),
                     store: AuditStore | None = None, now: datetime | None = None, lang: str = "en",
                     previous: Path | None = None) -> tuple[dict[str, Path], str | None]:
    """The report's files by format (json, html, pdf), and the stored audit's id (None without a store)."""
    start, end = parse_window(since, until, now=now or datetime.now(UTC), since_option="--since",
                              until_option="--until")
    names, groups = parse_attributes(attributes), parse_reference(reference)
    if lang not in LANGS:
        raise AuditUsageError(f"--lang must be one of: {', '.join(LANGS)}")
    before = load_previous(previous)  # a bad file is refused before the audit runs
    if store is None:
        from audits.run import run_audit  # the statistics load only once the options are good

        report = run_audit(log, start, end, attributes=names, reference=groups, config=config)
        return write_report(report, out, previous=before, lang=lang), None
    audits = AuditLog(store.engine)
    runner = AuditRunner(store=store, audits=audits, decision_log=log, config=config)
    audit_id = store.create(requested_by="cli", trigger="cli", since=start, until=end,
                            parameters=run_parameters(names, groups, config), now=datetime.now(UTC),
                            owner=runner.owner)
    stored = audits.get(audit_id)
    assert stored is not None
    result = runner.run_claimed(ClaimedAudit(id=audit_id, seq=stored.seq, trigger="cli", since=start, until=end,
                                             parameters=stored.parameters), out=out, lang=lang, previous=before)
    if result.status != "done":
        raise AuditError(f"{result.error} (audit {audit_id})")
    return result.files, audit_id


def run_schedule(service, stop: threading.Event) -> None:  # type: ignore[no-untyped-def]
    """Run an AuditService (audits/service.py) until `stop` is set."""
    service.start()
    try:
        if service.scheduler is not None:
            for name, at in service.scheduler.next_fire_times().items():
                log.info("schedule %s: next firing %s", name, at.isoformat() if at else "never")
        stop.wait()
    finally:
        service.close()
