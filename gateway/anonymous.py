"""Anonymous refusals (401, and the pre-authentication 429): recorded, but never a row each.

Per client address and window (a minute), the first `individual` refusals are recorded one
by one, like any decision. The rest are counted into one aggregate record per address,
status and error code, whose decision id their responses carry; the aggregate is written
once its window has ended (`due`), or at shutdown (`drain`). So a flood from one address
costs at most a few rows a minute, and a flood from many addresses at most
`ALL_ADDRESSES_INDIVIDUAL_MAX` individual rows a minute before everything is counted under
one "*" aggregate.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gateway.decision import AggregateRecord, DecisionRecord

WINDOW_S = 60.0
ALL_ADDRESSES_INDIVIDUAL_MAX = 1000
MANY_ADDRESSES = "*"


@dataclass
class _Aggregate:
    decision_id: str
    client: str
    status_code: int
    error_code: str
    first_at: datetime
    last_at: datetime
    count: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    def record(self) -> DecisionRecord:
        aggregate = AggregateRecord(client=self.client, count=self.count, first_at=self.first_at,
                                    last_at=self.last_at, kinds=dict(sorted(self.kinds.items())))
        return DecisionRecord(decision_id=self.decision_id, created_at=self.first_at, kind="aggregate",
                              status_code=self.status_code, error_code=self.error_code, stage="admission",
                              client_pseudonym=None if self.client == MANY_ADDRESSES else self.client,
                              aggregate=aggregate)


@dataclass
class _Window:
    ends: float
    individual: int = 0
    aggregates: dict[tuple[int, str], _Aggregate] = field(default_factory=dict)


class AnonymousRefusals:
    def __init__(self, *, individual: int, window_s: float = WINDOW_S,
                 all_addresses_max: int = ALL_ADDRESSES_INDIVIDUAL_MAX,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._individual = individual
        self._window_s = window_s
        self._all_max = all_addresses_max
        self._clock = clock
        self._windows: dict[str, _Window] = {}
        self._closed: list[_Window] = []
        self._all_window_ends = 0.0
        self._all_individual = 0

    def fold(self, client: str, *, kind: str, status_code: int, error_code: str) -> str | None:
        """None: record this refusal on its own. Else the id of the aggregate it was counted into."""
        now = self._clock()
        if now >= self._all_window_ends:
            self._all_window_ends, self._all_individual = now + self._window_s, 0
        window = self._current(client, now)
        if window is None and self._all_individual >= self._all_max:
            # Too many addresses at once to track each: count the new ones together.
            client, window = MANY_ADDRESSES, self._current(MANY_ADDRESSES, now)
        if window is None:
            window = self._windows[client] = _Window(ends=now + self._window_s)
        if client != MANY_ADDRESSES and window.individual < self._individual \
                and self._all_individual < self._all_max:
            window.individual += 1
            self._all_individual += 1
            return None
        wall = datetime.now(UTC)
        aggregate = window.aggregates.get((status_code, error_code))
        if aggregate is None:
            aggregate = window.aggregates[(status_code, error_code)] = _Aggregate(
                decision_id=f"dec_{uuid.uuid4().hex}", client=client, status_code=status_code,
                error_code=error_code, first_at=wall, last_at=wall)
        aggregate.count += 1
        aggregate.last_at = wall
        aggregate.kinds[kind] = aggregate.kinds.get(kind, 0) + 1
        return aggregate.decision_id

    def due(self) -> list[DecisionRecord]:
        """The aggregate records of windows that have ended (each handed out once)."""
        now = self._clock()
        for client in [c for c, w in self._windows.items() if w.ends <= now]:
            self._closed.append(self._windows.pop(client))
        return self._take_closed()

    def drain(self) -> list[DecisionRecord]:
        """Every aggregate, ended or not (at shutdown)."""
        self._closed.extend(self._windows.values())
        self._windows.clear()
        return self._take_closed()

    def _current(self, client: str, now: float) -> _Window | None:
        window = self._windows.get(client)
        if window is not None and window.ends <= now:
            self._closed.append(self._windows.pop(client))
            return None
        return window

    def _take_closed(self) -> list[DecisionRecord]:
        records = [a.record() for w in self._closed for a in w.aggregates.values()]
        self._closed.clear()
        return sorted(records, key=lambda r: r.created_at)
