# METADATA
# title: Residency
# description: |
#   Where customer data may be processed, by the customer's residency region:
#   EU data only in EU-hosted deployments (GDPR), CN personal information only in CN
#   (PIPL) unless a cross-border basis accepted for the purpose is declared, US data
#   anywhere (same region preferred by routing). A missing region follows
#   data.govgate_data.residency.missing_region (the sample denies); a declared region
#   the rules do not know is always denied.
# scope: package
# custom:
#   rule_ids: [RES-001, RES-002, RES-010, RES-011, RES-021, RES-022]
package govgate.residency

# METADATA
# description: Residency holds only when no residency rule denies.
default allow := false

allow if count(deny) == 0

# The request's fields come normalised from data.govgate.request (missing reads as "").

# METADATA
# description: The region whose rules apply, after the missing-region setting.
default region := ""

region := data.govgate.request.customer_region if data.govgate.request.customer_region != ""

region := assumed if {
	data.govgate.request.customer_region == ""
	assumed := assumed_region(data.govgate_data.residency)
}

# METADATA
# description: Customer data must carry a residency region.
# custom:
#   rule_id: RES-001
deny contains {"rule_id": "RES-001", "reason": "customer region is missing; residency cannot be decided"} if {
	data.govgate.request.is_model_call
	region == ""
}

# METADATA
# description: The declared region has no residency rule.
# custom:
#   rule_id: RES-002
deny contains {"rule_id": "RES-002", "reason": sprintf("customer region '%s' has no residency rule", [region])} if {
	data.govgate.request.is_model_call
	region != ""
	not _rule
}

# The residency rule of the region, looked up once per decision.
_rule := data.govgate_data.residency.regions[region] if data.govgate.request.is_model_call

# METADATA
# description: Regions whose deployments may receive this request's customer data.
hosting_regions := allowed_hosting(_rule, data.govgate.request.purpose, data.govgate.request.basis)

_accepted if has_accepted_basis(_rule, data.govgate.request.purpose, data.govgate.request.basis)

# METADATA
# description: The region's data stays in the listed hosting regions.
# custom:
#   rule_id: RES-010
reasons contains {"rule_id": "RES-010", "reason": sprintf(
	"%s customer data may only be processed in [%s] (%s)",
	[region, concat(", ", sort(hosting_regions)), _rule.law],
)} if {
	hosting_regions
	not _rule.unrestricted
}

# METADATA
# description: The region places no residency restriction.
# custom:
#   rule_id: RES-011
reasons contains {"rule_id": "RES-011", "reason": sprintf("%s customer data is not residency-restricted (%s)", [region, _rule.law])} if {
	hosting_regions
	_rule.unrestricted
}

# METADATA
# description: A cross-border basis accepted for the purpose widens the hosting regions.
# custom:
#   rule_id: RES-021
reasons contains {"rule_id": "RES-021", "reason": sprintf("cross-border transfer of %s data under basis '%s' for purpose '%s'", [region, data.govgate.request.basis, data.govgate.request.purpose])} if {
	_accepted
}

# METADATA
# description: A declared cross-border basis that is not accepted for the purpose is ignored.
# custom:
#   rule_id: RES-022
reasons contains {"rule_id": "RES-022", "reason": sprintf("cross-border basis '%s' is not accepted for %s data and purpose '%s'; data stays in region", [data.govgate.request.basis, region, data.govgate.request.purpose])} if {
	data.govgate.request.basis != ""
	_rule
	not _accepted
}

assumed_region(settings) := settings.missing_region.region if settings.missing_region.action == "assume"

has_accepted_basis(rule, request_purpose, declared) if {
	declared != ""
	declared in rule.cross_border.bases[request_purpose]
}

allowed_hosting(rule, request_purpose, declared) := {r | some r in rule.hosting_regions} | {r |
	has_accepted_basis(rule, request_purpose, declared)
	some r in rule.cross_border.hosting_regions
}
