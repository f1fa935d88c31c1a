"""PII detection and the actions the policy orders for each finding."""
