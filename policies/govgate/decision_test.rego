package govgate_test

import data.govgate

chat := {
	"contract_version": "1",
	"caller": {"id": "svc-helpdesk", "roles": ["bot"]},
	"request": {"kind": "chat", "model": "demo-chat", "purpose": "customer-support"},
	"customer": {"region": "EU", "cross_border_basis": null},
	"pii": {"entity_types": ["PERSON", "CREDIT_CARD"], "findings": []},
}

rule_ids(items) := {i.rule_id | some i in items}

test_allowed_decision_document if {
	d := govgate.decision with input as chat
	d.allow
	d.contract_version == "1"
	d.deny == []
	[r.deployment | some r in d.routes] == ["demo-chat-eu"]
	d.pii_actions.PERSON.action == "pseudonymise"
	d.pii_actions.CREDIT_CARD.action == "pseudonymise"
	d.output_pii_actions["*"].action == "redact"
	d.models == ["demo-chat", "demo-embed"]
}

test_denied_decision_has_no_routes if {
	d := govgate.decision with input as json.patch(chat, [{"op": "replace", "path": "/request/purpose", "value": "debt-collection"}])
	not d.allow
	d.routes == []
	"ACC-004" in rule_ids(d.deny)
}

test_unsupported_contract_denied if {
	d := govgate.decision with input as json.patch(chat, [{"op": "replace", "path": "/contract_version", "value": "2"}])
	not d.allow
	"GOV-001" in rule_ids(d.deny)
}

test_empty_input_fails_closed if {
	d := govgate.decision with input as {}
	not d.allow
	"GOV-001" in rule_ids(d.deny)
	"ACC-001" in rule_ids(d.deny)
}

test_every_input_entity_type_gets_an_action if {
	types := ["PERSON", "US_SSN", "SOMETHING_NEW"]
	d := govgate.decision with input as json.patch(chat, [{"op": "replace", "path": "/pii/entity_types", "value": types}])
	every t in types {
		d.pii_actions[t].action
	}
}

test_deny_is_sorted_by_rule_id if {
	d := govgate.decision with input as {"contract_version": "1", "caller": {"id": "x", "roles": []}, "request": {"kind": "chat"}}
	ids := [r.rule_id | some r in d.deny]
	ids == sort(ids)
	count(ids) > 2
}
