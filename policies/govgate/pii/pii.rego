# METADATA
# title: PII actions
# description: |
#   What the gateway must do with each PII entity type found in the request, by purpose
#   (data.govgate_data.pii): a purpose's own mapping, else the purpose's default, else the
#   policy-wide default (redact). A type whose catalogue entry carries a `fixed_action`
#   (SECRET: credentials) gets that action under every purpose, known or not (PII-030).
#   Every entity type in the input gets an action. Also derives the data classification
#   of what would leave the gateway unprotected.
# scope: package
# custom:
#   rule_ids: [PII-001, PII-010, PII-011, PII-012, PII-020, PII-030]
package govgate.pii

# METADATA
# description: PII holds only when no entity type is blocked.
default allow := false

allow if count(deny) == 0

# Entity types in the request: the declared list plus any type in the findings.
entity_types := {t | some t in input.pii.entity_types; is_string(t)} | {t |
	some finding in input.pii.findings
	t := finding.entity_type
	is_string(t)
}

# METADATA
# description: One action per entity type found in the request.
actions := actions_for(data.govgate_data.pii, data.govgate.request.purpose, entity_types)

_cfg := data.govgate_data.pii

# METADATA
# description: |
#   Entity types whose pseudonyms the gateway may put back in the answer for this
#   purpose: those the purpose lists under `restore` and itself pseudonymises (PII-020).
#   A token of any other type stays a token for the caller, whichever turn or purpose
#   created it; a purpose that lists nothing restores nothing.
# custom:
#   rule_id: PII-020
restore := sort({t |
	some t in _cfg.purposes[data.govgate.request.purpose].restore
	action_for(_cfg, data.govgate.request.purpose, t).action == "pseudonymise"
})

# METADATA
# description: A finding whose action is block stops the request.
# custom:
#   rule_id: PII-001
deny contains {"rule_id": "PII-001", "reason": sprintf("%s is blocked for purpose '%s'", [t, data.govgate.request.purpose])} if {
	some t, a in actions
	a.action == "block"
}

reasons contains {"rule_id": a.rule_id, "reason": sprintf("%s: %s%s (purpose '%s')", [t, a.action, keep_text(a), data.govgate.request.purpose])} if {
	some t, a in actions
}

# METADATA
# description: |
#   Classification of the request as it leaves the gateway: the baseline, raised by any
#   entity type sent as is (action allow). Unknown entity types count as the highest level.
classification := _cfg.classification_levels[max(_ranks)]

# METADATA
# description: Each classification level's rank (its index in classification_levels).
level_ranks := {name: i | some i, name in _cfg.classification_levels}

# Only types sent as is raise the baseline; usually there are none.
_ranks := {level_ranks[_cfg.baseline_classification]} | {level_ranks[entity_classification(_cfg, t)] |
	some t, a in actions
	a.action == "allow"
}

# Actions for the given entity types only, never the whole catalogue: the type's fixed
# action (PII-030), else the purpose's own mapping (PII-010), else the purpose's default
# (PII-011), else the policy default (PII-012). A fixed action is the catalogue's word on a
# type no purpose may weaken: a leaked API key is redacted for support and marketing alike.
actions_for(cfg, request_purpose, types) := object.union_n([defaults, listed, fixed]) if {
	fallback := fallback_action(cfg, request_purpose)
	defaults := {t: fallback | some t in types}
	listed := {t: with_rule(a, "PII-010") |
		some t in types
		a := cfg.purposes[request_purpose].actions[t]
	}
	fixed := {t: with_rule(a, "PII-030") |
		some t in types
		a := cfg.entity_types[t].fixed_action
	}
}

# The action for one entity type under a purpose.
action_for(cfg, request_purpose, entity_type) := actions_for(cfg, request_purpose, {entity_type})[entity_type]

# For types the purpose does not list: its default (PII-011), else the policy default (PII-012).
fallback_action(cfg, request_purpose) := with_rule(cfg.purposes[request_purpose].default, "PII-011")

fallback_action(cfg, request_purpose) := with_rule(cfg.default_action, "PII-012") if {
	not cfg.purposes[request_purpose]
}

with_rule(action, rule_id) := object.union(action, {"rule_id": rule_id})

keep_text(action) := sprintf(" keep_last=%d", [action.keep_last]) if action.keep_last

default keep_text(_) := ""

entity_classification(cfg, entity_type) := cfg.entity_types[entity_type].classification

entity_classification(cfg, entity_type) := cfg.classification_levels[count(cfg.classification_levels) - 1] if {
	not cfg.entity_types[entity_type]
}
