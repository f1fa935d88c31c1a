"""Customer headers: parsed into a typed context, malformed ones refused without echoing them."""

from __future__ import annotations

import pytest

from gateway.customer import parse_customer_headers
from gateway.errors import BadHeader


def test_all_headers() -> None:
    context = parse_customer_headers({
        "x-purpose": "Customer-Support",
        "x-customer-region": "eu",
        "x-customer-id": "cust-42",
        "x-customer-attributes": "gender=female; age_band=35-44; language=zh; segment=gold",
        "x-conversation-id": "conv:2026-11-28.1",
        "x-cross-border-basis": "pipl-standard-contract",
        "x-channel": "Chat",
    })
    assert context.purpose == "customer-support"
    assert context.region == "EU"
    assert context.attributes == {"gender": "female", "age_band": "35-44", "language": "zh", "segment": "gold"}
    assert context.conversation_id == "conv:2026-11-28.1"
    assert context.cross_border_basis == "pipl-standard-contract"
    assert context.channel == "chat"


def test_no_headers() -> None:
    context = parse_customer_headers({})
    assert context.purpose is None and context.attributes == {}


@pytest.mark.parametrize(("name", "value", "param"), [
    ("x-customer-region", "Europe/Paris", "X-Customer-Region"),
    ("x-purpose", "support bot!", "X-Purpose"),
    ("x-customer-attributes", "gender", "X-Customer-Attributes"),
    ("x-customer-attributes", "gender=female; gender=male", "X-Customer-Attributes"),
    ("x-customer-attributes", "email=a@b.com", "X-Customer-Attributes"),
    ("x-conversation-id", "has space", "X-Conversation-Id"),
    ("x-customer-id", "x" * 300, "X-Customer-Id"),
    ("x-channel", "web chat", "X-Channel"),
    ("x-channel", "\u212aiosk", "X-Channel"),  # the Kelvin sign lower-cases to an ASCII "k": refused, not folded
    ("x-purpose", "\u212aiosk", "X-Purpose"),
    ("x-channel", "chat\u200b", "X-Channel"),
])
def test_malformed_headers_are_400_naming_the_header(name: str, value: str, param: str) -> None:
    with pytest.raises(BadHeader) as raised:
        parse_customer_headers({name: value})
    assert raised.value.param == param
    assert value not in raised.value.message
    assert raised.value.status_code == 400


def test_unlisted_channels_are_hashed_like_other_identifiers() -> None:
    from gateway.identifiers import screen_customer
    from gateway.policy.documents import Vocabulary

    vocabulary = Vocabulary()
    for channel, kept in (("phone", "phone"), ("kiosk", None), (None, None)):
        context = screen_customer(parse_customer_headers({"x-channel": channel} if channel else {}), vocabulary,
                                  lambda value: f"h-{len(value)}" * 8, None)
        if channel == "kiosk":
            assert context.channel.startswith("unlisted:") and "kiosk" not in context.channel
        else:
            assert context.channel == kept
