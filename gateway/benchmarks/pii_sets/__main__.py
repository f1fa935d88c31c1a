"""`python -m gateway.benchmarks.pii_sets --out DIR [--seed N] [--n N] [--only NAME ...]`"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gateway.benchmarks.pii_sets import all_sets, generate_set


def main(argv: list[str] | None = None) -> None:
    sets = all_sets()
    parser = argparse.ArgumentParser(description="Write the generated PII test sets as presidio-research JSON.")
    parser.add_argument("--out", required=True, type=Path, help="Folder for one NAME.json per set.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n", type=int, default=500, help="Samples per set.")
    parser.add_argument("--only", nargs="+", choices=sorted(sets), help="Write only these sets.")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or sorted(sets):
        samples = generate_set(name, seed=args.seed, n=args.n)
        path = args.out / f"{name}.json"
        path.write_text(json.dumps(samples, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"{path}: {len(samples)} samples")


if __name__ == "__main__":
    main()
