"""Per-caller request rate limit: a token bucket in memory (one gateway process)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from gateway.errors import RateLimited


@dataclass
class RateLimiter:
    per_minute: int
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def check(self, caller: str) -> None:
        now = time.monotonic()
        rate = self.per_minute / 60.0
        tokens, last = self._buckets.get(caller, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - last) * rate)
        if tokens < 1.0:
            self._buckets[caller] = (tokens, now)
            retry_after = (1.0 - tokens) / rate
            raise RateLimited(
                f"rate limit of {self.per_minute} requests per minute exceeded; retry after {retry_after:.1f}s",
                extra={"retry_after_s": round(retry_after, 2)},
            )
        self._buckets[caller] = (tokens - 1.0, now)
