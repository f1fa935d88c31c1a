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
    })
    assert context.purpose == "customer-support"
    assert context.region == "EU"
    assert context.attributes == {"gender": "female", "age_band": "35-44", "language": "zh", "segment": "gold"}
    assert context.conversation_id == "conv:2026-11-28.1"
    assert context.cross_border_basis == "pipl-standard-contract"


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
])
def test_malformed_headers_are_400_naming_the_header(name: str, value: str, param: str) -> None:
    with pytest.raises(BadHeader) as raised:
        parse_customer_headers({name: value})
    assert raised.value.param == param
    assert value not in raised.value.message
    assert raised.value.status_code == 400
