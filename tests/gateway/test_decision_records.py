"""A denied, a redacted and a streamed request each leave one complete decision record,
on SQLite and on PostgreSQL, and the chain verifies."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.conftest import SUPPORT_HEADERS, Gateway


def test_one_record_per_request_with_timings(gateway_on: Gateway) -> None:
    gateway = gateway_on
    log = gateway.services().decision_log
    marketing = openai.OpenAI(base_url=gateway.base_url, api_key=gateway.bot_key, max_retries=0,
                              default_headers={**SUPPORT_HEADERS, "X-Purpose": "marketing"})
    support = openai.OpenAI(base_url=gateway.base_url, api_key=gateway.bot_key, max_retries=0,
                            default_headers=SUPPORT_HEADERS)

    redacted = marketing.chat.completions.with_raw_response.create(
        model="demo-chat", messages=[{"role": "user", "content": "Write to maria.gonzalez@example.com"}])
    assert redacted.parse().choices[0].message.content == "Write to [EMAIL_ADDRESS]"

    with pytest.raises(openai.PermissionDeniedError) as denied:
        openai.OpenAI(base_url=gateway.base_url, api_key=gateway.bot_key, max_retries=0,
                      default_headers={**SUPPORT_HEADERS, "X-Purpose": "profiling"}).chat.completions.create(
            model="demo-chat", messages=[{"role": "user", "content": "hi"}])

    with support.chat.completions.with_streaming_response.create(
            model="demo-chat", stream=True, messages=[{"role": "user", "content": "hi there"}]) as streamed:
        streamed_id = streamed.headers["x-decision-id"]
        "".join(c.choices[0].delta.content or "" for c in streamed.parse() if c.choices)

    records = {r.decision_id: r for r in log.page(limit=10)}
    assert len(records) == 3

    r = records[redacted.headers["x-decision-id"]]
    assert r.status_code == 200 and [(f.entity_type, f.action) for f in r.findings][0] == ("EMAIL_ADDRESS", "redact")
    assert r.timings.pii > 0 and r.timings.policy > 0 and r.timings.upstream_total > 0
    assert r.timings.total >= r.timings.upstream_total and r.timings.overhead > 0

    d = records[denied.value.response.headers["x-decision-id"]]
    assert d.status_code == 403 and not d.allowed and d.route.attempts == []
    assert d.timings.policy > 0 and d.timings.upstream_total is None
    # An unlisted purpose is recorded and reasoned about as its keyed hash only.
    assert d.purpose.startswith("unlisted:") and "profiling" not in d.model_dump_json()
    assert any(d.purpose in reason.reason for reason in d.reasons)

    s = records[streamed_id]
    assert s.streamed and s.status_code == 200 and s.timings.upstream_ttft is not None
    assert s.timings.upstream_ttft <= s.timings.upstream_total

    verify = httpx.get(f"{gateway.base_url}/decisions/verify",
                       headers={"authorization": f"Bearer {gateway.officer_key}"}).json()
    assert verify == {"ok": True, "checked": 3, "first_bad_seq": None, "decision_id": None, "problem": None,
                      "checkpoints": 0, "outcomes": {"ok": True, "checked": 0, "first_bad_seq": None, "outcome_key": None, "problem": None}}
