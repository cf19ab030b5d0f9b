"""Preparing articles on every core: a process pool, used only when the work is big enough to
pay for starting it."""

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
# Below this many items a batch is prepared in this process: starting workers costs more.
MIN_PARALLEL_ITEMS = 64
_CHUNK = 16


class Workers:
    """``map`` over worker processes, started on first need and stopped on exit."""

    def __init__(self, count: int = DEFAULT_WORKERS) -> None:
        self._count = count
        self._pool: ProcessPoolExecutor | None = None

    def map(self, function: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
        if self._count <= 1 or len(items) < MIN_PARALLEL_ITEMS:
            return [function(item) for item in items]
        if self._pool is None:
            # spawn, not fork: the bot reindexes from a thread, and forking a threaded process
            # can copy a lock some other thread holds.
            self._pool = ProcessPoolExecutor(
                self._count, mp_context=multiprocessing.get_context("spawn")
            )
        return list(self._pool.map(function, items, chunksize=_CHUNK))

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
