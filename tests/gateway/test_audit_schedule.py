"""Two gateway replicas on one database (a SQLite file, a PostgreSQL database), both running the
same audit schedule: every firing queues one audit, run once, whichever replica fires first."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from gateway.config import Settings
from tests.conftest import database_for, start_gateway

SCHEDULE = [{"name": "minutely", "cron": "* * * * *", "window": "1h", "attributes": ["gender"]}]
FAST = {"bootstrap_resamples": 199, "shap_sample": 800, "shap_max_iter": 20, "intersections": [],
        "metrics": ["ttft_p50"]}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_two_replicas_run_each_firing_once(backend: str, tmp_path: Path, pii_engine, upstream: str) -> None:  # type: ignore[no-untyped-def]
    with database_for(backend, tmp_path) as url:
        replicas = [start_gateway(tmp_path / f"replica-{i}", pii_engine=pii_engine, upstream_url=upstream,
                                  database_url=url, audit_schedules=SCHEDULE, audit_config=FAST)
                    for i in range(2)]
        try:
            schedulers = [gateway.services().audits.scheduler for gateway, _ in replicas]
            assert all(s is not None for s in schedulers)
            for scheduler in schedulers:
                scheduler.run_soon("minutely")
            deadline = time.monotonic() + 60
            while not all(s.fired for s in schedulers):
                assert time.monotonic() < deadline, "a replica did not fire"
                time.sleep(0.05)
            fired = [entry for s in schedulers for entry in s.fired]
            # Each firing (one, or two if the calls straddled a minute) was won by exactly one replica.
            won = Counter(at for _, at, audit in fired if audit is not None)
            assert set(won) == {at for _, at, _ in fired} and set(won.values()) == {1}
            gateway = replicas[0][0]
            headers = {"authorization": f"Bearer {gateway.officer_key}"}
            deadline = time.monotonic() + 120
            while True:
                audits = httpx.get(gateway.base_url + "/audits", params={"trigger": "schedule:minutely"},
                                   headers=headers, timeout=30).json()["data"]
                if len(audits) == len(won) and all(a["status"] == "done" for a in audits):
                    break
                assert time.monotonic() < deadline, audits
                time.sleep(0.2)
            assert {datetime.fromisoformat(a["until"]) for a in audits} == set(won)
            assert all(a["requested_by"] == "scheduler" and a["parameters"]["attributes"] == ["gender"]
                       for a in audits)
        finally:
            for _, server in replicas:
                server.stop()
        # Both lifespans stopped their schedulers.
        assert all(s._scheduler is None for s in schedulers)


def test_a_bad_schedule_stops_startup_with_its_reason() -> None:
    for bad, reason in [([{"name": "x", "cron": "0 6 * * 8", "window": "7d"}], "cron must be five crontab fields"),
                        ([{"name": "x", "cron": "0 6 * * 1", "window": "week"}], "window must be"),
                        ([{"name": "x", "cron": "0 6 * * 1", "window": "7d", "attributes": ["Gender"]}],
                         "attribute"),
                        ([{"name": "x", "cron": "0 6 * * 1", "window": "7d"}] * 2, "two audit schedules"),
                        ([{"name": "x", "cron": "0 6 * * 1", "window": "7d", "every": "day"}], "xtra")]:
        with pytest.raises(ValueError, match=reason):
            Settings(audit_schedules=bad)


def test_the_webhook_settings_go_together() -> None:
    with pytest.raises(ValueError, match="set together"):
        Settings(audit_webhook_url="https://hooks.example/x")
    with pytest.raises(ValueError, match="at least 16") as refused:
        Settings(audit_webhook_url="https://hooks.example/x", audit_webhook_secret="short-secret")
    assert "short-secret" not in str(refused.value)
    with pytest.raises(ValueError, match="http"):
        Settings(audit_webhook_url="file:///etc/passwd", audit_webhook_secret="s" * 20)
    production = Settings(environment="production", audit_webhook_url="http://hooks.example/x",
                          audit_webhook_secret="s" * 20, hmac_key="k" * 32, vault_key="v" * 44)
    assert any("AUDIT_WEBHOOK_URL is not https" in p for p in production.production_problems())
