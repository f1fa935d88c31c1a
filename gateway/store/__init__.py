"""Persistence: callers, the decision ledger, the pseudonym vault."""
