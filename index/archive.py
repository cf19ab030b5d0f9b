"""The archive as a service: answer questions and report what it holds.

One ``Archive`` serves many threads (the bot calls it through ``asyncio.to_thread``): each
thread gets its own read-only SQLite connection. The search engine is put together from the
stored segments (each read once, then kept), the rows deleted since, and the passages no
segment holds yet, all read in one read transaction; ``reload`` swaps in a new engine whole, so
a search sees either the old state or the new one, never a mix.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import sqlite_utils

from index.analysis import analyze, detect_language
from index.answer import also_published_by, fold_copies, story_of
from index.engine import BM25Engine, Segment
from index.models import Answer, ArchiveStats
from index.store import (
    archive_stats,
    deleted_rows,
    generation,
    hits_for,
    indexed_through,
    load_segment,
    open_for_reading,
    segment_ids,
    story_copies,
    tail_segment,
)

DEFAULT_K = 3
# Passages searched per hit shown, so that k stories remain after copies fold together.
_PASSAGES_PER_HIT = 4


class Archive:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._reloading = threading.Lock()
        self._generation: int | None = None
        self._segments: dict[int, Segment] = {}
        self._engine = BM25Engine([])
        self.reload()

    def _db(self) -> sqlite_utils.Database:
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            db = open_for_reading(self.path)
            self._local.db = db
        return db

    def reload(self) -> None:
        """Catch up with the database: when an indexing run has changed it since the index was
        built, rebuild the index and swap it in; otherwise do nothing."""
        with self._reloading:
            self._catch_up()

    def _catch_up(self) -> None:
        db = open_for_reading(self.path)
        try:
            # One read transaction: segments, deletions and the tail of one committed state.
            db.execute("BEGIN")
            current = generation(db)
            if current == self._generation:
                return
            segments = {
                segment_id: self._segments.get(segment_id) or load_segment(db, segment_id)
                for segment_id in segment_ids(db)
            }
            tail = tail_segment(db, indexed_through(db))
            deleted = deleted_rows(db)
        finally:
            db.close()
        self._engine = BM25Engine([*segments.values(), tail], deleted)
        self._segments = segments
        self._generation = current

    def _follow_writers(self) -> None:
        """Start a reload in the background when another process has finished indexing.

        Searches go on with the current index meanwhile; only one reload runs at a time.
        """
        if generation(self._db()) == self._generation or self._reloading.locked():
            return
        threading.Thread(target=self._reload_if_idle, name="archive-reload", daemon=True).start()

    def _reload_if_idle(self) -> None:
        if self._reloading.acquire(blocking=False):
            try:
                self._catch_up()
            finally:
                self._reloading.release()

    def ask(self, question: str, k: int = DEFAULT_K) -> Answer:
        """The ``k`` best passages for ``question`` from one copy of each story, each with its
        answering sentence and the outlets of the story's other copies; no hits when none of
        its terms is known."""
        self._follow_writers()
        language = detect_language(question)
        terms = analyze(question, language)
        engine = self._engine
        # More than k: passages of a story's other copies fold away.
        scored = engine.search(terms, k * _PASSAGES_PER_HIT)
        db = self._db()
        hits = fold_copies(hits_for(db, scored), engine.term_weights(terms), language, k)
        copies = story_copies(db, [story_of(hit) for hit in hits])
        return Answer(
            question=question,
            hits=tuple(
                dataclasses.replace(
                    hit, also_published_by=also_published_by(hit, copies.get(story_of(hit), []))
                )
                for hit in hits
            ),
            terms=tuple(dict.fromkeys(terms)),
        )

    def story_of_article(self, article_id: str) -> str | None:
        """The story the article belongs to; ``None`` when the archive lacks the article."""
        row = (
            self._db()
            .execute("SELECT coalesce(story_id, id) FROM articles WHERE id = ?", [article_id])
            .fetchone()
        )
        return str(row[0]) if row else None

    def stats(self) -> ArchiveStats:
        return archive_stats(self._db())


def stats_of(path: Path) -> ArchiveStats:
    """What the archive at ``path`` holds, without building its search index."""
    db = open_for_reading(path)
    try:
        return archive_stats(db)
    finally:
        db.close()
