# METADATA
# title: Routing
# description: |
#   The deployments a model call may go to, in order of preference: deployments of the
#   requested alias and kind, hosted in a region residency permits, cleared for the
#   request's data classification. The customer's own region comes first, then lower
#   priority, then deployment id (data.govgate_data.deployments).
# scope: package
# custom:
#   rule_ids: [RTE-001, RTE-002, RTE-003, RTE-010]
package govgate.routing

# METADATA
# description: Routing holds only when no routing rule denies.
default allow := false

allow if count(deny) == 0

model_kinds := {"chat", "embeddings"}

default kind := ""

kind := k if {
	k := input.request.kind
	is_string(k)
}

default model := ""

model := m if {
	m := input.request.model
	is_string(m)
}

_applies if kind in model_kinds

# Deployments of the requested alias, then of the alias and kind: computed once per
# decision as rules (not re-scanned by each rule that needs them).
_alias_deployments := {id: d |
	some id, d in data.govgate_data.deployments
	d.alias == model
}

_kind_deployments := {id: d |
	some id, d in _alias_deployments
	d.kind == kind
}

# METADATA
# description: No deployment serves the model alias.
# custom:
#   rule_id: RTE-001
deny contains {"rule_id": "RTE-001", "reason": sprintf("model '%s' is not deployed", [model])} if {
	_applies
	model != ""
	count(_alias_deployments) == 0
}

# METADATA
# description: The model alias exists but serves another request kind.
# custom:
#   rule_id: RTE-002
deny contains {"rule_id": "RTE-002", "reason": sprintf("model '%s' does not serve %s requests", [model, kind])} if {
	_applies
	count(_alias_deployments) > 0
	count(_kind_deployments) == 0
}

# METADATA
# description: No deployment of the alias satisfies residency and data classification.
# custom:
#   rule_id: RTE-003
deny contains {"rule_id": "RTE-003", "reason": sprintf(
	"no deployment of '%s' is hosted in [%s] and cleared for %s data",
	[model, concat(", ", sort([r | some r in regions])), data.govgate.pii.classification],
)} if {
	count(_kind_deployments) > 0
	regions := data.govgate.residency.hosting_regions
	count(routes) == 0
}

# METADATA
# description: Permitted deployments, most preferred first.
default routes := []

routes := [route(ranked[2], ranked[3]) | some ranked in sort(_ranked)]

# Only deployments of the alias and kind are ranked, never the whole catalogue: customer's
# region first (false sorts before true), then priority, then id (unique, so the deployment
# itself is never compared).
_ranked := [[d.region != _customer_region, object.get(d, "priority", 100), id, d] |
	some id, d in _kind_deployments
	d.region in _regions
	is_cleared(_level_ranks, d.max_classification, _classification)
]

_regions := data.govgate.residency.hosting_regions

_customer_region := data.govgate.residency.region

_classification := data.govgate.pii.classification

_level_ranks := {name: i | some i, name in data.govgate_data.pii.classification_levels}

reasons contains {"rule_id": "RTE-010", "reason": sprintf("route to %s (%s, %s)", [r.deployment, r.provider, r.region])} if {
	some r in routes
}

is_cleared(level_ranks, deployment_level, request_level) if {
	level_ranks[request_level] <= level_ranks[deployment_level]
}

route(id, deployment) := {
	"deployment": id,
	"model": deployment.model,
	"provider": deployment.provider,
	"base_url": deployment.base_url,
	"region": deployment.region,
	"api_key_env": object.get(deployment, "api_key_env", null),
	"timeout_s": object.get(deployment, "timeout_s", null),
}
