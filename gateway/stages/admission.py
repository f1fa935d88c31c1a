"""Admission: who calls (authentication), for which customer (the headers), and whether the
caller is within its rate limit. Every identifier the policy does not list leaves here as a
keyed hash, so nothing after this stage sees an unlisted value.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from gateway.auth import AuthenticatedCaller, Authenticator
from gateway.customer import CustomerContext, parse_customer_headers
from gateway.identifiers import screen_customer
from gateway.keys import KeyedDigest
from gateway.policy.documents import Vocabulary
from gateway.ratelimit import RateLimiter
from gateway.stages.detection import PiiDetection


@dataclass(frozen=True)
class Customer:
    """The customer as admitted: unlisted identifiers hashed, ids as keyed hashes.

    `context.customer_id` is the raw id: it lives only for the request (the vault's table is
    addressed by it) and is never stored.
    """

    context: CustomerContext
    # Keyed hashes, as the record keeps them (callers put customer numbers in conversation ids).
    pseudonym: str | None
    conversation: str | None


class Admission:
    def __init__(self, *, authenticator: Authenticator, rate_limiter: RateLimiter,
                 vocabulary: Callable[[], Awaitable[Vocabulary]], digest: KeyedDigest,
                 detection: PiiDetection) -> None:
        self._authenticator = authenticator
        self._rate_limiter = rate_limiter
        self._vocabulary = vocabulary
        self._digest = digest
        self._detection = detection

    async def caller(self, headers: Mapping[str, str]) -> AuthenticatedCaller:
        return await self._authenticator.authenticate(headers.get("authorization"))

    async def customer(self, headers: Mapping[str, str]) -> Customer:
        """The customer as the headers say, with every identifier the policy does not list hashed."""
        context = screen_customer(parse_customer_headers(headers), await self._vocabulary(), self._digest,
                                  self._detection.holds_pii)
        return Customer(
            context=context,
            pseudonym=self._digest(context.customer_id) if context.customer_id is not None else None,
            conversation=self._digest(context.conversation_id) if context.conversation_id is not None else None,
        )

    def limit(self, caller: AuthenticatedCaller) -> None:
        self._rate_limiter.check(caller.id)
