"""What the bot remembers in the archive's database: each answer until its buttons expire, the
readers' votes on answers, and one row per question without its text, for /stats.

These rows live beside the articles, so they survive restarts and ``newsbot index --rebuild``.
Every write is a short transaction of its own, made by a writer thread behind a queue: a reindex
writing articles meanwhile delays the write by at most a batch, and the answer not at all.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from index.models import Answer, DateWindow, Hit
from index.schema import write_transaction
from index.store import open_for_writing

logger = logging.getLogger(__name__)

# Seconds a write waits for the indexer's transaction before it gives up.
_BUSY_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class StoredAnswer:
    answer_id: str
    chat_id: int
    user_id: int | None
    answer: Answer


@dataclass(frozen=True)
class Usage:
    """Questions asked and votes given since the database was created."""

    questions: int
    answered: int
    helpful: int
    unhelpful: int

    @property
    def declined(self) -> int:
        return self.questions - self.answered


def answer_record(answer: Answer) -> str:
    """The answer as JSON text, every field kept (see ``answer_of_record``)."""
    return json.dumps(dataclasses.asdict(answer), ensure_ascii=False, default=date.isoformat)


def _window(record: dict[str, Any] | None) -> DateWindow | None:
    if record is None:
        return None
    start, end = date.fromisoformat(record["start"]), date.fromisoformat(record["end"])
    return DateWindow(start, end, record["phrase"])


def answer_of_record(text: str) -> Answer:
    record = json.loads(text)
    hits = tuple(
        Hit(**{**hit, "also_published_by": tuple(hit["also_published_by"])})
        for hit in record["hits"]
    )
    return Answer(
        question=record["question"],
        hits=hits,
        terms=tuple(record["terms"]),
        declined=record["declined"],
        window=_window(record["window"]),
        asked_window=_window(record["asked_window"]),
        undated_articles=record["undated_articles"],
    )


@dataclass(frozen=True)
class _Write:
    write: Callable[[sqlite_utils.Database], object]
    answer_id: str | None = None


class Conversations:
    """The bot's own rows; safe to call from any thread.

    Writes are queued for one writer thread (write-behind), so an answer never waits for the
    indexer's transaction: an answer remembered but not yet written is recalled from memory.
    ``flush`` waits for the queue; ``close`` writes what is queued and stops the thread.
    """

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self._db: sqlite_utils.Database = open_for_writing(path, any_thread=True)
        self._writer: sqlite_utils.Database = open_for_writing(path, any_thread=True)
        self._writer.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        self._clock = clock
        self._read_lock = threading.Lock()
        self._pending_lock = threading.Lock()
        # Remembered answers the writer has not written yet, with when they were made.
        self._pending: dict[str, tuple[float, StoredAnswer]] = {}
        # Each write, and the answer it stores (to drop from ``_pending`` once committed).
        self._writes: queue.Queue[_Write | None] = queue.Queue()
        self._thread = threading.Thread(
            target=self._write_queued, name="newsbot-conversations", daemon=True
        )
        self._thread.start()

    def _write_queued(self) -> None:
        while (queued := self._writes.get()) is not None:
            try:
                with write_transaction(self._writer):
                    queued.write(self._writer)
            except sqlite3.Error:
                logger.exception("the bot's rows: a write failed and is lost")
            finally:
                if queued.answer_id is not None:
                    with self._pending_lock:
                        del self._pending[queued.answer_id]
                self._writes.task_done()
        self._writes.task_done()

    def remember(self, answer: Answer, chat_id: int, user_id: int | None, keep: timedelta) -> str:
        """Store the answer for its buttons; returns its id (8 URL-safe characters). Answers
        older than ``keep`` are forgotten on the way."""
        answer_id = secrets.token_urlsafe(6)
        now = self._clock()
        stored = StoredAnswer(answer_id, chat_id, user_id, answer)
        with self._pending_lock:
            self._pending[answer_id] = (now, stored)
        record = answer_record(answer)

        def write(db: sqlite_utils.Database) -> None:
            db.execute("DELETE FROM answers WHERE created_at < ?", [now - keep.total_seconds()])
            db.execute(
                "INSERT INTO answers (answer_id, created_at, chat_id, user_id, answer)"
                " VALUES (?, ?, ?, ?, ?)",
                [answer_id, now, chat_id, user_id, record],
            )

        self._writes.put(_Write(write, answer_id))
        return answer_id

    def recall(self, answer_id: str, keep: timedelta) -> StoredAnswer | None:
        """The stored answer, or ``None`` when it is unknown or older than ``keep``."""
        oldest = self._clock() - keep.total_seconds()
        with self._pending_lock:
            created, stored = self._pending.get(answer_id, (0.0, None))
        if stored is not None:
            return stored if created >= oldest else None
        with self._read_lock:
            row = self._db.execute(
                "SELECT chat_id, user_id, answer FROM answers"
                " WHERE answer_id = ? AND created_at >= ?",
                [answer_id, oldest],
            ).fetchone()
        if row is None:
            return None
        chat_id, user_id, text = row
        return StoredAnswer(answer_id, chat_id, user_id, answer_of_record(text))

    def vote(
        self, stored: StoredAnswer, user_id: int, helpful: bool, shown: Sequence[Hit]
    ) -> None:
        """A reader's 👍 or 👎 on the passages shown; a second vote replaces the first."""
        row = [
            stored.answer_id,
            user_id,
            int(helpful),
            stored.answer.question,
            json.dumps([hit.passage_id for hit in shown]),
            self._clock(),
        ]
        self._writes.put(
            _Write(
                lambda db: db.execute(
                    "INSERT OR REPLACE INTO feedback"
                    " (answer_id, user_id, helpful, question, passages, voted_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    row,
                )
            )
        )

    def count_question(self, chat_type: str, answer: Answer, seconds: float) -> None:
        """One question asked, without its text."""
        row = [self._clock(), chat_type, int(answer.answered), len(answer.hits), seconds]
        self._writes.put(
            _Write(
                lambda db: db.execute(
                    "INSERT INTO questions (asked_at, chat_type, answered, hits, seconds)"
                    " VALUES (?, ?, ?, ?, ?)",
                    row,
                )
            )
        )

    def flush(self) -> None:
        """Wait until every write queued so far is written."""
        self._writes.join()

    def usage(self) -> Usage:
        """The counts, once what is queued is written."""
        self.flush()
        with self._read_lock:
            questions, answered = self._db.execute(
                "SELECT count(*), coalesce(sum(answered), 0) FROM questions"
            ).fetchone()
            helpful, unhelpful = self._db.execute(
                "SELECT coalesce(sum(helpful), 0), coalesce(sum(1 - helpful), 0) FROM feedback"
            ).fetchone()
        return Usage(questions, answered, helpful, unhelpful)

    def close(self) -> None:
        """Write what is queued, then stop the writer."""
        if self._thread.is_alive():
            self._writes.put(None)
            self._thread.join()
        with self._read_lock:
            self._db.close()
        self._writer.close()
