# METADATA
# title: Access
# description: |
#   Who may make which kind of request, for which purpose, with which model alias.
#   Roles, their request kinds and their purposes live in data.govgate_data.roles.
# scope: package
# custom:
#   rule_ids: [ACC-001, ACC-002, ACC-003, ACC-004, ACC-005, ACC-006]
package govgate.access

# METADATA
# description: Access holds only when no access rule denies.
default allow := false

allow if count(deny) == 0

# The request's fields come normalised from data.govgate.request (missing reads as "").

# The definitions of the caller's known roles, looked up once per decision.
_roles := known_roles(data.govgate_data.roles, data.govgate.request.caller_roles)

_has_known_role if count(_roles) > 0

_kind_permitted if {
	some role in _roles
	data.govgate.request.kind in role.kinds
}

_purpose_permitted if {
	some role in _roles
	role.purposes[data.govgate.request.purpose]
}

# METADATA
# description: The caller holds no role the policy knows.
# custom:
#   rule_id: ACC-001
deny contains {"rule_id": "ACC-001", "reason": "caller has no role known to the policy"} if {
	not _has_known_role
}

# METADATA
# description: None of the caller's roles may make this kind of request.
# custom:
#   rule_id: ACC-002
deny contains {"rule_id": "ACC-002", "reason": sprintf("request kind '%s' is not permitted for roles [%s]", [data.govgate.request.kind, roles_text])} if {
	_has_known_role
	not _kind_permitted
}

# METADATA
# description: A model call must declare its purpose.
# custom:
#   rule_id: ACC-003
deny contains {"rule_id": "ACC-003", "reason": sprintf("a %s request must declare a purpose", [data.govgate.request.kind])} if {
	data.govgate.request.is_model_call
	data.govgate.request.purpose == ""
}

# METADATA
# description: The declared purpose is unknown, or none of the caller's roles may use it.
# custom:
#   rule_id: ACC-004
deny contains {"rule_id": "ACC-004", "reason": sprintf("purpose '%s' is not permitted for roles [%s]", [data.govgate.request.purpose, roles_text])} if {
	data.govgate.request.purpose != ""
	not _purpose_permitted
}

# METADATA
# description: A model call must name a model alias.
# custom:
#   rule_id: ACC-005
deny contains {"rule_id": "ACC-005", "reason": sprintf("a %s request must name a model", [data.govgate.request.kind])} if {
	data.govgate.request.is_model_call
	data.govgate.request.model == ""
}

# METADATA
# description: The model alias is not among those the caller's roles may use for the purpose.
# custom:
#   rule_id: ACC-006
deny contains {"rule_id": "ACC-006", "reason": sprintf("model '%s' is not permitted for purpose '%s'", [data.govgate.request.model, data.govgate.request.purpose])} if {
	data.govgate.request.is_model_call
	data.govgate.request.model != ""
	_purpose_permitted
	not data.govgate.request.model in _usable_aliases
}

# METADATA
# description: |
#   Model aliases the caller may use: for the declared purpose, or for any of its
#   purposes when none is declared. Only aliases that have a deployment are listed.
models := sort([a |
	some a in _usable_aliases
	a in deployed_aliases(data.govgate_data.deployments)
])

_usable_aliases := {alias |
	some role in _roles
	some alias in role.purposes[data.govgate.request.purpose]
} if data.govgate.request.purpose != ""

_usable_aliases := {alias |
	some role in _roles
	some aliases in role.purposes
	some alias in aliases
} if data.govgate.request.purpose == ""

roles_text := concat(", ", sort(data.govgate.request.caller_roles))

# The definitions of the named roles the policy knows (unknown names are skipped).
known_roles(roles, names) := [roles[name] | some name in names]

deployed_aliases(deployments) := {d.alias | some d in deployments}
