"""`govgate audit run`: the logic behind the thin click command in gateway/cli.py.

Parses the operator's options into run_audit's arguments and writes the report's files
(audits/output.py): report.json, and report.html / report.pdf in `--lang`, with the trend
against `--previous` (an earlier report.json) when one is given.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from audits.config import AuditConfig
from audits.errors import AuditUsageError
from audits.report import AuditReport
from audits.texts import LANGS
from gateway.store.decision_log import DecisionLog, as_utc


def parse_time(text: str, option: str) -> datetime:
    try:
        return as_utc(datetime.fromisoformat(text))
    except (ValueError, OverflowError):
        raise AuditUsageError(f"{option} must be an ISO 8601 time, e.g. 2026-12-01T00:00:00Z") from None


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


def run_to_directory(log: DecisionLog, *, since: str, until: str, attributes: str | None,
                     reference: tuple[str, ...], out: Path, config: AuditConfig = AuditConfig(),
                     lang: str = "en", previous: Path | None = None) -> dict[str, Path]:
    """Run the audit and write its files; returns them by format (json, html, pdf)."""
    start, end = parse_time(since, "--since"), parse_time(until, "--until")
    if end <= start:
        raise AuditUsageError("--until must come after --since")
    if lang not in LANGS:
        raise AuditUsageError(f"--lang must be one of: {', '.join(LANGS)}")
    before = load_previous(previous)  # a bad file is refused before the audit runs
    from audits.output import write_report  # the statistics and renderers load only once the options are good
    from audits.run import run_audit

    report = run_audit(log, start, end, attributes=parse_attributes(attributes), reference=parse_reference(reference),
                       config=config)
    return write_report(report, out, previous=before, lang=lang)
