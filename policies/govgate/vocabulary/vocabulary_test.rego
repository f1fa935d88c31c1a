package govgate.vocabulary_test

import data.govgate.vocabulary

test_sample_policy_lists_its_identifiers if {
	v := vocabulary.listed
	every m in ["demo-chat", "demo-embed"] {
		m in v.models
	}
	every p in ["customer-support", "marketing"] {
		p in v.purposes
	}
	every r in ["CN", "EU", "US"] {
		r in v.regions
	}
	"pipl-standard-contract" in v.cross_border_bases
	"female" in v.attributes.gender
}

test_values_come_from_data if {
	v := vocabulary.listed with data.govgate_data.deployments as {"x": {"alias": "m1"}}
		with data.govgate_data.roles as {"bot": {"purposes": {"p1": []}}}
		with data.govgate_data.pii.purposes as {"p2": {}}
		with data.govgate_data.residency.regions as {"ZZ": {}}
		with data.govgate_data.audit.attributes as {"tier": ["a", "b"]}
	v.models == ["m1"]
	v.purposes == ["p1", "p2"]
	v.regions == ["ZZ"]
	v.cross_border_bases == []
	v.attributes == {"tier": ["a", "b"]}
}
