package govgate.pii_test

import data.govgate.pii

request_with(purpose, entity_types) := {
	"contract_version": "1",
	"caller": {"id": "svc-helpdesk", "roles": ["bot"]},
	"request": {"kind": "chat", "model": "demo-chat", "purpose": purpose},
	"customer": {"region": "EU"},
	"pii": {"entity_types": entity_types, "findings": []},
}

test_customer_support_pseudonymises_identifiers if {
	actions := pii.actions with input as request_with("customer-support", ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER"])
	actions.PERSON.action == "pseudonymise"
	actions.EMAIL_ADDRESS.action == "pseudonymise"
	actions.PHONE_NUMBER.action == "pseudonymise"
	actions.PERSON.rule_id == "PII-010"
}

test_customer_support_pseudonymises_cards_and_national_ids if {
	types := ["CREDIT_CARD", "CN_RESIDENT_ID", "US_SSN", "CN_PASSPORT"]
	actions := pii.actions with input as request_with("customer-support", types)
	every t in types {
		actions[t] == {"action": "pseudonymise", "rule_id": "PII-010"}
	}
}

test_secret_is_redacted_for_every_purpose if {
	every purpose in ["customer-support", "marketing", "no-such-purpose"] {
		actions := pii.actions with input as request_with(purpose, ["SECRET", "PERSON"])
		actions.SECRET == {"action": "redact", "rule_id": "PII-030"}
	}
}

test_secret_fixed_action_beats_a_purpose_mapping if {
	cfg := json.patch(data.govgate_data.pii, [
		{"op": "add", "path": "/purposes/customer-support/actions/SECRET", "value": {"action": "pseudonymise"}},
		{"op": "add", "path": "/purposes/customer-support/restore/-", "value": "SECRET"},
	])
	inp := request_with("customer-support", ["SECRET"])
	actions := pii.actions with input as inp with data.govgate_data.pii as cfg
	actions.SECRET == {"action": "redact", "rule_id": "PII-030"}
	restored := pii.restore with input as inp with data.govgate_data.pii as cfg
	not "SECRET" in restored
}

test_secret_in_findings_only_is_redacted if {
	inp := json.patch(request_with("marketing", []), [{"op": "replace", "path": "/pii/findings", "value": [{"entity_type": "SECRET", "score": 1.0, "language": "en"}]}])
	actions := pii.actions with input as inp
	actions.SECRET.action == "redact"
}

test_customer_support_hashes_ip_addresses if {
	actions := pii.actions with input as request_with("customer-support", ["IP_ADDRESS"])
	actions.IP_ADDRESS.action == "hash"
}

test_unknown_entity_type_gets_purpose_default if {
	actions := pii.actions with input as request_with("customer-support", ["MEDICAL_RECORD"])
	actions.MEDICAL_RECORD == {"action": "redact", "rule_id": "PII-011"}
}

test_marketing_redacts_everything if {
	types := ["PERSON", "EMAIL_ADDRESS", "CREDIT_CARD", "LOCATION", "ORGANIZATION", "CN_USCC"]
	actions := pii.actions with input as request_with("marketing", types)
	every t in types {
		actions[t].action == "redact"
	}
}

test_unknown_purpose_uses_policy_default if {
	actions := pii.actions with input as request_with("credit-scoring", ["PERSON"])
	actions.PERSON == {"action": "redact", "rule_id": "PII-012"}
}

test_finding_types_also_get_actions if {
	inp := json.patch(request_with("customer-support", []), [{"op": "replace", "path": "/pii/findings", "value": [{"entity_type": "PHONE_NUMBER", "score": 0.9, "language": "zh"}]}])
	actions := pii.actions with input as inp
	actions.PHONE_NUMBER.action == "pseudonymise"
}

test_block_action_denies if {
	cfg := json.patch(data.govgate_data.pii, [{"op": "add", "path": "/purposes/marketing/actions/US_SSN", "value": {"action": "block"}}])
	denials := pii.deny with input as request_with("marketing", ["US_SSN"]) with data.govgate_data.pii as cfg
	some d in denials
	d.rule_id == "PII-001"
}

test_classification_baseline_is_internal if {
	pii.classification == "internal" with input as request_with("customer-support", ["PERSON", "CREDIT_CARD"])
}

test_classification_raised_by_raw_values if {
	cfg := json.patch(data.govgate_data.pii, [{"op": "add", "path": "/purposes/customer-support/actions/CREDIT_CARD", "value": {"action": "allow"}}])
	pii.classification == "restricted" with input as request_with("customer-support", ["CREDIT_CARD"]) with data.govgate_data.pii as cfg
}

test_action_for_takes_arguments if {
	cfg := {
		"default_action": {"action": "redact"},
		"purposes": {"p": {"actions": {"A": {"action": "hash"}}, "default": {"action": "block"}}},
	}
	pii.action_for(cfg, "p", "A") == {"action": "hash", "rule_id": "PII-010"}
	pii.action_for(cfg, "p", "B") == {"action": "block", "rule_id": "PII-011"}
	pii.action_for(cfg, "q", "A") == {"action": "redact", "rule_id": "PII-012"}
}

test_customer_support_restores_its_pseudonymised_types if {
	pii.restore == ["ADDRESS", "CN_PASSPORT", "CN_RESIDENT_ID", "CREDIT_CARD", "EMAIL_ADDRESS", "PERSON", "PHONE_NUMBER", "US_SSN"] with input as request_with("customer-support", [])
}

test_marketing_restores_nothing if {
	pii.restore == [] with input as request_with("marketing", ["PERSON"])
}

test_unknown_or_missing_purpose_restores_nothing if {
	pii.restore == [] with input as request_with("no-such-purpose", ["PERSON"])
	pii.restore == [] with input as {"contract_version": "1", "caller": {"id": "x", "roles": ["bot"]}, "request": {"kind": "chat"}}
}

test_a_listed_type_the_purpose_does_not_pseudonymise_is_not_restored if {
	cfg := object.union(data.govgate_data.pii, {"purposes": {"customer-support": object.union(
		data.govgate_data.pii.purposes["customer-support"],
		{"restore": ["PERSON", "IBAN_CODE"]},
	)}})
	pii.restore == ["PERSON"] with input as request_with("customer-support", []) with data.govgate_data.pii as cfg
}
