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
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import sqlite_utils

from index.analysis import analyze, detect_language, question_terms
from index.answer import also_published_by, declines, one_per_story, story_of
from index.engine import BM25Engine, RowDays, Segment
from index.models import Answer, ArchiveStats, DateWindow, Hit, ScoredPassage
from index.rank import CANDIDATES, Question, RankingWeights, rerank
from index.spelling import correction
from index.store import (
    archive_stats,
    deleted_rows,
    generation,
    hits_for,
    indexed_through,
    last_indexed,
    latest_leads,
    load_segment,
    open_for_reading,
    publication_days,
    segment_ids,
    story_copies,
    story_rows,
    tail_segment,
    undated_articles,
)
from index.when import WIB, dated_question, widened

DEFAULT_K = 3


class Archive:
    def __init__(
        self,
        path: Path,
        ranking: RankingWeights | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.path = path
        self._ranking = ranking or RankingWeights()
        # "kemarin" and "minggu lalu" are counted from this clock's now.
        self._clock = clock or (lambda: datetime.now(UTC))
        # The publication day of each passage row, read when a question first names a time,
        # and for the rows written since when the index generation has changed.
        self._days: tuple[int | None, RowDays, int] | None = None
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

    def ask(self, question: str, k: int = DEFAULT_K, leave_out: Sequence[str] = ()) -> Answer:
        """The ``k`` best passages for ``question`` from one copy of each story, each with its
        answering sentence, confidence and the outlets of the story's other copies; declined
        when the evidence is weak, without hits when none of its terms is known.

        A time the question names ("kemarin", "minggu lalu") searches the news published then,
        and a wider time when that holds nothing. The stories of the articles in ``leave_out``
        are searched as if never indexed (to measure how the archive answers what it does
        not hold)."""
        self._follow_writers()
        now = self._clock()
        dated = dated_question(question, now)
        language = detect_language(dated.text)
        engine = self._engine
        terms = question_terms(dated.text, language)
        if not terms and dated.window is not None:
            return self._latest(question, dated.window, k, now)
        if self._ranking.spelling:
            terms = [correction(term, engine.passages_holding) or term for term in terms]
        if leave_out:
            stories = [story for story in map(self.story_of_article, leave_out) if story]
            engine = engine.without(story_rows(self._db(), stories))
        # More than k: re-ranking reorders them, and a story's other passages fold away.
        window, scored = self._search(engine, terms, max(CANDIDATES, 4 * k), dated.window, now)
        db = self._db()
        weights = engine.term_weights(terms)
        ranked = rerank(
            hits_for(db, scored), Question.of(dated.text, terms, weights, language), self._ranking
        )
        hits = one_per_story(ranked, k)
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
            declined=declines(hits),
            window=window,
            asked_window=dated.window if window != dated.window else None,
            undated_articles=self._publication_days()[1] if window else 0,
        )

    def search(self, question: str, k: int) -> list[Hit]:
        """The ``k`` best passages for ``question`` by BM25 alone: every passage, no re-ranking,
        no story folded, no date read, no gate."""
        self._follow_writers()
        scored = self._engine.search(analyze(question, detect_language(question)), k)
        return hits_for(self._db(), scored)

    def _latest(self, question: str, window: DateWindow, k: int, now: datetime) -> Answer:
        """The newest stories published within the window ("berita hari ini" asks for them,
        nothing more), the window widened until it holds one; past the widest, the newest of
        any date."""
        db = self._db()
        searched, leads = _widening(
            window,
            now,
            lambda days: latest_leads(db, days.start, days.end, k),
            lambda: latest_leads(db, date.min, now.astimezone(WIB).date(), k),
        )
        if not leads:
            return Answer(question=question, hits=())
        return Answer(
            question=question,
            hits=tuple(hits_for(db, leads)),
            window=searched,
            asked_window=window if searched != window else None,
            undated_articles=self._publication_days()[1] if searched else 0,
        )

    def _search(
        self,
        engine: BM25Engine,
        terms: Sequence[str],
        depth: int,
        window: DateWindow | None,
        now: datetime,
    ) -> tuple[DateWindow | None, list[ScoredPassage]]:
        """The best passages published within the window, widened until one is found; past
        the widest window, from any time (``None``)."""
        if window is None:
            return None, engine.search(terms, depth)

        def within(days: DateWindow) -> list[ScoredPassage]:
            among = self._publication_days()[0].within(
                days.start.toordinal(), days.end.toordinal()
            )
            return engine.search(terms, depth, among)

        return _widening(window, now, within, lambda: engine.search(terms, depth))

    def _publication_days(self) -> tuple[RowDays, int]:
        """Each passage row's publication day, and how many articles have none."""
        served = self._generation
        if self._days is None or self._days[0] != served:
            # Rows are never reused and a passage's day never changes: only rows written since
            # are read (a replaced article's new passages come as new rows).
            before = self._days[1] if self._days else None
            after = before.last_row if before else 0
            db = self._db()
            days = RowDays(*publication_days(db, after), before)
            self._days = (served, days, undated_articles(db))
        return self._days[1], self._days[2]

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

    def last_indexed(self) -> datetime | None:
        """When the last indexing run finished (one row read, unlike ``stats``)."""
        stamp = last_indexed(self._db())
        return datetime.fromisoformat(stamp) if stamp else None


def _widening(
    window: DateWindow,
    now: datetime,
    find: Callable[[DateWindow], list[ScoredPassage]],
    anytime: Callable[[], list[ScoredPassage]],
) -> tuple[DateWindow | None, list[ScoredPassage]]:
    """What ``find`` finds in the window, widened until it finds something, and the window it
    was found in; past the widest window, what ``anytime`` finds (window ``None``)."""
    searched: DateWindow | None = window
    while searched is not None:
        if found := find(searched):
            return searched, found
        searched = widened(searched, now)
    return None, anytime()


def stats_of(path: Path) -> ArchiveStats:
    """What the archive at ``path`` holds, without building its search index."""
    db = open_for_reading(path)
    try:
        return archive_stats(db)
    finally:
        db.close()
