"""Importing interactions: N generated CSV rows into a fresh database, timed.

    python -m gateway.benchmarks.importing [--rows N] [--database-url URL]

Generates an N-row CSV in a temporary folder (rows like a support bot's log: a conversation
of a few turns per customer, listed and unlisted audit attributes, an outcome on about one
row in three), then imports it into a fresh database (SQLite in the temporary folder unless a
URL is given) with `gateway.import_pass.import_file`, as `govgate decisions import` does.
Reports rows per second, seconds (the whole import: its one pass and the commit), the CPU
seconds it took (this process's threads and the worker processes'), the peak RSS of this
process and of the largest worker, and the load average as it ended (the machine may be shared). The PII check on unlisted attribute values is a stub here (the CLI asks
the PII engine once per distinct value; the engine's own cost is in the `pii` benchmark).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gateway import keys
from gateway.import_pass import import_file
from gateway.importing import COLUMNS, RowReader
from gateway.policy.documents import Vocabulary
from gateway.store.db import make_engine, migrate

_OUTCOMES = ("resolved", "escalated", "refund_granted", "refund_denied", "abandoned", "site:callback_promised")


def write_csv(path: Path, rows: int, *, seed: int = 7, slower: dict[str, float] | None = None) -> None:
    """`slower`: gender -> a factor on its rows' latencies (a planted gap, for the audit benchmark)."""
    rng = random.Random(seed)
    slower = slower or {}
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(COLUMNS)
        for n in range(rows):
            customer = n // 4
            outcome = rng.choice(_OUTCOMES) if n % 3 == 0 else ""
            gender = rng.choice(('female', 'male', 'undisclosed'))
            ttft = rng.uniform(80, 900) * slower.get(gender, 1.0)
            out.writerow([
                (start + timedelta(seconds=n * 2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                f"conv-{customer}", f"customer-{customer:08d}", rng.choice(("EU", "US", "CN")),
                f"gender={gender}; "
                f"age_band={rng.choice(('18-24', '25-34', '35-44', '45-54'))}; tier=t{rng.randint(1, 4)}",
                rng.choice(("chat", "app", "phone", "kiosk")), rng.choice(("en", "zh")),
                rng.choice(("demo-chat", "acme-llm-2")), rng.randint(5, 800), f"{ttft:.1f}",
                f"{ttft + rng.uniform(200, 4000):.1f}", outcome,
                rng.randint(1, 5) if outcome and n % 2 == 0 else "", "legacy-support-bot",
            ])


def benchmark_reader() -> RowReader:
    """A RowReader with benchmark keys and the vocabulary write_csv's rows use."""
    master = b"benchmark-hmac-key"
    return RowReader(
        vocabulary=Vocabulary(models=frozenset({"demo-chat"}), regions=frozenset({"EU", "US", "CN"}),
                              attributes={"gender": frozenset({"female", "male", "undisclosed"}),
                                          "age_band": frozenset({"18-24", "25-34", "35-44", "45-54"})}),
        digest=keys.KeyedDigest(keys.derive_key(master, "ledger")),
        id_digest=keys.KeyedDigest(keys.derive_key(master, "import-id")),
        outcome_digest=keys.KeyedDigest(keys.derive_key(master, "outcome-id")),
        holds_pii=lambda text: False, now=datetime.now(UTC))


def bench_import(rows: int, *, database_url: str | None = None, work_dir: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=work_dir) as folder:
        path = Path(folder) / "interactions.csv"
        write_csv(path, rows)
        engine = make_engine(database_url or f"sqlite:///{Path(folder) / 'govgate.db'}")
        migrate(engine)
        reader = benchmark_reader()
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        report = import_file(path, "csv", reader=reader, engine=engine)
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
        engine.dispose()
        if not report.ok or report.imported != rows:
            raise RuntimeError(f"the benchmark's own file did not import: {report}")
    # CPU seconds beside wall seconds: on a shared machine the wall clock also counts the others.
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "cpu_seconds": round(cpu, 2),
            "outcomes": report.outcomes, "database": "postgresql" if database_url else "sqlite",
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            # The largest worker process's (forked from this one: much of it shared pages).
            "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
            "load_average": [round(load, 2) for load in os.getloadavg()]}


def _cpu_seconds() -> float:
    """This process's and its finished children's (the import's worker processes)."""
    return sum(usage.ru_utime + usage.ru_stime
               for usage in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.benchmarks.importing")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args(argv)
    print(json.dumps(bench_import(args.rows, database_url=args.database_url)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
