"""What the bot remembers in the archive's database: each answer until its buttons expire, the
readers' votes on answers, and one row per question without its text, for /stats.

These rows live beside the articles, so they survive restarts and ``newsbot index --rebuild``,
and every write is a short transaction of its own: a reindex writing articles meanwhile delays
one by at most a batch, never fails it.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from index.models import Answer, DateWindow, Hit
from index.store import open_for_writing

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


class Conversations:
    """The bot's own rows; safe to call from any thread (one connection behind a lock)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self._db: sqlite_utils.Database = open_for_writing(path, any_thread=True)
        self._db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        self._clock = clock
        self._lock = threading.Lock()

    def _write(self, sql: str, parameters: Sequence[object]) -> None:
        with self._lock, self._db.atomic():
            self._db.execute(sql, parameters)

    def remember(self, answer: Answer, chat_id: int, user_id: int | None, keep: timedelta) -> str:
        """Store the answer for its buttons; returns its id (8 URL-safe characters). Answers
        older than ``keep`` are forgotten on the way."""
        answer_id = secrets.token_urlsafe(6)
        now = self._clock()
        with self._lock, self._db.atomic():
            self._db.execute(
                "DELETE FROM answers WHERE created_at < ?", [now - keep.total_seconds()]
            )
            self._db.execute(
                "INSERT INTO answers (answer_id, created_at, chat_id, user_id, answer)"
                " VALUES (?, ?, ?, ?, ?)",
                [answer_id, now, chat_id, user_id, answer_record(answer)],
            )
        return answer_id

    def recall(self, answer_id: str, keep: timedelta) -> StoredAnswer | None:
        """The stored answer, or ``None`` when it is unknown or older than ``keep``."""
        with self._lock:
            row = self._db.execute(
                "SELECT chat_id, user_id, answer FROM answers"
                " WHERE answer_id = ? AND created_at >= ?",
                [answer_id, self._clock() - keep.total_seconds()],
            ).fetchone()
        if row is None:
            return None
        chat_id, user_id, text = row
        return StoredAnswer(answer_id, chat_id, user_id, answer_of_record(text))

    def vote(
        self, stored: StoredAnswer, user_id: int, helpful: bool, shown: Sequence[Hit]
    ) -> None:
        """A reader's 👍 or 👎 on the passages shown; a second vote replaces the first."""
        self._write(
            "INSERT OR REPLACE INTO feedback"
            " (answer_id, user_id, helpful, question, passages, voted_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                stored.answer_id,
                user_id,
                int(helpful),
                stored.answer.question,
                json.dumps([hit.passage_id for hit in shown]),
                self._clock(),
            ],
        )

    def count_question(self, chat_type: str, answer: Answer, seconds: float) -> None:
        """One question asked, without its text."""
        self._write(
            "INSERT INTO questions (asked_at, chat_type, answered, hits, seconds)"
            " VALUES (?, ?, ?, ?, ?)",
            [self._clock(), chat_type, int(answer.answered), len(answer.hits), seconds],
        )

    def usage(self) -> Usage:
        with self._lock:
            questions, answered = self._db.execute(
                "SELECT count(*), coalesce(sum(answered), 0) FROM questions"
            ).fetchone()
            helpful, unhelpful = self._db.execute(
                "SELECT coalesce(sum(helpful), 0), coalesce(sum(1 - helpful), 0) FROM feedback"
            ).fetchone()
        return Usage(questions, answered, helpful, unhelpful)

    def close(self) -> None:
        with self._lock:
            self._db.close()
