# METADATA
# title: Vocabulary
# description: |
#   The identifiers the policy data lists: model aliases, purposes, customer regions,
#   cross-border bases and audit attribute values. The gateway passes a caller's value to
#   the policy and the record as sent only when it is listed here; any other value goes
#   as a keyed hash, so a model name or header that carries personal data is never stored
#   or echoed raw (docs/policy-contract.md, "Vocabulary"). Evaluated once per bundle.
# scope: package
package govgate.vocabulary

# METADATA
# description: The listed identifiers, each as a sorted array (attributes by key).
# entrypoint: true
listed := {
	"models": sort({d.alias | some d in data.govgate_data.deployments}),
	"purposes": sort(_purposes),
	"regions": sort({r | some r, _ in data.govgate_data.residency.regions}),
	"cross_border_bases": sort(_bases),
	"attributes": {k: sort(values) | some k, values in data.govgate_data.audit.attributes},
}

_purposes contains p if {
	some role in data.govgate_data.roles
	some p, _ in role.purposes
}

_purposes contains p if some p, _ in data.govgate_data.pii.purposes

_bases contains b if {
	some rule in data.govgate_data.residency.regions
	some _, bases in rule.cross_border.bases
	some b in bases
}
