"""Writing an audit report's files: report.json, report.html and report.pdf side by side.

The one place that turns an AuditReport into files, so the CLI, the API and the scheduler
write the same thing. `previous` is the audit before this one (for the trend), if any; `lang`
is the language of the HTML and PDF (en, zh); the JSON has none.

Everything is rendered before anything is written, and each file is written to a temporary
name and renamed: a failed rendering leaves the directory as it was, never half a report.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from audits.render import html_to_pdf, render_html
from audits.report import AuditReport

FILES = {"json": "report.json", "html": "report.html", "pdf": "report.pdf"}


def report_json(report: AuditReport) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_report(report: AuditReport, out: Path, previous: AuditReport | None = None,
                 lang: str = "en") -> dict[str, Path]:
    """Write the report's files into `out`; returns them by format (json, html, pdf)."""
    html = render_html(report, previous, lang)  # refuses a bad lang before anything is written
    contents = {"json": report_json(report).encode("utf-8"), "html": html.encode("utf-8"), "pdf": html_to_pdf(html)}
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind, name in FILES.items():
        paths[kind] = out / name
        _replace(paths[kind], contents[kind])
    return paths


def _replace(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
