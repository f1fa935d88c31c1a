"""The compliance console: server-rendered pages under /console/ for compliance officers,
security admins and admins (docs/console.md). It reads what the ledger, the audits and the
policy layer already hold — the same DecisionLog, AuditLog and PolicyHolder the API reads —
and keeps only its own users, sessions and events (gateway/store/console.py)."""
