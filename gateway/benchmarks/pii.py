"""Latency of `PiiEngine.analyze` on realistic ~300-character support messages.

    python -m gateway.benchmarks.pii [--n 500]

Messages come from `gateway.pii.samples` (fixed seed). Each call is timed on its own with
`perf_counter`; the first `warmup` calls are discarded. Reported in milliseconds.
"""

from __future__ import annotations

import random
import statistics
import time

from gateway.pii.findings import Language
from gateway.pii.samples import en_message, zh_message

DEFAULT_N = 500
DEFAULT_LENGTH = 300


def bench_analyze(
    engine,
    *,
    language: Language,
    n: int = DEFAULT_N,
    length: int = DEFAULT_LENGTH,
    warmup: int = 20,
    seed: int = 7,
    pass_language: bool = False,
) -> dict:
    """p50/p95/p99/mean in ms over `n` generated messages of ~`length` characters.

    `pass_language=False` (default) includes language detection, as the gateway calls it.
    """
    rng = random.Random(seed)
    make = en_message if language == "en" else zh_message
    messages = [make(rng, target_length=length).text for _ in range(64)]
    hint = language if pass_language else None
    for i in range(warmup):
        engine.analyze(messages[i % len(messages)], language=hint)
    times = []
    for i in range(n):
        text = messages[i % len(messages)]
        start = time.perf_counter()
        engine.analyze(text, language=hint)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "language": language,
        "n": n,
        "chars": round(statistics.mean(len(m) for m in messages)),
        "p50_ms": round(_pct(times, 50), 2),
        "p95_ms": round(_pct(times, 95), 2),
        "p99_ms": round(_pct(times, 99), 2),
        "mean_ms": round(statistics.mean(times), 2),
    }


def _pct(sorted_times: list[float], pct: float) -> float:
    k = (len(sorted_times) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_times) - 1)
    return sorted_times[lo] + (sorted_times[hi] - sorted_times[lo]) * (k - lo)


def main(argv: list[str] | None = None) -> None:
    import argparse
    import json
    import resource

    from gateway.pii.engine import build_pii_engine

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=DEFAULT_N)
    args = parser.parse_args(argv)
    engine = build_pii_engine()
    for language in ("en", "zh"):
        print(json.dumps(bench_analyze(engine, language=language, n=args.n)))
    print(json.dumps({"max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))


if __name__ == "__main__":
    main()
