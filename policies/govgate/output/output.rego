# METADATA
# title: Output PII actions
# description: |
#   What the gateway must do with PII found in the model's answer. The caller's own
#   entity types (sent as is or pseudonymised) may be echoed back when the purpose allows
#   it; any other type follows the purpose's output mapping, else its output default,
#   else the policy-wide output default (redact). A type with a catalogue `fixed_action`
#   gets it in answers too, whatever the purpose or the echo rule says (OUT-030). The key
#   "*" carries the action for entity types the policy does not list.
# scope: package
# custom:
#   rule_ids: [OUT-010, OUT-020, OUT-021, OUT-022, OUT-030]
package govgate.output

# Input actions under which the model saw the caller's own value (or its pseudonym).
echo_actions := {"allow", "pseudonymise"}

# METADATA
# description: One output action per known entity type, plus "*" for any other type.
actions := actions_for(data.govgate_data.pii, data.govgate.request.purpose, data.govgate.pii.actions)

# Every catalogue type and every type the caller sent gets the fallback, then the purpose's
# own output mapping, then the caller's echoed types override it, then the catalogue's
# fixed actions override everything; "*" keeps the fallback.
actions_for(cfg, purpose, sent_actions) := object.union_n([
	{t: fallback | some t, _ in cfg.entity_types},
	{t: fallback | some t, _ in sent_actions},
	output_table(cfg, purpose),
	echo_table(cfg, purpose, sent_actions),
	{t: with_rule(e.fixed_action, "OUT-030") | some t, e in cfg.entity_types; e.fixed_action},
	{"*": fallback},
]) if {
	fallback := fallback_action(cfg, purpose)
}

# The purpose's output mapping, each action tagged OUT-020.
output_table(cfg, purpose) := {t: with_rule(a, "OUT-020") | some t, a in cfg.purposes[purpose].output.actions}

# The caller's own types whose value the model saw (as is or as a pseudonym) may come back
# when the purpose echoes sent types (OUT-010).
echo_table(cfg, purpose, sent_actions) := {t: {"action": "allow", "rule_id": "OUT-010"} |
	cfg.purposes[purpose].output.echo_sent_types
	some t, a in sent_actions
	a.action in echo_actions
}

# For types without their own entry: the purpose's output default, else the policy's.
fallback_action(cfg, purpose) := with_rule(cfg.purposes[purpose].output.default, "OUT-021")

fallback_action(cfg, purpose) := with_rule(cfg.output_default, "OUT-022") if {
	not cfg.purposes[purpose]
}

with_rule(action, rule_id) := object.union(action, {"rule_id": rule_id})
