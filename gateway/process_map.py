"""An ordered, bounded map over worker processes: results in the items' order, at most
`window` items in flight (memory stays bounded whatever the input's length).

    with ProcessMap(function, workers=2) as pool:
        for result in pool.map(items, window=8): ...

The workers are forked when the pool opens, before the caller starts any thread or opens any
connection of its own, so `function` (a closure over keys, a PII detector…) reaches them by
inheritance, never pickled; only the items and the results cross. Where fork is not offered,
or `workers` is 0, the map runs in this process (the same function, the same order).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import Any

# The function this worker process runs, installed once as it starts (a worker's own state:
# the parent process never reads it).
_INSTALLED: list[Callable[[Any], Any]] = []


def _install(function: Callable[[Any], Any], niceness: int) -> None:
    if niceness:
        os.nice(niceness)
    _INSTALLED[:] = [function]


def _call(item: Any) -> Any:
    return _INSTALLED[0](item)


def _ready() -> None:
    return None


class ProcessMap:
    """`niceness`: added to the workers' nice value, so a caller that consumes the results in
    order — the one that cannot be parallelised — keeps its core when the workers would
    otherwise outnumber the cores."""

    def __init__(self, function: Callable[[Any], Any], *, workers: int, niceness: int = 0) -> None:
        self._function = function
        self._workers = workers if "fork" in multiprocessing.get_all_start_methods() else 0
        self._niceness = niceness
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessMap:
        if self._workers > 0:
            self._pool = ProcessPoolExecutor(self._workers, mp_context=multiprocessing.get_context("fork"),
                                             initializer=_install, initargs=(self._function, self._niceness))
            # With fork, the first task starts every worker at once: now, while this process is quiet.
            self._pool.submit(_ready).result()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def map(self, items: Iterable[Any], *, window: int) -> Iterator[Any]:
        if self._pool is None:
            yield from map(self._function, items)
            return
        pending: deque[Future[Any]] = deque()
        try:
            for item in items:
                pending.append(self._pool.submit(_call, item))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
