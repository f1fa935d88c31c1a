package govgate.request_test

import data.govgate.request

chat := {
	"contract_version": "1",
	"caller": {"id": "svc-helpdesk", "roles": ["bot", 7]},
	"request": {"kind": "chat", "model": "demo-chat", "purpose": "customer-support"},
	"customer": {"region": "eu", "cross_border_basis": "pipl-standard-contract"},
}

test_fields_read_from_input if {
	request.kind == "chat" with input as chat
	request.purpose == "customer-support" with input as chat
	request.model == "demo-chat" with input as chat
	request.caller_roles == {"bot"} with input as chat
	request.customer_region == "EU" with input as chat
	request.basis == "pipl-standard-contract" with input as chat
	request.is_model_call with input as chat
}

test_missing_fields_read_as_empty if {
	request.kind == "" with input as {}
	request.purpose == "" with input as {}
	request.model == "" with input as {}
	request.caller_roles == set() with input as {}
	request.customer_region == "" with input as {}
	request.basis == "" with input as {}
	not request.is_model_call with input as {}
}

test_non_string_fields_read_as_empty if {
	inp := {"request": {"kind": 1, "purpose": ["x"], "model": null}, "customer": {"region": 44, "cross_border_basis": true}}
	request.kind == "" with input as inp
	request.purpose == "" with input as inp
	request.model == "" with input as inp
	request.customer_region == "" with input as inp
	request.basis == "" with input as inp
}

test_only_chat_and_embeddings_call_models if {
	request.is_model_call with input as {"request": {"kind": "embeddings"}}
	not request.is_model_call with input as {"request": {"kind": "models"}}
	not request.is_model_call with input as {"request": {"kind": "pii"}}
}
