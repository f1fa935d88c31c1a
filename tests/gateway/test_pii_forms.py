"""Property, end to end: a value in any odd form never reaches the upstream raw, and the
caller's own pseudonymised values come back exactly as written (live gateway, demo upstream)."""

from __future__ import annotations

import re

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SUPPORT_HEADERS, Gateway
from tests.pii.test_forms_property import CONTEXTS, written_values

RESTORED = {"EMAIL_ADDRESS", "PHONE_NUMBER"}  # pseudonymised and restored under customer-support


def ascii_digits(text: str) -> str:
    return "".join(str(int(c)) for c in text if c.isdigit())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=written_values(), context=st.sampled_from(sorted(CONTEXTS)))
def test_no_raw_value_reaches_the_upstream(gateway: Gateway, value, context) -> None:  # type: ignore[no-untyped-def]
    entity, written = value
    before, after = CONTEXTS[context]
    text = before + written + after
    gateway.clear_received()
    response = httpx.post(gateway.base_url + "/chat/completions", timeout=30,
                          headers={**SUPPORT_HEADERS, "authorization": f"Bearer {gateway.bot_key}"},
                          json={"model": "demo-chat", "messages": [{"role": "user", "content": text}]})
    assert response.status_code == 200, response.text
    sent = gateway.received()[-1]["messages"][-1]["content"]
    assert written not in sent
    digits = ascii_digits(written)
    if digits:
        assert digits not in ascii_digits(sent), sent  # not even as its digits, in any form
    else:
        local = re.split(r"[@＠\[%]", written)[0].strip()
        assert local not in sent, sent
    if entity in RESTORED:
        assert response.json()["choices"][0]["message"]["content"] == text
