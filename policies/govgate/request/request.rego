# METADATA
# title: Request
# description: |
#   The input fields every rule family reads, normalised once per decision: a field that
#   is missing or not a string reads as "", so rules comparing it fail closed. Each family
#   refers to these rules by full path (data.govgate.request.<rule>) instead of
#   re-reading the input, because every evaluated rule costs a few microseconds.
# scope: package
package govgate.request

# Request kinds that send customer data to a model upstream.
model_kinds := {"chat", "embeddings"}

# METADATA
# description: The request calls a model (and so needs a purpose, a model and a region).
default is_model_call := false

is_model_call if kind in model_kinds

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

# The caller's role names (non-strings ignored; empty when missing).
caller_roles := {r | some r in input.caller.roles; is_string(r)}

# The customer's residency region, upper-cased; "" when missing.
default customer_region := ""

customer_region := upper(r) if {
	r := input.customer.region
	is_string(r)
}

default basis := ""

basis := b if {
	b := input.customer.cross_border_basis
	is_string(b)
}
