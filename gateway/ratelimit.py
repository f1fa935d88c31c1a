"""Per-caller request rate limit: a moving one-minute window in memory (one gateway process).

The `limits` library keeps the window; a caller may send `per_minute` requests in any
sixty seconds (a full minute's worth at once, then as the oldest ones age out).
"""

from __future__ import annotations

import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from gateway.errors import RateLimited


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self._item = RateLimitItemPerMinute(per_minute)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, caller: str) -> None:
        if self._limiter.hit(self._item, caller):
            return
        reset = self._limiter.get_window_stats(self._item, caller).reset_time
        retry_after = max(0.0, reset - time.time())
        raise RateLimited(
            f"rate limit of {self.per_minute} requests per minute exceeded; retry after {retry_after:.1f}s",
            extra={"retry_after_s": round(retry_after, 2)},
        )
