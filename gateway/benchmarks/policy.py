"""Latency of policy decisions (``python -m gateway.benchmarks.policy [policy_dir]``; default: the
settings' policy folder, GOVGATE_POLICY_DIR or policies/).

Speed lives here, not in tests: ``bench_policy`` evaluates a fixed mix of realistic inputs
``n`` times after a warm-up and reports percentiles in milliseconds.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Sequence

from gateway.config import Settings
from gateway.policy.documents import PiiFindingInput, PolicyInput
from gateway.policy.engine import PolicyEngine

DEFAULT_N = 2000
WARMUP = 50


def sample_inputs() -> list[PolicyInput]:
    """A small mix: allowed chat/embeddings per region, a denial, a models listing."""
    def make(kind: str, model: str | None, purpose: str | None, region: str | None, types: list[str],
             roles: tuple[str, ...] = ("bot",), basis: str | None = None) -> PolicyInput:
        return PolicyInput.build(caller_id="svc-helpdesk", roles=roles, kind=kind, model=model, purpose=purpose,
                                 region=region, cross_border_basis=basis,
                                 findings=[PiiFindingInput(entity_type=t, score=0.85, language="en") for t in types])

    return [
        make("chat", "demo-chat", "customer-support", "EU", ["PERSON", "EMAIL_ADDRESS", "CREDIT_CARD"]),
        make("chat", "demo-chat", "customer-support", "CN", ["PERSON", "CN_RESIDENT_ID", "PHONE_NUMBER"], basis="pipl-standard-contract"),
        make("embeddings", "demo-embed", "marketing", "US", ["PERSON", "LOCATION"]),
        make("chat", "demo-chat", "credit-scoring", "EU", ["PERSON"]),
        make("models", None, None, None, [], roles=("bot",)),
    ]


def bench_policy(engine: PolicyEngine, n: int = DEFAULT_N, inputs: Sequence[PolicyInput] | None = None) -> dict[str, float]:
    """Evaluate ``n`` decisions round-robin over ``inputs``; p50/p95/p99 in ms."""
    inputs = list(inputs or sample_inputs())
    for i in range(WARMUP):
        engine.evaluate(inputs[i % len(inputs)])
    samples = []
    for i in range(n):
        policy_input = inputs[i % len(inputs)]
        start = time.perf_counter()
        engine.evaluate(policy_input)
        samples.append((time.perf_counter() - start) * 1000.0)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49], 4), "p95_ms": round(cuts[94], 4), "p99_ms": round(cuts[98], 4), "n": n}


def main(argv: Sequence[str] | None = None) -> int:
    from gateway.policy.bundle import PolicyBundle
    from gateway.policy.engine import build_engine

    args = list(sys.argv[1:] if argv is None else argv)
    bundle = PolicyBundle.load(args[0] if args else Settings().policy_dir)
    for name in ("regorus", "opa"):
        print(name, bench_policy(build_engine(bundle, name)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
