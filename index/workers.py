"""Work on every core: a process pool, used only when the work is big enough to pay for
starting it."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from types import TracebackType
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

DEFAULT_WORKERS = min(2, os.cpu_count() or 1)
# With fewer items than this the work stays in this process: there is nothing to spread.
MIN_PARALLEL_ITEMS = 2


class Workers:
    """``map`` over worker processes, started on first need and stopped on exit."""

    def __init__(self, count: int = DEFAULT_WORKERS) -> None:
        self.count = max(1, count)
        self._pool: ProcessPoolExecutor | None = None

    def map(self, function: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
        """``function`` over ``items`` in order; each item should be a sizeable piece of work."""
        if self.count == 1 or len(items) < MIN_PARALLEL_ITEMS:
            return [function(item) for item in items]
        if self._pool is None:
            # spawn, not fork: the bot reindexes from a thread, and forking a threaded process
            # can copy a lock some other thread holds.
            self._pool = ProcessPoolExecutor(
                self.count, mp_context=multiprocessing.get_context("spawn")
            )
        return list(self._pool.map(function, items))

    def __enter__(self) -> Workers:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
