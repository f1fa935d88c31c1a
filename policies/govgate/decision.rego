# METADATA
# title: GovGate decision
# description: |
#   The one entrypoint the gateway evaluates: data.govgate.decision. Composes access,
#   residency, PII, routing and output rules into the versioned result document
#   (docs/policy-contract.md). Allowed only when no rule denies; routes are empty
#   whenever the request is denied.
# scope: package
# custom:
#   rule_ids: [GOV-001]
package govgate

# Other packages are referenced by full path (data.govgate.<pkg>.<rule>), not through
# `import data.govgate.<pkg>`: regorus evaluates a whole imported package on each
# `<pkg>.<rule>` reference, which costs milliseconds per decision.

contract_version := "1"

# METADATA
# description: A request is allowed only when no rule of any family denies it.
default allow := false

allow if {
	is_supported_contract
	count(deny) == 0
}

is_supported_contract if input.contract_version == contract_version

# METADATA
# description: The input document's contract version is not the one this policy speaks.
# custom:
#   rule_id: GOV-001
deny contains {"rule_id": "GOV-001", "reason": "input contract_version is missing or unsupported"} if {
	not is_supported_contract
}

deny contains d if some d in data.govgate.access.deny

deny contains d if some d in data.govgate.residency.deny

deny contains d if some d in data.govgate.pii.deny

deny contains d if some d in data.govgate.routing.deny

reasons contains r if some r in data.govgate.residency.reasons

reasons contains r if some r in data.govgate.pii.reasons

reasons contains r if {
	allow
	some r in data.govgate.routing.reasons
}

# METADATA
# title: Decision
# description: The result document (contract version 1) the gateway validates and enforces.
# entrypoint: true
decision := {
	"contract_version": contract_version,
	"allow": allow,
	"deny": ordered(deny),
	"reasons": ordered(reasons),
	"routes": _routes,
	"pii_actions": data.govgate.pii.actions,
	"output_pii_actions": data.govgate.output.actions,
	"restore_pii": data.govgate.pii.restore,
	"models": data.govgate.access.models,
}

default _routes := []

_routes := data.govgate.routing.routes if allow

# Reasons in a stable order (rule id, then text), the same on every engine.
ordered(items) := [{"rule_id": pair[0], "reason": pair[1]} |
	some pair in sort([[item.rule_id, item.reason] | some item in items])
]
