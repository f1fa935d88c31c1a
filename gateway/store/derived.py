"""What a decisions row copies out of its record: the query columns and the audit attribute
rows. Derived from the JSON as stored, so the writer (ledger.py) and the verifier
(decision_log.py) agree by construction."""

from __future__ import annotations

from typing import Any

from gateway.decision import stored_schema_version


def query_columns(stored: dict[str, Any]) -> dict[str, Any]:
    """The columns copied out of a record, from its JSON as stored (so the writer and
    `verify()` agree by construction). Rows of schema-1 records predate the newer columns
    (migration 0003 left them NULL, and `source` at its default)."""
    policy = stored.get("policy") or {}
    columns = {
        "decision_id": stored.get("decision_id"),
        "caller": stored.get("caller"),
        "purpose": stored.get("purpose"),
        "kind": stored.get("kind"),
        "status_code": stored.get("status_code"),
        "allowed": stored.get("allowed"),
        "policy_version": policy.get("bundle_hash"),
        "region": None, "language": None, "channel": None, "stage": None, "source": "gateway",
    }
    if stored_schema_version(stored) != "1":
        features = stored.get("features") or {}
        columns.update(region=stored.get("customer_region"), language=features.get("language"),
                       channel=features.get("channel"), stage=stored.get("stage"), source=stored.get("source"))
    return columns


def attributes_of(stored: dict[str, Any]) -> dict[str, str]:
    """The `decision_attributes` rows of a record (schema-1 rows have none)."""
    return dict(stored.get("customer_attributes") or {}) if stored_schema_version(stored) != "1" else {}
