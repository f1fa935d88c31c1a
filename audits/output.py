"""Writing an audit report's files: report.json now; report.html and report.pdf beside it.

The one place that turns an AuditReport into files, so the CLI, the API and the scheduler
write the same thing. `previous` is the audit before this one (for the trend), if any.
"""

from __future__ import annotations

import json
from pathlib import Path

from audits.report import AuditReport


def report_json(report: AuditReport) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_report(report: AuditReport, out: Path, previous: AuditReport | None = None) -> dict[str, Path]:
    """Write the report's files into `out`; returns them by format (json, html, pdf)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "report.json"
    path.write_text(report_json(report), encoding="utf-8")
    return {"json": path}
