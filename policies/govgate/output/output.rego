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

# Entity types the answer is checked for: the catalogue plus anything the caller sent.
entity_types := {t | some t, _ in data.govgate_data.pii.entity_types} | data.govgate.pii.entity_types

# METADATA
# description: One output action per known entity type, plus "*" for any other type.
actions := object.union(
	{t: output_action(data.govgate_data.pii, data.govgate.pii.purpose, t, _echoed) | some t in entity_types},
	{"*": fallback_action(data.govgate_data.pii, data.govgate.pii.purpose)},
)

# Entity types the caller sent whose value the model saw (as is or as a pseudonym).
_echoed := {t | some t, a in data.govgate.pii.actions; a.action in echo_actions}

output_action(cfg, purpose, entity_type, echoed) := {"action": "allow", "rule_id": "OUT-010"} if {
	is_echo(cfg, purpose, entity_type, echoed)
}

output_action(cfg, purpose, entity_type, echoed) := with_rule(cfg.purposes[purpose].output.actions[entity_type], "OUT-020") if {
	not is_echo(cfg, purpose, entity_type, echoed)
}

output_action(cfg, purpose, entity_type, echoed) := fallback_action(cfg, purpose) if {
	not is_echo(cfg, purpose, entity_type, echoed)
	not cfg.purposes[purpose].output.actions[entity_type]
}

is_echo(cfg, purpose, entity_type, echoed) if {
	cfg.purposes[purpose].output.echo_sent_types
	entity_type in echoed
}

fallback_action(cfg, purpose) := with_rule(cfg.purposes[purpose].output.default, "OUT-021")

fallback_action(cfg, purpose) := with_rule(cfg.output_default, "OUT-022") if {
	not cfg.purposes[purpose]
}

with_rule(action, rule_id) := object.union(action, {"rule_id": rule_id})
