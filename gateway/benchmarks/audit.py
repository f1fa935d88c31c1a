"""A bias audit over N decision records, timed.

    python -m gateway.benchmarks.audit [--rows N]

Builds the records the way `govgate decisions import` would (the import benchmark's generated
support-bot log, with women's answers planted 30% slower), then runs `run_audit` over the whole
window as `govgate audit run` does, with its default configuration: every attribute, the
gender × age_band intersection, 999 resamples per interval, SHAP on the flagged gaps. Reports
the seconds to load the window (DecisionLog.batches → Arrow) and for the whole audit, records
per second, the findings by status, and the peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from gateway.benchmarks.importing import benchmark_reader, write_csv
from gateway.import_pass import import_file
from gateway.store.db import make_engine, migrate
from gateway.store.decision_log import DecisionLog

PLANTED = {"female": 1.3}


def bench_audit(rows: int, *, work_dir: Path | None = None) -> dict[str, Any]:
    from audits.config import AuditConfig
    from audits.frame import load
    from audits.run import run_audit

    with tempfile.TemporaryDirectory(dir=work_dir) as folder:
        path = Path(folder) / "interactions.csv"
        write_csv(path, rows, slower=PLANTED)
        engine = make_engine(f"sqlite:///{Path(folder) / 'govgate.db'}")
        migrate(engine)
        imported = import_file(path, "csv", reader=benchmark_reader(), engine=engine)
        if not imported.ok:
            raise RuntimeError(f"the benchmark's own file did not import: {imported}")
        log = DecisionLog(engine)
        config = AuditConfig()
        started = time.perf_counter()
        frame = load(log, since=None, until=None, kinds=config.kinds)
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        report = run_audit(log, None, None, config=config)
        seconds = time.perf_counter() - started
        engine.dispose()
    statuses = Counter(finding.status for finding in report.findings)
    planted = [f.status for f in report.findings
               if f.attribute == "gender" and f.group == "female" and f.metric == "ttft_p50"]
    return {"records": frame.table.num_rows, "load_seconds": round(load_seconds, 2), "audit_seconds": round(seconds, 2),
            "records_per_s": round(rows / seconds), "findings": len(report.findings), "by_status": dict(statuses),
            "planted_gap_status": planted[0] if planted else None,
            "planted_gap_flagged": bool(planted) and planted[0] in ("confirmed", "warning"),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "load_average": [round(load, 2) for load in os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.benchmarks.audit")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    print(json.dumps(bench_audit(args.rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
