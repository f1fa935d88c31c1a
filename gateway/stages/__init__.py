"""The request path's stages, in the order of the house plan's diagram:

    admission     authenticate the caller, identify the customer, apply the rate limit
    request       parse the body within its bounds; the texts to scan
    detection     find PII in those texts (and in header values that must not carry any)
    policy        ask the policy: the input document (the question), then its decision
    obligations   do to each finding what the policy says; the body that may go upstream
    forwarding    send to the permitted deployments in order, failing over (`Failover`)
    answer/relay  scan and restore the answer, whole or streamed
    recording     assemble the decision record from what the stages returned; write it

Each stage takes plain typed values and returns what it decided; none writes into another's
result or into the record. `gateway.pipeline` calls them top to bottom and keeps what they
return on the request's `Run`, from which `recording` assembles the record in one place. The
record's `stage` (where a request stopped) uses these names, `answer` for answer/relay and
`completed` for a request that got its answer; recording itself is none (a record that cannot
be written does not exist).
"""
