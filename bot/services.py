"""What the handlers call: the archive, and a single-flight reindex that leaves the old index
serving until the new one is complete."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.config import BotSettings
from bot.turns import GroupTurns
from index.archive import Archive
from index.background import index_in_background
from index.conversations import Conversations
from index.errors import ReindexBusyError
from index.ingest import IndexProgress, Progress
from index.models import IndexReport
from index.sources import ReadOptions

IndexFunction = Callable[[Path, Iterable[Path], Progress | None, ReadOptions | None], IndexReport]

PROGRESS_INTERVAL_SECONDS = 3.0


class ReindexCancelledError(Exception):
    """The bot is shutting down: the reindex stops, and the index it had keeps serving."""


@dataclass
class ReindexRun:
    """Progress of the running reindex, written by its worker thread, read by the bot; the bot
    sets ``cancelled`` to stop it at the next progress report."""

    latest: IndexProgress | None = None
    cancelled: bool = False

    def record(self, event: IndexProgress) -> None:
        if self.cancelled:
            raise ReindexCancelledError
        self.latest = event


@dataclass(frozen=True)
class FeedPoll:
    polled: datetime
    failed: bool


@dataclass
class Services:
    settings: BotSettings
    archive: Archive
    conversations: Conversations
    index_function: IndexFunction = index_in_background
    progress_interval: float = PROGRESS_INTERVAL_SECONDS
    # What paces the /reindex progress edits.
    clock: Callable[[], float] = time.monotonic
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    # The last poll of each feed, by URL.
    feed_polls: dict[str, FeedPoll] = field(default_factory=dict)
    group_turns: GroupTurns = field(init=False)
    _reindex_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.group_turns = GroupTurns(self.settings.group_cooldown)

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admin_ids

    @property
    def reindexing(self) -> bool:
        return self._reindex_lock.locked()

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
