"""What a caller's identifiers may be stored as: the value when the policy lists it, else a keyed hash.

The model name, purpose, region, cross-border basis, channel and audit attributes are free text a
caller controls, and a caller can put anything there — a customer's e-mail address as the
model, a phone number as the purpose. They reach the policy, the decision record and error
messages, so only values the policy data lists (its `Vocabulary`) pass as sent. Any other
value becomes `unlisted:<keyed hash>`: still distinct per value (a replay or an audit can
group by it), never readable. Unlisted audit attributes are also checked for PII first
and refused when they hold some, so nothing that looks personal is kept even as a hash.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from gateway.customer import CHANNELS, CustomerContext
from gateway.errors import BadHeader
from gateway.policy.documents import Vocabulary

UNLISTED_PREFIX = "unlisted:"
UNLISTED_HEX_CHARS = 16

Digest = Callable[[str], str]
# Whether a text holds personal data (the PII layer decides).
HoldsPii = Callable[[str], bool]


def unlisted(value: str, digest: Digest) -> str:
    """The stored form of a value the policy does not list: `unlisted:<keyed hash>`."""
    return f"{UNLISTED_PREFIX}{digest(value)[:UNLISTED_HEX_CHARS]}"


def listed_or_digest(value: str | None, listed: Collection[str], digest: Digest) -> str | None:
    if value is None or value in listed:
        return value
    return unlisted(value, digest)


def screen_customer(customer: CustomerContext, vocabulary: Vocabulary, digest: Digest,
                    holds_pii: HoldsPii | None) -> CustomerContext:
    """The customer context with every unlisted identifier replaced by its keyed hash.

    `holds_pii` is None where PII detection is off (benchmark modes): unlisted attributes
    are then hashed without the check.
    """
    return customer.model_copy(update={
        "purpose": listed_or_digest(customer.purpose, vocabulary.purposes, digest),
        "region": listed_or_digest(customer.region, vocabulary.regions, digest),
        "cross_border_basis": listed_or_digest(customer.cross_border_basis, vocabulary.cross_border_bases, digest),
        # Channels are the gateway's own short list, not the policy's: the policy never reads them.
        "channel": listed_or_digest(customer.channel, CHANNELS, digest),
        "attributes": screen_attributes(customer.attributes, vocabulary.attributes, digest, holds_pii),
    })


def screen_attributes(attributes: Mapping[str, str], listed: Mapping[str, Collection[str]], digest: Digest,
                      holds_pii: HoldsPii | None) -> dict[str, str]:
    screened: dict[str, str] = {}
    for key, value in attributes.items():
        values = {v.casefold(): v for v in listed.get(key, ())}
        if key in listed and value.casefold() in values:
            screened[key] = values[value.casefold()]
            continue
        if holds_pii is not None and (holds_pii(value) or (key not in listed and holds_pii(key))):
            # Neither the key nor the value is named: either could be what holds the data.
            raise BadHeader("X-Customer-Attributes holds a value that looks like personal data; "
                            "send audit categories only", code="pii_in_header", param="X-Customer-Attributes")
        screened[key if key in listed else unlisted(key, digest)] = unlisted(value, digest)
    return screened
