# METADATA
# title: Output PII actions
# description: |
#   What the gateway must do with PII found in the model's answer. The caller's own
#   entity types (sent as is or pseudonymised) may be echoed back when the purpose allows
#   it; any other type follows the purpose's output mapping, else its output default,
#   else the policy-wide output default (redact). The key "*" carries the action for
#   entity types the policy does not list.
# scope: package
# custom:
#   rule_ids: [OUT-010, OUT-020, OUT-021, OUT-022]
package govgate.output

# Input actions under which the model saw the caller's own value (or its pseudonym).
echo_actions := {"allow", "pseudonymise"}

_cfg := data.govgate_data.pii

_purpose := data.govgate.pii.purpose

# Entity types the answer is checked for: the catalogue plus anything the caller sent.
entity_types := {t | some t, _ in _cfg.entity_types} | data.govgate.pii.entity_types

# METADATA
# description: One output action per known entity type, plus "*" for any other type.
actions := object.union(
	object.union(
		object.union({t: _fallback | some t in entity_types}, output_table(_cfg, _purpose)),
		echo_table(_cfg, _purpose, _echoed),
	),
	{"*": _fallback},
)

_fallback := fallback_action(_cfg, _purpose)

# Entity types the caller sent whose value the model saw (as is or as a pseudonym).
_echoed := {t | some t, a in data.govgate.pii.actions; a.action in echo_actions}

# The purpose's output mapping, each action tagged OUT-020.
output_table(cfg, purpose) := {t: with_rule(a, "OUT-020") | some t, a in cfg.purposes[purpose].output.actions}

# The caller's own types may come back when the purpose echoes sent types (OUT-010).
echo_table(cfg, purpose, echoed) := {t: {"action": "allow", "rule_id": "OUT-010"} |
	cfg.purposes[purpose].output.echo_sent_types
	some t in echoed
}

# For types without their own entry: the purpose's output default, else the policy's.
fallback_action(cfg, purpose) := with_rule(cfg.purposes[purpose].output.default, "OUT-021")

fallback_action(cfg, purpose) := with_rule(cfg.output_default, "OUT-022") if {
	not cfg.purposes[purpose]
}

with_rule(action, rule_id) := object.union(action, {"rule_id": rule_id})
