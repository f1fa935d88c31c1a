"""Explanations: of one decision (`explainers.decision`), and later of a disparity.

An explanation is built from what the ledger holds and nothing else: the decision record,
the outcomes attached to it and the policy activation it ran under, all read through
`gateway.store.decision_log.DecisionLog`. The record holds no PII value, so neither can its
explanation; the plain-language text is rendered from the structured part alone.
"""
