"""Bias audits of the decision ledger (issue 13): group metrics, disparities against a
reference group, their uncertainty, and how much of each gap legitimate factors explain.

    run_audit(log, since, until, attributes=None, reference=None, config) -> AuditReport

docs/audit-methodology.md is the method; audits/run.py the order things happen in.
"""

from audits.config import AuditConfig
from audits.report import AuditReport, Finding
from audits.run import AuditError, run_audit

__all__ = ["AuditConfig", "AuditError", "AuditReport", "Finding", "run_audit"]
