"""/v1/audits on SQLite and PostgreSQL, over real HTTP: roles, strict bodies and queries (never
echoed, never a 5xx), an audit asked for, polled until done, its report and files fetched, and
the signed webhook its confirmed findings send to a real receiver (which fails the first try)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audits.request import RULES
from audits.webhook import verify
from gateway.auth import create_key
from gateway.store.audits import AuditStore
from gateway.store.db import make_engine, migrate
from gateway.store.keys import KeyStore
from tests.audits.receiver import Receiver, receiver
from tests.audits.synthetic import SINCE, UNTIL, Population, records, write
from tests.conftest import Gateway, database_for, error_of, start_gateway

SECRET = "webhook-secret-for-the-audit-tests"
FAST = {"bootstrap_resamples": 199, "shap_sample": 800, "shap_max_iter": 20, "intersections": [],
        "metrics": ["ttft_p50", "ttft_p95", "latency_p50"]}
WINDOW = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}
UNKNOWN = "aud_" + "0" * 32
RULE_TEXT = " ".join(RULES.values())


@dataclass
class Site:
    gateway: Gateway
    hook: Receiver
    admin_key: str
    security_key: str

    def call(self, method: str, path: str, *, key: str | None = None, body: Any = None, raw: bytes | None = None,
             params: Any = None) -> httpx.Response:
        headers = {"authorization": f"Bearer {key or self.gateway.officer_key}"}
        content = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if content is not None:
            headers["content-type"] = "application/json"
        return httpx.request(method, self.gateway.base_url + path, content=content, headers=headers, params=params,
                             timeout=30)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pii_engine,  # type: ignore[no-untyped-def]
         upstream: str) -> Iterator[Site]:
    tmp = Path(tmp_path_factory.mktemp(f"audits-{request.param}"))
    with database_for(request.param, tmp) as url, receiver(answers=[500]) as hook:
        engine = make_engine(url)
        migrate(engine)
        # Women wait 60 % longer: a confirmed latency finding, so the webhook fires.
        write(engine, records(Population(n=600, slower={"female": 1.6}), seed=5))
        engine.dispose()
        gateway, server = start_gateway(tmp, pii_engine=pii_engine, upstream_url=upstream, database_url=url,
                                        audit_config=FAST, audit_webhook_url=hook.url, audit_webhook_secret=SECRET,
                                        audit_webhook_backoff_s=0.05, audit_poll_s=3600)
        keys = KeyStore(gateway.services().database)
        admin, _ = create_key(keys, caller="site-admin", roles=["admin"])
        security, _ = create_key(keys, caller="security", roles=["security_admin"])
        try:
            yield Site(gateway, hook, admin, security)
        finally:
            server.stop()


def finished(site: Site, audit_id: str, timeout_s: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        response = site.call("GET", f"/audits/{audit_id}")
        assert response.status_code == 200, response.text
        audit = response.json()
        if audit["status"] in ("done", "failed"):
            return audit
        assert time.monotonic() < deadline, f"audit still {audit['status']}"
        time.sleep(0.2)


def test_an_audit_is_asked_for_run_and_served_with_its_files(site: Site) -> None:
    asked = site.call("POST", "/audits", body={**WINDOW, "attributes": ["gender"], "reference": {"gender": "male"}})
    assert asked.status_code == 202, asked.text
    queued = asked.json()
    audit_id = queued["id"]
    assert asked.headers["location"] == f"/v1/audits/{audit_id}"
    assert queued["status"] in ("queued", "running", "done") and queued["trigger"] == "manual"
    assert queued["requested_by"] == "officer" and queued["since"].startswith("2026-11-02T09:00:00")
    assert queued["parameters"]["reference"] == {"gender": "male"}
    assert queued["parameters"]["config"]["bootstrap_resamples"] == 199
    audit = finished(site, audit_id)
    assert audit["status"] == "done", audit["error"]
    assert audit["records"] == 600 and audit["report"]["records"] == 600 and audit["report_verified"] is True
    assert audit["summary"]["confirmed"] >= 1
    assert audit["summary"]["confirmed"] == sum(f["status"] == "confirmed" for f in audit["report"]["findings"])
    files = {f["format"]: f for f in audit["files"]}
    assert "json" in files and set(files) <= {"json", "html", "pdf"}
    got = site.call("GET", files["json"]["url"].removeprefix("/v1"))
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/json")
    assert got.headers["content-disposition"] == f'attachment; filename="govgate-{audit_id}.json"'
    assert got.headers["x-content-type-options"] == "nosniff"
    assert hashlib.sha256(got.content).hexdigest() == files["json"]["sha256"] == audit["report_sha256"]
    assert got.headers["etag"] == f'"{files["json"]["sha256"]}"' and json.loads(got.content) == audit["report"]
    for fmt, media in (("html", "text/html"), ("pdf", "application/pdf")):
        rendered = site.call("GET", f"/audits/{audit_id}/files/{fmt}")
        if fmt in files:  # rendered by audits/output.py once it writes them
            assert rendered.status_code == 200 and rendered.headers["content-type"].startswith(media)
        else:
            error_of(rendered, 404, code="audit_file_not_found", param="format")
    listed = site.call("GET", "/audits").json()
    assert listed["data"][0]["id"] == audit_id and "report" not in listed["data"][0]

    # The confirmed finding is announced: the first attempt fails (500), the retry is delivered.
    got = site.hook.wait_for(2)
    mine = [r for r in got if r.headers["x-govgate-audit-id"] == audit_id]
    assert [r.headers["x-govgate-delivery"] for r in mine] == ["1", "2"]
    for received in mine:
        assert verify(SECRET.encode(), received.headers["x-govgate-signature"], received.body, now=received.at)
    payload = json.loads(mine[-1].body)
    assert payload["audit_id"] == audit_id and payload["report_url"] == f"/v1/audits/{audit_id}"
    assert {(f["attribute"], f["group"]) for f in payload["confirmed"]} >= {("gender", "female")}
    deadline = time.monotonic() + 30
    while (state := site.call("GET", f"/audits/{audit_id}").json()["webhook_state"]) == "pending":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert state == "delivered"


def test_pages_run_newest_first(site: Site) -> None:
    made = [site.call("POST", "/audits", body={"since": "2d", "attributes": ["age_band"]}).json()["id"]
            for _ in range(2)]
    for audit_id in made:
        audit = finished(site, audit_id)
        assert audit["status"] == "done" and audit["records"] == 0  # nothing in the last two days
        assert datetime.fromisoformat(audit["until"]) - datetime.fromisoformat(audit["since"]) == timedelta(days=2)
    first = site.call("GET", "/audits", params={"limit": 1}).json()
    assert [a["id"] for a in first["data"]] == [made[1]] and first["has_more"]
    second = site.call("GET", "/audits", params={"limit": 1, "before_seq": first["next_before_seq"]}).json()
    assert [a["id"] for a in second["data"]] == [made[0]]
    done = site.call("GET", "/audits", params={"status": "done", "trigger": "manual", "limit": 200}).json()["data"]
    assert {a["id"] for a in done} >= set(made) and all(a["status"] == "done" for a in done)


def test_an_unfinished_or_failed_audit_has_no_files(site: Site) -> None:
    store = AuditStore(site.gateway.services().database)
    now = datetime.now(UTC)
    running = store.create(requested_by="officer", trigger="manual", since=now - timedelta(days=1), until=now,
                           parameters={}, now=now, owner="proc_elsewhere")
    error_of(site.call("GET", f"/audits/{running}/files/json"), 409, code="audit_not_finished")
    store.fail(running, owner="proc_elsewhere", error="the audit cannot run as asked: test", now=now)
    error_of(site.call("GET", f"/audits/{running}/files/json"), 404, code="audit_file_not_found")
    assert site.call("GET", f"/audits/{running}").json()["error"] == "the audit cannot run as asked: test"


def test_an_unknown_reference_group_fails_the_audit_with_a_reason(site: Site) -> None:
    audit_id = site.call("POST", "/audits", body={**WINDOW, "reference": {"gender": "nonbinary"}}).json()["id"]
    audit = finished(site, audit_id)
    assert audit["status"] == "failed" and audit["report"] is None and audit["files"] == []
    assert audit["error"].startswith("the audit cannot run as asked") and "gender" in audit["error"]


@pytest.mark.parametrize("method, path", [("GET", "/audits"), ("GET", f"/audits/{UNKNOWN}"),
                                          ("GET", f"/audits/{UNKNOWN}/files/json"), ("POST", "/audits")])
def test_bots_and_security_admins_are_refused(site: Site, method: str, path: str) -> None:
    for key in (site.gateway.bot_key, site.security_key):
        error_of(site.call(method, path, key=key, body=WINDOW if method == "POST" else None), 403,
                 code="insufficient_role")
    error_of(site.call(method, path, key="gg_nope_" + "x" * 40), 401)


def test_admins_may_do_what_officers_do(site: Site) -> None:
    asked = site.call("POST", "/audits", key=site.admin_key, body={"since": "1h"})
    assert asked.status_code == 202 and asked.json()["requested_by"] == "site-admin"
    assert site.call("GET", f"/audits/{asked.json()['id']}", key=site.admin_key).status_code == 200
    finished(site, asked.json()["id"])


BAD_BODIES: list[tuple[Any, str | None]] = [
    ({}, "since"), ({"until": "2026-11-09"}, "since"), ({"since": 30}, "since"), ({"since": None}, "since"),
    ({"since": "30 days"}, "since"), ({"since": "١٢d"}, "since"), ({"since": "３０d"}, "since"),
    ({"since": "30d\u0000"}, "since"), ({"since": "x" * 100_000}, "since"), ({"since": "0d"}, "since"),
    ({"since": "2026-11-09", "until": "2026-11-02"}, "until"), ({"since": "1d", "until": "1d"}, "until"),
    ({"since": "9999-12-31T23:59:59-14:00"}, "since"), ({"since": "2999-01-01"}, "until"),
    ({**WINDOW, "attributes": []}, "attributes"), ({**WINDOW, "attributes": "gender"}, "attributes"),
    ({**WINDOW, "attributes": ["Gender"]}, "attributes"), ({**WINDOW, "attributes": ["ｇender"]}, "attributes"),
    ({**WINDOW, "attributes": ["gender\u202e"]}, "attributes"), ({**WINDOW, "attributes": [f"a{i}" for i in range(17)]},
                                                                  "attributes"),
    ({**WINDOW, "attributes": ["g" * 5000]}, "attributes"), ({**WINDOW, "reference": ["gender", "male"]}, "reference"),
    ({**WINDOW, "reference": {"gender": ["male"]}}, "reference"), ({**WINDOW, "reference": {"gender": "mal\u00e9"}},
                                                                    "reference"),
    ({**WINDOW, "reference": {"gender": "male\n"}}, "reference"), ({**WINDOW, "reference": {"gender×": "a × b"}},
                                                                    "reference"),
    ({**WINDOW, "fairness": "please"}, None), ({**WINDOW, "config": {"seed": 1}}, None), ([WINDOW], None),
    ("30d", None),
]


@pytest.mark.parametrize("body, param", BAD_BODIES)
def test_bad_bodies_are_400_naming_the_field(site: Site, body: Any, param: str | None) -> None:
    response = site.call("POST", "/audits", body=body)
    error = error_of(response, 400, param=param)
    assert error["type"] == "invalid_request_error"
    for value in (body.values() if isinstance(body, dict) else ()):
        if isinstance(value, str) and len(value) > 3 and value not in RULE_TEXT:  # the rules' examples
            assert value not in response.text


@pytest.mark.parametrize("raw", [b"", b"{", b'{"since": "30d", "since": "1d"}', b'{"since": NaN}',
                                 b"\xff\xfe", b'{"since": "\\ud800"}', b"[" * 10_000, b'{"since": 1e999}'])
def test_malformed_json_is_400(site: Site, raw: bytes) -> None:
    error_of(site.call("POST", "/audits", raw=raw), 400)


def test_a_group_that_looks_like_personal_data_is_refused(site: Site) -> None:
    response = site.call("POST", "/audits", body={**WINDOW, "reference": {"gender": "Maria Gonzalez"}})
    error_of(response, 400, code="pii_in_parameters", param="reference")
    assert "Maria" not in response.text


@pytest.mark.parametrize("query", ["limit=1&limit=2", "status=done&status=failed", "caller=x", "limit=0",
                                   "limit=201", "before_seq=0", f"before_seq={2**31}", "status=finished",
                                   "trigger=schedule:", "trigger=manual%00", "limit=%EF%BC%91"])
def test_odd_query_strings_are_400(site: Site, query: str) -> None:
    error_of(site.call("GET", f"/audits?{query}"), 400)


@pytest.mark.parametrize("path, status, code", [
    (f"/audits/{UNKNOWN}", 404, "audit_not_found"), (f"/audits/{UNKNOWN}/files/json", 404, "audit_not_found"),
    ("/audits/aud_123", 400, None), ("/audits/dec_" + "0" * 32, 400, None), ("/audits/AUD_" + "0" * 32, 400, None),
    (f"/audits/{UNKNOWN}%00", 400, None), (f"/audits/{UNKNOWN}/files/docx", 400, None),
    (f"/audits/{UNKNOWN}/files/JSON", 400, None), (f"/audits/{UNKNOWN}?x=1", 400, "unknown_parameter"),
])
def test_unknown_and_malformed_ids(site: Site, path: str, status: int, code: str | None) -> None:
    error_of(site.call("GET", path), status, code=code)


@given(body=st.dictionaries(st.sampled_from(["since", "until", "attributes", "reference", "x"]),
                            st.one_of(st.text(max_size=40), st.integers(), st.none(), st.lists(st.text(max_size=8)),
                                      st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3)),
                            max_size=4))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_body_is_a_server_error(site: Site, body: dict[str, Any]) -> None:
    response = site.call("POST", "/audits", body=body)
    assert response.status_code in (202, 400), response.text
