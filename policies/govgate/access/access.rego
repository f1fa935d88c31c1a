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

# Request kinds that call a model upstream and so need a purpose and a model alias.
model_kinds := {"chat", "embeddings"}

default kind := ""

kind := k if {
	k := input.request.kind
	is_string(k)
}

default purpose := ""

purpose := p if {
	p := input.request.purpose
	is_string(p)
}

default model := ""

model := m if {
	m := input.request.model
	is_string(m)
}

caller_roles := {r | some r in input.caller.roles; is_string(r)}

# The definitions of the caller's known roles, looked up once per decision.
_roles := known_roles(data.govgate_data.roles, caller_roles)

_has_known_role if count(_roles) > 0

_kind_permitted if {
	some role in _roles
	kind in role.kinds
}

_purpose_permitted if {
	some role in _roles
	role.purposes[purpose]
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
deny contains {"rule_id": "ACC-002", "reason": sprintf("request kind '%s' is not permitted for roles [%s]", [kind, roles_text])} if {
	_has_known_role
	not _kind_permitted
}

# METADATA
# description: A model call must declare its purpose.
# custom:
#   rule_id: ACC-003
deny contains {"rule_id": "ACC-003", "reason": sprintf("a %s request must declare a purpose", [kind])} if {
	kind in model_kinds
	purpose == ""
}

# METADATA
# description: The declared purpose is unknown, or none of the caller's roles may use it.
# custom:
#   rule_id: ACC-004
deny contains {"rule_id": "ACC-004", "reason": sprintf("purpose '%s' is not permitted for roles [%s]", [purpose, roles_text])} if {
	purpose != ""
	not _purpose_permitted
}

# METADATA
# description: A model call must name a model alias.
# custom:
#   rule_id: ACC-005
deny contains {"rule_id": "ACC-005", "reason": sprintf("a %s request must name a model", [kind])} if {
	kind in model_kinds
	model == ""
}

# METADATA
# description: The model alias is not among those the caller's roles may use for the purpose.
# custom:
#   rule_id: ACC-006
deny contains {"rule_id": "ACC-006", "reason": sprintf("model '%s' is not permitted for purpose '%s'", [model, purpose])} if {
	kind in model_kinds
	model != ""
	_purpose_permitted
	not model in _usable_aliases
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
	some alias in role.purposes[purpose]
} if purpose != ""

_usable_aliases := {alias |
	some role in _roles
	some aliases in role.purposes
	some alias in aliases
} if purpose == ""

roles_text := concat(", ", sort(caller_roles))

# The definitions of the named roles the policy knows (unknown names are skipped).
known_roles(roles, names) := [roles[name] | some name in names]

is_purpose_permitted(roles, names, request_purpose) if {
	some role in known_roles(roles, names)
	role.purposes[request_purpose]
}

deployed_aliases(deployments) := {d.alias | some d in deployments}
