package govgate.routing_test

import data.govgate.routing

request_from(region, kind, model) := {
	"contract_version": "1",
	"caller": {"id": "svc-helpdesk", "roles": ["bot"]},
	"request": {"kind": kind, "model": model, "purpose": "customer-support"},
	"customer": {"region": region},
	"pii": {"entity_types": [], "findings": []},
}

deployment_ids(routes) := [r.deployment | some r in routes]

rule_ids(items) := {i.rule_id | some i in items}

test_eu_chat_routes_to_eu_only if {
	deployment_ids(routing.routes) == ["demo-chat-eu"] with input as request_from("EU", "chat", "demo-chat")
}

test_cn_embeddings_route_to_cn_only if {
	deployment_ids(routing.routes) == ["demo-embed-cn"] with input as request_from("CN", "embeddings", "demo-embed")
}

test_us_prefers_same_region if {
	ids := deployment_ids(routing.routes) with input as request_from("US", "chat", "demo-chat")
	ids == ["demo-chat-us", "demo-chat-cn", "demo-chat-eu"]
}

test_route_carries_builtin_demo_upstream if {
	routes := routing.routes with input as request_from("EU", "chat", "demo-chat")
	routes[0].base_url == "builtin:demo"
	routes[0].region == "EU"
	routes[0].model == "demo-chat-1"
}

test_unknown_model_denied if {
	denials := routing.deny with input as request_from("EU", "chat", "gpt-9")
	"RTE-001" in rule_ids(denials)
	routing.routes == [] with input as request_from("EU", "chat", "gpt-9")
}

test_kind_mismatch_denied if {
	denials := routing.deny with input as request_from("EU", "embeddings", "demo-chat")
	"RTE-002" in rule_ids(denials)
}

test_no_deployment_in_permitted_region_denied if {
	deployments := json.remove(data.govgate_data.deployments, ["demo-chat-eu"])
	denials := routing.deny with input as request_from("EU", "chat", "demo-chat") with data.govgate_data.deployments as deployments
	"RTE-003" in rule_ids(denials)
}

test_classification_filters_deployments if {
	cfg := json.patch(data.govgate_data.pii, [{"op": "add", "path": "/purposes/customer-support/actions/CREDIT_CARD", "value": {"action": "allow"}}])
	inp := json.patch(request_from("EU", "chat", "demo-chat"), [{"op": "replace", "path": "/pii/entity_types", "value": ["CREDIT_CARD"]}])
	denials := routing.deny with input as inp with data.govgate_data.pii as cfg
	"RTE-003" in rule_ids(denials)
}

test_is_cleared_takes_arguments if {
	levels := {"public": 0, "internal": 1, "confidential": 2, "restricted": 3}
	routing.is_cleared(levels, "confidential", "internal")
	routing.is_cleared(levels, "confidential", "confidential")
	not routing.is_cleared(levels, "confidential", "restricted")
	not routing.is_cleared(levels, "bogus", "internal")
}
