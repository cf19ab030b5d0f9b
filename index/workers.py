"""Work on every core: a process pool, started only when there is work to spread."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

DEFAULT_WORKERS = min(2, os.cpu_count() or 1)


# How often a worker checks that the process that started it is alive.
_PARENT_CHECK_SECONDS = 0.5


def _exit_with_parent(parent: int) -> None:
    """Runs in each worker as it starts. A worker whose parent is gone (killed, even by SIGKILL,
    which runs no clean-up) exits instead of waiting for work forever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


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
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
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
