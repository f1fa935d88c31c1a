"""The console over real HTTP, on SQLite and PostgreSQL: roles on every page and JSON route,
sign-in failures and lock-out, CSRF, API keys and console sessions kept apart, cookie flags,
filters that refuse hostile input with a 400 (never a 500, never echoed), audits run and
drilled into, policy replays, recorded actions — and not one raw PII value on any page."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from gateway.console.web import ROLES
from gateway.store.db import make_engine
from gateway.store.models import ConsoleSession
from tests.audits.synthetic import SINCE
from tests.conftest import POLICY_DIR, error_of
from tests.console.site import (KNOWN_PII, PASSWORD, USERS, Site, console_site, create_user, csrf_of, post_form,
                                proposed_policy, send_known_pii, wait_for_audit, zipped)

PAGES = {"overview": "/console/", "decisions": "/console/decisions", "audits": "/console/audits",
         "policies": "/console/policies", "activity": "/console/activity"}
JSON_ROUTES = {"overview": "/console/api/overview", "decisions": "/console/api/decisions",
               "audits": "/console/api/audits", "policies": "/console/api/policies",
               "activity": "/console/api/activity"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pii_engine,  # type: ignore[no-untyped-def]
         upstream: str) -> Iterator[Site]:
    tmp = Path(tmp_path_factory.mktemp(f"console-{request.param}"))
    with console_site(request.param, tmp, pii_engine=pii_engine, upstream=upstream) as made:
        made.proxied = send_known_pii(made.gateway)  # type: ignore[attr-defined]
        yield made


@pytest.mark.parametrize("username", list(USERS))
def test_each_role_opens_what_it_may_and_is_refused_the_rest(site: Site, username: str) -> None:
    client = site.sign_in(username)
    role = USERS[username]
    for part, path in PAGES.items():
        page, data = client.get(path), client.get(JSON_ROUTES[part])
        if role in ROLES[part]:
            assert page.status_code == 200, (part, page.text)
            assert data.status_code == 200 and data.headers["content-type"].startswith("application/json")
        else:
            assert page.status_code == 403 and 'id="error-message"' in page.text, part
            error_of(data, 403, code="insufficient_role")
    # The navigation offers exactly the parts the role may open.
    overview = client.get("/console/").text
    for part, path in PAGES.items():
        assert (f'href="{path}"' in overview) == (role in ROLES[part]), part


def test_without_a_session_pages_send_to_sign_in_and_json_answers_401(site: Site) -> None:
    client = site.client()
    for path in PAGES.values():
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/console/login")
    for path in JSON_ROUTES.values():
        error_of(client.get(path), 401, code="sign_in_required")
    forged = httpx.Client(base_url=site.url, cookies={"gg_console": "x" * 43})
    error_of(forged.get("/console/api/overview"), 401, code="sign_in_required")


def test_api_keys_never_open_the_console_and_sessions_never_call_the_proxy(site: Site) -> None:
    for key in (site.gateway.bot_key, site.gateway.officer_key):
        for path in [*PAGES.values(), *JSON_ROUTES.values(), "/console/login"]:
            response = httpx.get(site.url + path, headers={"authorization": f"Bearer {key}"})
            assert response.status_code == 403, path
            assert key not in response.text
        error_of(httpx.get(site.url + "/console/api/decisions", headers={"authorization": f"Bearer {key}"}), 403,
                 code="api_key_not_accepted")
    client = site.sign_in("root")
    cookie = client.cookies["gg_console"]
    # Even a signed-in session with a key alongside is refused: one door each.
    both = client.get("/console/api/overview", headers={"authorization": f"Bearer {site.gateway.officer_key}"})
    error_of(both, 403, code="api_key_not_accepted")
    proxy = httpx.post(site.gateway.base_url + "/chat/completions", cookies={"gg_console": cookie},
                       json={"model": "demo-chat", "messages": [{"role": "user", "content": "hi"}]})
    assert proxy.status_code == 401
    assert httpx.get(site.gateway.base_url + "/decisions", cookies={"gg_console": cookie}).status_code == 401


def test_session_cookie_flags_and_security_headers(site: Site) -> None:
    client = site.client()
    response = site.try_sign_in(client, "officer", PASSWORD)
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("gg_console="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags and "samesite=strict" in flags and "path=/console" in flags
    assert "secure" not in flags  # plain http here; over https (or GOVGATE_CONSOLE_SECURE_COOKIES) it is Secure
    page = client.get("/console/")
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none': no script at all
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text


def test_wrong_password_fails_and_repeated_failures_lock_the_account(site: Site) -> None:
    engine = make_engine(site.database_url)
    auth = create_user(engine, "victim", "compliance_officer")
    client = site.client()
    for _ in range(4):
        failed = site.try_sign_in(client, "victim", "not the password")
        assert failed.status_code == 401 and 'id="login-error"' in failed.text
        assert "gg_console=" not in failed.headers.get("set-cookie", "").replace("gg_console_login", "")
    assert site.try_sign_in(client, "victim", "still wrong").status_code == 401  # the fifth locks
    locked = site.try_sign_in(client, "victim", PASSWORD)
    assert locked.status_code == 401  # the right password does not open a locked account
    # Same message for a wrong password, a lock and an unknown user: nothing tells them apart.
    unknown = site.try_sign_in(client, "margaret.thornbury@example.com", "whatever it is")
    assert unknown.status_code == 401
    assert _message(locked.text) == _message(failed.text) == _message(unknown.text)
    events = auth.store.events(limit=50)
    mine = [e.action for e in events if e.username == "victim"]
    assert mine.count("sign_in_failed") >= 5 and "locked_out" in mine
    # What was typed as a username is recorded only when it names a user.
    assert all("thornbury" not in e.username for e in events)
    engine.dispose()


def _message(page: str) -> str:
    return page.split('id="login-error">', 1)[1].split("<", 1)[0]


def test_forms_refuse_a_missing_or_wrong_csrf_token_and_foreign_origins(site: Site) -> None:
    client = site.sign_in("root")
    assert client.post("/console/verify", data={}).status_code == 403
    assert client.post("/console/verify", data={"csrf_token": "forged"}).status_code == 403
    token = csrf_of(client)
    foreign = client.post("/console/verify", data={"csrf_token": token}, headers={"origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert client.post("/console/lang", data={"lang": "zh"}).status_code == 403
    assert client.post("/console/audits", data={"since": "7d"}).status_code == 403
    # The sign-in form's token is bound to its cookie.
    fresh = site.client()
    assert fresh.post("/console/login", data={"username": "root", "password": PASSWORD}).status_code == 403
    assert fresh.post("/console/login", data={"csrf_token": "x", "username": "root",
                                              "password": PASSWORD}).status_code == 403
    # With the token, the action works and is recorded.
    assert client.post("/console/verify", data={"csrf_token": token}).status_code == 303
    overview = client.get("/console/").text
    assert 'id="ledger-status"' in overview and "intact" in overview


def test_idle_sessions_and_disabled_users_are_signed_out(site: Site) -> None:
    client = site.sign_in("security")
    assert client.get("/console/").status_code == 200
    engine = make_engine(site.database_url)
    with engine.begin() as connection:
        connection.execute(update(ConsoleSession).where(ConsoleSession.username == "security")
                           .values(last_seen_at=datetime.now(UTC) - timedelta(hours=1)))
    assert client.get("/console/").status_code == 303  # idle past the timeout
    engine.dispose()


def test_sign_out_ends_the_session(site: Site) -> None:
    client = site.sign_in("officer")
    cookie = client.cookies["gg_console"]
    assert post_form(client, "/console/logout", {}).status_code == 303
    again = httpx.get(site.url + "/console/api/overview", cookies={"gg_console": cookie})
    error_of(again, 401, code="sign_in_required")


def test_decision_filters_find_what_they_name(site: Site) -> None:
    client = site.sign_in("officer")
    proxied = site.proxied  # type: ignore[attr-defined]

    def ids(**params: object) -> set[str]:
        response = client.get("/console/api/decisions", params=params)
        assert response.status_code == 200, response.text
        return {r["decision_id"] for r in response.json()["records"]}

    assert proxied[1] in ids(language="zh") and proxied[0] not in ids(language="zh")
    assert {proxied[0]} <= ids(entity_type="EMAIL_ADDRESS", caller="support-bot")
    assert proxied[1] in ids(entity_type="PERSON") or proxied[1] in ids(entity_type="PHONE_NUMBER")
    female = client.get("/console/api/decisions", params=[("attribute", "gender=female"),
                                                          ("attribute", "age_band=18-34")]).json()["records"]
    assert female and all(r["customer_attributes"]["gender"] == "female" and
                          r["customer_attributes"]["age_band"] == "18-34" for r in female)
    assert ids(channel="phone") and all(
        r["features"]["channel"] == "phone" for r in client.get("/console/api/decisions",
                                                                params={"channel": "phone"}).json()["records"])
    assert ids(allowed="false", status_code=403)
    # An outcome attached later finds its decision, and only it.
    attached = httpx.post(site.gateway.base_url + "/outcomes", timeout=30,
                          headers={"authorization": f"Bearer {site.gateway.bot_key}"},
                          json={"outcome_id": "console-filter-1", "decision_id": proxied[0],
                                "outcome": "refund_granted", "csat": 4})
    assert attached.status_code in (200, 201), attached.text
    assert ids(outcome="refund_granted") == {proxied[0]}
    assert client.get(f"/console/api/decisions/{proxied[0]}").json()["explanation"]["explanation"]["outcomes"]
    # Paging: the next page starts before the last shown.
    first = client.get("/console/api/decisions").json()
    assert first["next_before_seq"] is not None and len(first["records"]) == 50
    second = client.get("/console/api/decisions", params={"before_seq": first["next_before_seq"]}).json()
    assert max(r["seq"] for r in second["records"]) < min(r["seq"] for r in first["records"])


HOSTILE = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["caller", "purpose", "region", "language", "channel", "status_code", "allowed",
                             "entity_type", "outcome", "attribute", "since", "before_seq", "unheard_of"]),
       value=HOSTILE)
def test_hostile_filters_get_a_400_or_results_never_a_500_and_never_an_echo(site: Site, name: str,
                                                                             value: str) -> None:
    client = getattr(site, "_officer_client", None) or site.sign_in("officer")
    site._officer_client = client  # type: ignore[attr-defined]
    # A mark no page holds, so that an echo of the value cannot be mistaken for the page's own words.
    sent = value + "\u2042zQ9"
    page = client.get("/console/decisions", params={name: sent})
    data = client.get("/console/api/decisions", params={name: sent})
    assert page.status_code in (200, 400) and data.status_code in (200, 400), (page.text, data.text)
    if data.status_code == 400:
        error_of(data, 400)
        assert page.status_code == 400
        assert sent not in data.text and sent not in page.text


def test_repeated_filters_are_refused(site: Site) -> None:
    client = site.sign_in("officer")
    error_of(client.get("/console/api/decisions", params=[("caller", "a"), ("caller", "b")]), 400, param="caller")


def test_a_decision_page_shows_its_explanation_in_the_chosen_language(site: Site) -> None:
    client = site.sign_in("security")
    decision_id = site.proxied[0]  # type: ignore[attr-defined]
    english = client.get(f"/console/decisions/{decision_id}")
    assert english.status_code == 200 and 'id="explanation-text"' in english.text and "EMAIL_ADDRESS" in english.text
    assert post_form(client, "/console/lang", {"lang": "zh", "next": f"/console/decisions/{decision_id}"}
                     ).headers["location"] == f"/console/decisions/{decision_id}"
    chinese = client.get(f"/console/decisions/{decision_id}")
    assert 'lang="zh-Hans"' in chinese.text and "解释" in chinese.text
    explained = client.get(f"/console/api/decisions/{decision_id}").json()["explanation"]
    assert explained["lang"] == "zh"
    assert client.get("/console/decisions/dec_" + "f" * 32).status_code == 404
    unknown = client.get("/console/no/such/page")
    assert unknown.status_code == 404 and 'id="error-message"' in unknown.text and "解释" not in unknown.text
    assert client.get("/console/static/console.css").headers["content-type"].startswith("text/css")
    assert client.get("/console/decisions/../../etc/passwd").status_code in (403, 404)
    assert post_form(client, "/console/lang", {"lang": "fr"}).status_code == 400
    post_form(client, "/console/lang", {"lang": "en"})
    # A `next` outside the console is not followed.
    assert post_form(client, "/console/lang", {"lang": "en", "next": "https://evil.example/"}
                     ).headers["location"] == "/console/"


def test_an_audit_run_from_the_console_is_reported_and_drills_down_to_its_decisions(site: Site) -> None:
    client = site.sign_in("officer")
    asked = post_form(client, "/console/audits", {"since": SINCE.isoformat(), "attributes": "gender"})
    assert asked.status_code == 303, asked.text
    audit_id = asked.headers["location"].rsplit("/", 1)[1]
    body = wait_for_audit(client, audit_id)
    assert body["audit"]["status"] == "done", body["audit"]["error"]
    assert body["audit"]["requested_by"] == "console:officer"
    page = client.get(f"/console/audits/{audit_id}")
    assert page.status_code == 200 and 'id="findings"' in page.text and "gg-report" in page.text
    confirmed = [i for i, f in enumerate(body["report"]["findings"])
                 if f["status"] == "confirmed" and f["group"] == "female"]
    assert confirmed and str(confirmed[0]) in {str(k) for k in body["sample_links"]}
    sample = client.get("/console/api/decisions?" + body["sample_links"][str(confirmed[0])]).json()["records"]
    assert sample and all(r["customer_attributes"]["gender"] == "female" for r in sample)
    downloaded = client.get(f"/console/audits/{audit_id}/files/json")
    assert downloaded.status_code == 200 and json.loads(downloaded.content)["records"] == body["report"]["records"]
    assert client.get(f"/console/audits/{audit_id}/files/exe").status_code == 400
    # Not for a security admin, and a hostile window is a 400 with the form again.
    error_of(site.sign_in("security").get(f"/console/api/audits/{audit_id}"), 403)
    bad = post_form(client, "/console/audits", {"since": "yesterday-ish\u202e"})
    assert bad.status_code == 400 and 'id="audit-error"' in bad.text and "\u202e" not in bad.text


def test_a_policy_replay_shows_what_a_proposed_policy_would_change(site: Site, tmp_path: Path) -> None:
    candidate = proposed_policy(tmp_path)
    client = site.sign_in("security")
    token = csrf_of(client, "/console/policies")
    replayed = client.post("/console/policies/replay", data={"csrf_token": token, "window": "24h"},
                           files={"bundle": ("candidate.zip", zipped(candidate, under="policies"), "application/zip")})
    assert replayed.status_code == 200, replayed.text
    assert 'id="replay-result"' in replayed.text
    changed = replayed.text.split('id="change-allow_to_deny">', 1)[1].split("</tr>", 1)[0]
    assert "<td>0</td>" not in changed and site.proxied[0][:12] in changed  # type: ignore[attr-defined]
    # Hostile archives are refused with a reason, and nothing is activated.
    for extra in ({"../escape.rego": b"package x"}, {"/abs.rego": b"package x"}):
        bad = client.post("/console/policies/replay", data={"csrf_token": token},
                          files={"bundle": ("bad.zip", zipped(candidate, under="policies", extra=extra), "application/zip")})
        assert bad.status_code == 400 and 'id="replay-error"' in bad.text
    junk = client.post("/console/policies/replay", data={"csrf_token": token},
                       files={"bundle": ("junk.zip", b"not a zip", "application/zip")})
    assert junk.status_code == 400
    status = client.get("/console/api/policies").json()
    assert status["tests"]["ok"] and status["status"]["bundle_hash"] != ""
    events = client.get("/console/api/activity").json()["events"]
    assert any(e["action"] == "policy_replayed" and e["username"] == "security" for e in events)
    # The activity log filters by action and user, and pages back.
    replays = client.get("/console/api/activity", params={"action": "policy_replayed"}).json()
    assert replays["events"] and {e["action"] for e in replays["events"]} == {"policy_replayed"}
    mine = client.get("/console/api/activity", params={"username": "security", "action": "sign_in"}).json()
    assert mine["events"] and all(e["username"] == "security" for e in mine["events"])
    error_of(client.get("/console/api/activity", params={"action": "DROP TABLE"}), 400, param="action")
    assert client.get("/console/activity", params={"before_seq": "-1"}).status_code == 400


def test_no_raw_pii_on_any_console_page_or_json_route(site: Site) -> None:
    client = site.sign_in("root")
    pages = [*PAGES.values(), *JSON_ROUTES.values()]
    pages += [f"/console/decisions/{d}" for d in site.proxied]  # type: ignore[attr-defined]
    pages += [f"/console/api/decisions/{d}" for d in site.proxied]  # type: ignore[attr-defined]
    for lang in ("en", "zh"):
        post_form(client, "/console/lang", {"lang": lang})
        for path in pages:
            response = client.get(path)
            assert response.status_code == 200, path
            for value in KNOWN_PII.values():
                assert value not in response.text, (path, value)
    post_form(client, "/console/lang", {"lang": "en"})


def test_a_reviewed_policy_is_activated_from_the_console_and_one_failing_its_tests_is_not(
        tmp_path: Path, pii_engine, upstream: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "site").mkdir()
    with console_site("sqlite", tmp_path / "site", pii_engine=pii_engine, upstream=upstream) as site:
        client = site.sign_in("security")
        token = csrf_of(client, "/console/policies")

        def review(folder: Path) -> tuple[httpx.Response, str, str]:
            shown = client.post("/console/policies/replay", data={"csrf_token": token, "window": "24h"},
                                files={"bundle": ("candidate.zip", zipped(folder), "application/zip")})
            assert shown.status_code == 200, shown.text

            def attribute(name: str) -> str:
                return shown.text.split(f'{name}="', 1)[1].split('"', 1)[0]
            return shown, attribute("data-bundle-hash"), attribute("data-files-hash")

        # A reviewed edit whose tests pass: a role's description reworded.
        edited = tmp_path / "edited"
        shutil.copytree(POLICY_DIR, edited)
        roles = edited / "data" / "roles.json"
        roles.write_text(roles.read_text().replace("Customer-service assistants", "Customer-service bots"))
        (edited / "README.md").write_text("not a policy file: neither reviewed nor installed")
        shown, bundle_hash, files_hash = review(edited)
        assert 'id="activate-form"' in shown.text
        # A hash nothing was reviewed under, one that is not a hash, and no CSRF token are refused.
        for forged in ("0" * 64, "../../etc", bundle_hash):
            refused = client.post("/console/policies/activate", data={"csrf_token": token, "files_hash": forged})
            assert refused.status_code == 409 and 'id="activate-error"' in refused.text
        assert client.post("/console/policies/activate", data={"files_hash": files_hash}).status_code == 403
        activated = client.post("/console/policies/activate", data={"csrf_token": token, "files_hash": files_hash})
        assert activated.status_code == 200 and 'id="activated"' in activated.text
        status = client.get("/console/api/policies").json()
        assert status["status"]["bundle_hash"] == bundle_hash
        assert (status["versions"][0]["bundle_hash"], status["versions"][0]["source"]) == (bundle_hash,
                                                                                            "console:security")
        assert not (site.gateway.policy_dir / "README.md").exists()  # only policy files are installed
        # The proxy decides under it from now on.
        decided = send_known_pii(site.gateway)[0]
        record = client.get(f"/console/api/decisions/{decided}").json()["record"]
        assert record["policy"]["bundle_hash"] == bundle_hash
        events = client.get("/console/api/activity").json()["events"]
        assert any(e["action"] == "policy_activated" and e["detail"]["bundle_hash"] == bundle_hash for e in events)

        # A proposal its own Rego tests reject (they expect bots to serve customer support) is
        # shown with what it would change, never offered; forced, it is rolled back.
        shown, _, failing = review(proposed_policy(tmp_path))
        assert 'id="not-activatable"' in shown.text and 'id="change-allow_to_deny"' in shown.text
        forced = client.post("/console/policies/activate", data={"csrf_token": token, "files_hash": failing})
        assert forced.status_code == 409 and "tests failed" in forced.text
        # Activating what is already active is refused, and every refusal is recorded.
        again = client.post("/console/policies/activate", data={"csrf_token": token, "files_hash": files_hash})
        assert again.status_code == 409 and "already active" in again.text
        actions = [e["action"] for e in client.get("/console/api/activity").json()["events"]]
        assert actions.count("policy_activation_failed") >= 5
        assert client.get("/console/api/policies").json()["status"]["bundle_hash"] == bundle_hash
        assert (site.gateway.policy_dir / "data" / "roles.json").read_text() == roles.read_text()


def test_parallel_guesses_cannot_outrun_the_lock_and_floods_from_one_address_get_429(
        tmp_path: Path, pii_engine, upstream: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "site").mkdir()
    with console_site("sqlite", tmp_path / "site", pii_engine=pii_engine, upstream=upstream) as site:
        def guess(_: int) -> int:
            with site.client() as client:
                return site.try_sign_in(client, "root", "a wrong guess").status_code

        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(guess, range(12)))
        assert set(answers) <= {401, 429}
        # However the guesses interleaved, the account is locked: the right password fails now.
        assert site.try_sign_in(site.client(), "root", PASSWORD).status_code in (401, 429)
        engine = make_engine(site.database_url)
        events = create_user(engine, "bystander", "admin").store.events(limit=100)
        engine.dispose()
        checked = [e for e in events if e.action == "sign_in_failed" and e.detail.get("why") == "invalid"]
        assert len(checked) <= 5  # at most the allowance was ever verified
        # One address keeps failing: it is slowed down before any password is checked.
        statuses = [guess(0) for _ in range(20)]
        assert statuses[-1] == 429
        limited = site.try_sign_in(site.client(), "bystander", PASSWORD)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert "Too many sign-in attempts" in limited.text


def test_odd_archives_and_dates_are_refused_with_a_reason(site: Site) -> None:
    client = site.sign_in("security")
    token = csrf_of(client, "/console/policies")

    def upload(content: bytes) -> httpx.Response:
        return client.post("/console/policies/replay", data={"csrf_token": token},
                           files={"bundle": ("odd.zip", content, "application/zip")})

    def archive(*entries: tuple[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as made:
            for name, content in entries:
                made.writestr(name, content)
        return buffer.getvalue()

    rego = b"package govgate\n"
    odd = [archive(("govgate/x.rego", rego), ("govgate/x.rego/y.rego", rego)),
           archive(("govgate/" + "a" * 300 + ".rego", rego)),
           archive(("govgate/x.rego", rego), ("govgate/X.rego", rego)),
           archive(("readme.txt", b"no policy here"))]
    stored = bytearray(archive(("govgate/x.rego", rego * 50)))
    stored[stored.index(b"package") + 3] ^= 0xFF  # a bad checksum
    odd.append(bytes(stored))
    for content in odd:
        refused = upload(content)
        assert refused.status_code == 400 and 'id="replay-error"' in refused.text
        assert "govgate-upload-" not in refused.text  # server paths stay on the server
    officer = site.sign_in("officer")
    for bounds in ({"since": "9999-12-31T23:59:59-23:59"}, {"until": "0001-01-01T00:00:00+23:59"}):
        error_of(officer.get("/console/api/decisions", params=bounds), 400)
        assert officer.get("/console/decisions", params=bounds).status_code == 400
    # Customer groups are a filter for the audit roles only.
    error_of(client.get("/console/api/decisions", params={"attribute": "gender=female"}), 403,
             code="insufficient_role")
