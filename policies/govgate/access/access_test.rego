package govgate.access_test

import data.govgate.access

bot_chat := {
	"contract_version": "1",
	"caller": {"id": "svc-helpdesk", "roles": ["bot"]},
	"request": {"kind": "chat", "model": "demo-chat", "purpose": "customer-support"},
	"customer": {"region": "EU"},
}

rule_ids(denials) := {d.rule_id | some d in denials}

test_bot_may_chat_for_customer_support if {
	access.allow with input as bot_chat
}

test_bot_may_embed_for_marketing if {
	access.allow with input as json.patch(bot_chat, [
		{"op": "replace", "path": "/request", "value": {"kind": "embeddings", "model": "demo-embed", "purpose": "marketing"}},
	])
}

test_unknown_role_denied if {
	denials := access.deny with input as json.patch(bot_chat, [{"op": "replace", "path": "/caller/roles", "value": ["intern"]}])
	"ACC-001" in rule_ids(denials)
}

test_missing_roles_denied if {
	denials := access.deny with input as json.remove(bot_chat, ["caller/roles"])
	"ACC-001" in rule_ids(denials)
}

test_admin_may_not_call_models if {
	denials := access.deny with input as json.patch(bot_chat, [{"op": "replace", "path": "/caller/roles", "value": ["admin"]}])
	"ACC-002" in rule_ids(denials)
}

test_compliance_officer_may_run_pii_analysis if {
	access.allow with input as {
		"contract_version": "1",
		"caller": {"id": "alice", "roles": ["compliance_officer"]},
		"request": {"kind": "pii"},
	}
}

test_unknown_purpose_denied_with_reason if {
	denials := access.deny with input as json.patch(bot_chat, [{"op": "replace", "path": "/request/purpose", "value": "credit-scoring"}])
	some d in denials
	d.rule_id == "ACC-004"
	contains(d.reason, "credit-scoring")
}

test_missing_purpose_denied if {
	denials := access.deny with input as json.remove(bot_chat, ["request/purpose"])
	"ACC-003" in rule_ids(denials)
}

test_missing_model_denied if {
	denials := access.deny with input as json.remove(bot_chat, ["request/model"])
	"ACC-005" in rule_ids(denials)
}

test_model_outside_purpose_denied if {
	denials := access.deny with input as json.patch(bot_chat, [{"op": "replace", "path": "/request/model", "value": "gpt-unlisted"}])
	"ACC-006" in rule_ids(denials)
}

test_models_for_purpose if {
	access.models == ["demo-chat", "demo-embed"] with input as bot_chat
}

test_models_without_purpose_lists_all_purposes if {
	access.models == ["demo-chat", "demo-embed"] with input as json.remove(bot_chat, ["request/purpose"])
}

test_models_empty_for_unknown_purpose if {
	access.models == [] with input as json.patch(bot_chat, [{"op": "replace", "path": "/request/purpose", "value": "hr"}])
}

test_known_roles_takes_arguments if {
	roles := {"r": {"kinds": ["chat"], "purposes": {"p": ["m"]}}, "s": {"kinds": [], "purposes": {}}}
	access.known_roles(roles, {"r"}) == [roles.r]
	access.known_roles(roles, {"r", "x"}) == [roles.r]
	access.known_roles(roles, {"x"}) == []
	count(access.known_roles(roles, {"r", "s"})) == 2
}

test_role_without_purpose_denied_for_a_permitted_kind if {
	roles := json.patch(data.govgate_data.roles, [{"op": "remove", "path": "/bot/purposes/marketing"}])
	inp := json.patch(bot_chat, [{"op": "replace", "path": "/request/purpose", "value": "marketing"}])
	denials := access.deny with input as inp with data.govgate_data.roles as roles
	"ACC-004" in rule_ids(denials)
	access.models == [] with input as inp with data.govgate_data.roles as roles
}
