"""Policy as code: the Rego decision and the engines that evaluate it."""
