"""Benchmarks: speed is measured here, not in tests.

    python -m gateway.benchmarks          the `make bench` suite (__main__.py)
    govgate bench                         one load run against live gateway processes (load.py)
    python -m gateway.benchmarks.pii      PII analysis latency (pii.py)
    python -m gateway.benchmarks.policy   policy decision latency per engine (policy.py)
    GOVGATE_PIPELINE_MODE=policy|passthrough  the modes' switches, wired by the factory (modes.py)

Importing this package does nothing; each module imports what it measures.
"""
