"""Bias audits of the decision ledger (issue 13): group metrics, disparities against a
reference group, their uncertainty, and how much of each gap legitimate factors explain.

    run_audit(log, since, until, attributes=None, reference=None, config) -> AuditReport

docs/audit-methodology.md is the method; audits/run.py the order things happen in.
The names load on first use, so `govgate audit run` can refuse a bad option before
pandas, scipy, DuckDB and fairlearn are imported.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {"AuditConfig": "audits.config", "AuditError": "audits.errors", "AuditReport": "audits.report",
            "Finding": "audits.report", "run_audit": "audits.run"}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'audits' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
