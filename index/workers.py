"""Work on every core: a process pool, started only when there is work to spread."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

DEFAULT_WORKERS = min(2, os.cpu_count() or 1)


class Workers:
    """``submit`` to worker processes, started on first need and stopped on exit; with one
    worker the work runs here, at once."""

    def __init__(self, count: int = DEFAULT_WORKERS) -> None:
        self.count = max(1, count)
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, function: Callable[[Item], Result], item: Item) -> Future[Result]:
        """``function(item)`` in a worker; each item should be a sizeable piece of work."""
        if self.count == 1:
            done: Future[Result] = Future()
            try:
                done.set_result(function(item))
            except Exception as error:  # raised by ``result()``, as from a worker process
                done.set_exception(error)
            return done
        if self._pool is None:
            # spawn, not fork: the bot reindexes from a thread, and forking a threaded process
            # can copy a lock some other thread holds.
            self._pool = ProcessPoolExecutor(
                self.count,
                mp_context=multiprocessing.get_context("spawn"),
            )
        return self._pool.submit(function, item)

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
