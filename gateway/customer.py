"""Who the customer is, from the request headers; validated once, typed from here on.

    X-Purpose              why the call is made (customer-support, marketing, ...)
    X-Customer-Region      residency region of the customer's data (EU, CN, US, ...)
    X-Customer-Id          opaque id; only its keyed HMAC is ever stored
    X-Customer-Attributes  audit attributes "gender=female; age_band=35-44": recorded, never sent upstream
    X-Conversation-Id      groups turns: pseudonyms stay consistent within it
    X-Cross-Border-Basis   legal basis declared for a cross-border transfer (e.g. pipl-standard-contract)
    X-Channel              where the customer wrote from (chat, app, phone, email, ...): recorded for audits

A malformed header is a 400 naming the header, never echoing its value. Values are ASCII:
anything else is refused, not case-folded into ASCII (the Kelvin sign lower-cases to "k").
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import BaseModel

from gateway.errors import BadHeader

MAX_ATTRIBUTES = 16
_PURPOSE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_REGION = re.compile(r"[A-Z]{2,8}")
_CONVERSATION = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_BASIS = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_ATTRIBUTE_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")
_ATTRIBUTE_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._+-]{0,63}")
_CHANNEL = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_CUSTOMER_ID_MAX = 256
# Channels recorded as sent; any other word is recorded as its keyed hash (gateway/identifiers.py).
CHANNELS = frozenset({"chat", "app", "phone", "email", "web", "sms", "social"})


class CustomerContext(BaseModel, frozen=True):
    purpose: str | None = None
    region: str | None = None
    customer_id: str | None = None  # raw: lives only for the request, never stored
    attributes: dict[str, str] = {}
    conversation_id: str | None = None
    cross_border_basis: str | None = None
    channel: str | None = None


def parse_customer_headers(headers: Mapping[str, str]) -> CustomerContext:
    purpose = _match(headers, "x-purpose", _PURPOSE, "a lower-case word such as customer-support", lower=True)
    region = _match(headers, "x-customer-region", _REGION, "a region code such as EU, CN or US", upper=True)
    conversation_id = _match(headers, "x-conversation-id", _CONVERSATION, "1-128 characters of A-Z a-z 0-9 . _ : -")
    basis = _match(headers, "x-cross-border-basis", _BASIS, "a lower-case word", lower=True)
    channel = _match(headers, "x-channel", _CHANNEL, "a lower-case word such as chat, app, phone or email", lower=True)
    customer_id = headers.get("x-customer-id")
    if customer_id is not None:
        customer_id = customer_id.strip()
        if not customer_id or len(customer_id) > _CUSTOMER_ID_MAX or not customer_id.isprintable():
            raise BadHeader(f"X-Customer-Id must be 1-{_CUSTOMER_ID_MAX} printable characters", param="X-Customer-Id")
    return CustomerContext(
        purpose=purpose,
        region=region,
        customer_id=customer_id,
        attributes=_attributes(headers.get("x-customer-attributes")),
        conversation_id=conversation_id,
        cross_border_basis=basis,
        channel=channel,
    )


def _match(headers: Mapping[str, str], name: str, pattern: re.Pattern[str], expected: str,
           *, lower: bool = False, upper: bool = False) -> str | None:
    value = headers.get(name)
    if value is None:
        return None
    value = value.strip()
    ascii_only = value.isascii()
    value = value.lower() if lower else value.upper() if upper else value
    if not ascii_only or not pattern.fullmatch(value):
        title = "-".join(part.capitalize() for part in name.split("-"))
        raise BadHeader(f"{title} must be {expected}", param=title)
    return value


def _attributes(raw: str | None) -> dict[str, str]:
    if raw is None or not raw.strip():
        return {}
    attributes: dict[str, str] = {}
    for item in raw.split(";"):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or not _ATTRIBUTE_KEY.fullmatch(key) or not _ATTRIBUTE_VALUE.fullmatch(value):
            raise BadHeader(
                "X-Customer-Attributes must be 'key=value; key=value' with keys of a-z 0-9 _ "
                "and values of letters, digits, space . _ + -",
                param="X-Customer-Attributes",
            )
        if key in attributes:
            raise BadHeader(f"X-Customer-Attributes repeats the key {key}", param="X-Customer-Attributes")
        attributes[key] = value
    if len(attributes) > MAX_ATTRIBUTES:
        raise BadHeader(f"X-Customer-Attributes allows at most {MAX_ATTRIBUTES} keys", param="X-Customer-Attributes")
    return attributes
