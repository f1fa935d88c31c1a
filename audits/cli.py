"""`govgate audit run`: the logic behind the thin click command in gateway/cli.py.

Parses the operator's options into run_audit's arguments and writes the report's files
(audits/output.py).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from audits.config import AuditConfig
from audits.errors import AuditUsageError
from audits.output import write_report
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


def run_to_directory(log: DecisionLog, *, since: str, until: str, attributes: str | None,
                     reference: tuple[str, ...], out: Path, config: AuditConfig = AuditConfig()) -> Path:
    start, end = parse_time(since, "--since"), parse_time(until, "--until")
    if end <= start:
        raise AuditUsageError("--until must come after --since")
    from audits.run import run_audit  # the statistics load only once the options are good

    report = run_audit(log, start, end, attributes=parse_attributes(attributes), reference=parse_reference(reference),
                       config=config)
    return write_report(report, out)["json"]
