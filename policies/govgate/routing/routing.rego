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

# The request's fields come normalised from data.govgate.request (missing reads as "").

# Deployments of the requested alias, then of the alias and kind: computed once per
# decision as rules (not re-scanned by each rule that needs them).
_alias_deployments := {id: d |
	some id, d in data.govgate_data.deployments
	d.alias == data.govgate.request.model
}

_kind_deployments := {id: d |
	some id, d in _alias_deployments
	d.kind == data.govgate.request.kind
}

# METADATA
# description: No deployment serves the model alias.
# custom:
#   rule_id: RTE-001
deny contains {"rule_id": "RTE-001", "reason": sprintf("model '%s' is not deployed", [data.govgate.request.model])} if {
	data.govgate.request.is_model_call
	data.govgate.request.model != ""
	count(_alias_deployments) == 0
}

# METADATA
# description: The model alias exists but serves another request kind.
# custom:
#   rule_id: RTE-002
deny contains {"rule_id": "RTE-002", "reason": sprintf("model '%s' does not serve %s requests", [data.govgate.request.model, data.govgate.request.kind])} if {
	data.govgate.request.is_model_call
	count(_alias_deployments) > 0
	count(_kind_deployments) == 0
}

# METADATA
# description: No deployment of the alias satisfies residency and data classification.
# custom:
#   rule_id: RTE-003
deny contains {"rule_id": "RTE-003", "reason": sprintf(
	"no deployment of '%s' is hosted in [%s] and cleared for %s data",
	[data.govgate.request.model, concat(", ", sort([r | some r in regions])), data.govgate.pii.classification],
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
_ranked := [[d.region != data.govgate.residency.region, object.get(d, "priority", 100), id, d] |
	some id, d in _kind_deployments
	d.region in data.govgate.residency.hosting_regions
	is_cleared(data.govgate.pii.level_ranks, d.max_classification, data.govgate.pii.classification)
]

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
