package govgate.output_test

import data.govgate.output

request_with(purpose, entity_types) := {
	"contract_version": "1",
	"caller": {"id": "svc-helpdesk", "roles": ["bot"]},
	"request": {"kind": "chat", "model": "demo-chat", "purpose": purpose},
	"customer": {"region": "EU"},
	"pii": {"entity_types": entity_types, "findings": []},
}

test_customer_support_echoes_callers_own_types if {
	actions := output.actions with input as request_with("customer-support", ["PHONE_NUMBER"])
	actions.PHONE_NUMBER == {"action": "allow", "rule_id": "OUT-010"}
}

test_customer_support_redacts_types_caller_did_not_send if {
	actions := output.actions with input as request_with("customer-support", ["PERSON"])
	actions.PHONE_NUMBER == {"action": "redact", "rule_id": "OUT-021"}
	actions.EMAIL_ADDRESS.action == "redact"
}

test_masked_types_are_not_echoed if {
	cfg := json.patch(data.govgate_data.pii, [{"op": "replace", "path": "/purposes/customer-support/actions/CREDIT_CARD", "value": {"action": "mask", "keep_last": 4}}])
	actions := output.actions with input as request_with("customer-support", ["CREDIT_CARD"]) with data.govgate_data.pii as cfg
	actions.CREDIT_CARD.action == "redact"
}

test_pseudonymised_card_comes_back_to_its_caller if {
	actions := output.actions with input as request_with("customer-support", ["CREDIT_CARD", "CN_RESIDENT_ID"])
	actions.CREDIT_CARD == {"action": "allow", "rule_id": "OUT-010"}
	actions.CN_RESIDENT_ID == {"action": "allow", "rule_id": "OUT-010"}
}

test_secret_is_redacted_in_every_answer if {
	every purpose in ["customer-support", "marketing", "no-such-purpose"] {
		actions := output.actions with input as request_with(purpose, ["SECRET"])
		actions.SECRET == {"action": "redact", "rule_id": "OUT-030"}
	}
}

test_secret_fixed_action_beats_echo_and_output_mapping if {
	cfg := json.patch(data.govgate_data.pii, [
		{"op": "add", "path": "/purposes/customer-support/actions/SECRET", "value": {"action": "allow"}},
		{"op": "add", "path": "/purposes/customer-support/output/actions/SECRET", "value": {"action": "allow"}},
	])
	actions := output.actions with input as request_with("customer-support", ["SECRET"]) with data.govgate_data.pii as cfg
	actions.SECRET == {"action": "redact", "rule_id": "OUT-030"}
}

test_customer_support_allows_public_types if {
	actions := output.actions with input as request_with("customer-support", [])
	actions.ORGANIZATION == {"action": "allow", "rule_id": "OUT-020"}
}

test_marketing_redacts_everything_in_output if {
	actions := output.actions with input as request_with("marketing", ["PERSON", "PHONE_NUMBER"])
	every _, a in actions {
		a.action == "redact"
	}
}

test_every_catalogue_type_and_wildcard_present if {
	actions := output.actions with input as request_with("customer-support", ["CUSTOM_TYPE"])
	every t, _ in data.govgate_data.pii.entity_types {
		actions[t]
	}
	actions["*"].action == "redact"
	actions.CUSTOM_TYPE.action == "redact"
}

test_unknown_purpose_uses_policy_output_default if {
	actions := output.actions with input as request_with("credit-scoring", ["PERSON"])
	actions.PERSON == {"action": "redact", "rule_id": "OUT-022"}
	actions["*"] == {"action": "redact", "rule_id": "OUT-022"}
}
