"""What the handlers call: the archive, and a single-flight reindex that leaves the old index
serving until the new one is complete."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import BotSettings
from index.archive import Archive
from index.errors import ReindexBusyError
from index.ingest import IndexProgress, Progress, index_sources
from index.models import IndexReport
from index.sources import ReadOptions

IndexFunction = Callable[[Path, Iterable[Path], Progress | None, ReadOptions | None], IndexReport]

PROGRESS_INTERVAL_SECONDS = 3.0


@dataclass
class ReindexRun:
    """Progress of the running reindex, written by its worker thread, read by the bot."""

    latest: IndexProgress | None = None

    def record(self, event: IndexProgress) -> None:
        self.latest = event


@dataclass
class Services:
    settings: BotSettings
    archive: Archive
    index_function: IndexFunction = index_sources
    progress_interval: float = PROGRESS_INTERVAL_SECONDS
    _reindex_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admin_ids

    @contextlib.asynccontextmanager
    async def reindex_slot(self) -> AsyncIterator[None]:
        """Hold the one reindex slot; ``ReindexBusyError`` when another reindex holds it."""
        if self._reindex_lock.locked():
            raise ReindexBusyError("a reindex is already running")
        async with self._reindex_lock:
            yield

    def reindex(self, run: ReindexRun) -> IndexReport:
        """Re-read the sources, then swap in the new index (blocking; call from a thread)."""
        settings = self.settings
        report = self.index_function(
            settings.db_path, settings.sources, run.record, settings.read_options
        )
        self.archive.reload()
        return report
