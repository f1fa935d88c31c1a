"""`make bench`: the benchmark suite. Writes one JSON file per benchmark and prints a summary.

    python -m gateway.benchmarks [--out DIR] [--rps N] [--seconds S] [--quick]

1. gateway added latency at a fixed rate, per mode (passthrough, policy, full), and full mode
   (plain and streamed) again at a rate one process sustains here
2. PII analysis of a ~300-character message, English and Chinese
3. one policy decision on the embedded engine (regorus) and on the real OPA engine
4. the ledger's cost per request: the wait for a record's commit at 100 and 500 records/s
5. importing interactions: 1,000,000 CSV rows into a fresh SQLite database (50,000 with --quick)
6. a bias audit over 100,000 imported records (10,000 with --quick)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gateway.benchmarks.load import run_bench
from gateway.config import Settings


def _write(out: Path, name: str, result: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"{name}: {json.dumps(result)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.benchmarks")
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    parser.add_argument("--rps", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--sustained-rps", type=int, default=30,
                        help="a second full-mode run at a rate one process sustains on 2 cores")
    parser.add_argument("--quick", action="store_true", help="short runs, for a smoke check")
    parser.add_argument("--ledger-database-url", help="measure the ledger on this database (default: a fresh SQLite file)")
    args = parser.parse_args(argv)
    seconds = 3.0 if args.quick else args.seconds

    for mode in ("passthrough", "policy", "full"):
        _write(args.out, f"gateway-{mode}", run_bench(mode=mode, rps=args.rps, seconds=seconds))
    _write(args.out, f"gateway-full-{args.sustained_rps}rps",
           run_bench(mode="full", rps=args.sustained_rps, seconds=seconds))
    _write(args.out, f"gateway-full-stream-{args.sustained_rps}rps",
           run_bench(mode="full", rps=args.sustained_rps, seconds=seconds, stream=True))

    from gateway.benchmarks.pii import bench_analyze
    from gateway.pii.engine import build_pii_engine

    engine = build_pii_engine()
    n = 200 if args.quick else 1000
    _write(args.out, "pii-analyze", {lang: bench_analyze(engine, language=lang, n=n) for lang in ("en", "zh")})

    from gateway.benchmarks.policy import bench_policy
    from gateway.policy.bundle import PolicyBundle
    from gateway.policy.engine import build_engine

    bundle = PolicyBundle.load(Settings().policy_dir)
    engines = {name: build_engine(bundle, name) for name in ("regorus", "opa")}
    _write(args.out, "policy-eval", {name: bench_policy(engine, n=n) for name, engine in engines.items()})

    from gateway.benchmarks.ledger import bench_ledger

    _write(args.out, "ledger", bench_ledger(seconds=seconds / 2, database_url=args.ledger_database_url))

    from gateway.benchmarks.importing import bench_import

    _write(args.out, "import", bench_import(50_000 if args.quick else 1_000_000))

    from gateway.benchmarks.audit import bench_audit

    _write(args.out, "audit", bench_audit(10_000 if args.quick else 100_000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
