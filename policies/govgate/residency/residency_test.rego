package govgate.residency_test

import data.govgate.residency

chat_from(region) := {
	"contract_version": "1",
	"caller": {"id": "svc-helpdesk", "roles": ["bot"]},
	"request": {"kind": "chat", "model": "demo-chat", "purpose": "customer-support"},
	"customer": {"region": region},
}

rule_ids(items) := {i.rule_id | some i in items}

test_eu_data_stays_in_eu if {
	residency.hosting_regions == {"EU"} with input as chat_from("EU")
	"RES-010" in rule_ids(residency.reasons) with input as chat_from("EU")
}

test_region_is_case_insensitive if {
	residency.hosting_regions == {"EU"} with input as chat_from("eu")
}

test_cn_data_stays_in_cn_without_basis if {
	residency.hosting_regions == {"CN"} with input as chat_from("CN")
}

test_cn_cross_border_with_accepted_basis if {
	inp := json.patch(chat_from("CN"), [{"op": "add", "path": "/customer/cross_border_basis", "value": "pipl-standard-contract"}])
	residency.hosting_regions == {"CN", "EU", "US"} with input as inp
	"RES-021" in rule_ids(residency.reasons) with input as inp
}

test_cn_basis_not_accepted_for_marketing if {
	inp := json.patch(chat_from("CN"), [
		{"op": "add", "path": "/customer/cross_border_basis", "value": "pipl-standard-contract"},
		{"op": "replace", "path": "/request/purpose", "value": "marketing"},
	])
	residency.hosting_regions == {"CN"} with input as inp
	"RES-022" in rule_ids(residency.reasons) with input as inp
}

test_us_unrestricted if {
	residency.hosting_regions == {"US", "EU", "CN"} with input as chat_from("US")
	"RES-011" in rule_ids(residency.reasons) with input as chat_from("US")
}

test_missing_region_denied if {
	denials := residency.deny with input as json.remove(chat_from("EU"), ["customer/region"])
	"RES-001" in rule_ids(denials)
}

test_null_region_denied if {
	denials := residency.deny with input as chat_from(null)
	"RES-001" in rule_ids(denials)
}

test_missing_region_can_assume_strictest if {
	settings := json.patch(data.govgate_data.residency, [{"op": "replace", "path": "/missing_region", "value": {"action": "assume", "region": "EU"}}])
	inp := json.remove(chat_from("EU"), ["customer/region"])
	residency.hosting_regions == {"EU"} with input as inp with data.govgate_data.residency as settings
	count(residency.deny) == 0 with input as inp with data.govgate_data.residency as settings
}

test_unknown_region_denied if {
	denials := residency.deny with input as chat_from("BR")
	"RES-002" in rule_ids(denials)
}

test_models_listing_needs_no_region if {
	residency.allow with input as {"contract_version": "1", "caller": {"id": "x", "roles": ["bot"]}, "request": {"kind": "models"}}
}

test_allowed_hosting_takes_arguments if {
	rule := {"hosting_regions": ["A"], "cross_border": {"hosting_regions": ["B"], "bases": {"p": ["ok"]}}}
	residency.allowed_hosting(rule, "p", "ok") == {"A", "B"}
	residency.allowed_hosting(rule, "p", "other") == {"A"}
	residency.allowed_hosting(rule, "q", "ok") == {"A"}
}
