"""Indexing in a child process at low priority, for a server that goes on answering meanwhile.

The child runs ``index_sources`` (and its worker processes) niced, so questions get the CPU
first, and in its own interpreter, so its Python work never holds the server's GIL. Progress
and the report come back through a queue. Stopping the run terminates the child: a run killed
at any moment leaves every article as it was or fully replaced (see ``index.ingest``), and the
server's archive keeps serving what it has until it reloads.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from index.errors import NewsbotError
from index.ingest import IndexProgress, Progress, index_sources
from index.models import IndexReport
from index.sources import ReadOptions

# Added to the child's niceness (0 is the default, 19 the lowest priority).
NICENESS = 10
# How often the parent looks in on a child that reports nothing (it may be building the index).
_POLL_SECONDS = 0.5
# How long a terminated child gets to exit before it is killed.
_EXIT_SECONDS = 10.0


@dataclass(frozen=True)
class _Failed:
    reason: str


Message = IndexProgress | IndexReport | _Failed


def _index_child(
    db_path: Path,
    sources: list[Path | str],
    options: ReadOptions | None,
    messages: multiprocessing.Queue[Message],
) -> None:
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    try:
        report = index_sources(db_path, sources, messages.put, options)
    except Exception as error:  # the parent shows the reason; nothing here to handle it
        messages.put(_Failed(str(error) or type(error).__name__))
        return
    messages.put(report)


def index_in_background(
    db_path: Path,
    sources: Iterable[Path | str],
    progress: Progress | None = None,
    options: ReadOptions | None = None,
) -> IndexReport:
    """``index_sources`` in a niced child process; blocks until it is done. ``progress`` hears
    every report and, while nothing is read, the latest again every half second: an exception
    it raises stops the run (the child is terminated) and propagates."""
    context = multiprocessing.get_context("spawn")
    messages: multiprocessing.Queue[Message] = context.Queue()
    child = context.Process(
        target=_index_child,
        args=(db_path, list(sources), options, messages),
        name="newsbot-reindex",
    )
    child.start()
    latest: IndexProgress | None = None
    try:
        while True:
            try:
                message = messages.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if not child.is_alive() and messages.empty():
                    raise NewsbotError(
                        f"the indexing process stopped unexpectedly (exit code {child.exitcode});"
                        " the previous index is still serving, run the reindex again"
                    ) from None
                if progress is not None and latest is not None:
                    progress(latest)
                continue
            if isinstance(message, IndexProgress):
                latest = message
                if progress is not None:
                    progress(message)
            elif isinstance(message, _Failed):
                raise NewsbotError(message.reason)
            else:
                return message
    finally:
        if child.is_alive():
            child.terminate()
            child.join(_EXIT_SECONDS)
            if child.is_alive():
                child.kill()
        child.join()
        messages.close()
