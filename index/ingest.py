"""Sources -> cleaned, split, analysed articles written to the archive.

New and changed articles are written, unchanged ones skipped; an id that another source already
holds is a conflict, reported, never overwritten.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from index.engine import Segment
from index.models import Failure, IndexReport, Notice, RawArticle, ReadItem, StoredArticle
from index.prepare import PreparedBatch, prepare
from index.sources import ReadOptions, is_url, read_file, read_url, source_files
from index.store import (
    ArticleState,
    article_states,
    clear_articles,
    delete_articles,
    index_new_passages,
    mark_indexed,
    open_for_writing,
    write_articles,
    writer_lock,
)
from index.workers import DEFAULT_WORKERS, Workers

# Part of every content hash: bump it when cleaning, splitting or analysis changes, so the
# next run rewrites articles stored the old way.
PIPELINE_VERSION = "11"
# Articles per piece of work for a worker process, and per write transaction.
_BATCH = 200
# Batches handed to the workers ahead of the one being written, so the cores stay busy while
# the main process writes.
_AHEAD = 3
_PROGRESS_EVERY = 100
# Passages a long run writes before it stores them as a segment of the search index, so a
# killed run leaves few passages for the archive to index when it opens.
_SEGMENT_PASSAGES = 100_000


@dataclass(frozen=True)
class IndexProgress:
    files_done: int
    files_total: int
    articles_read: int


Progress = Callable[[IndexProgress], None]


def content_hash(raw: RawArticle) -> str:
    if raw.listing is not None:
        return hashlib.sha256(repr((PIPELINE_VERSION, raw.listing)).encode()).hexdigest()
    fields = (PIPELINE_VERSION, raw.title, raw.outlet, raw.url, raw.published, raw.reporter)
    # The body last and as it is: its repr would cost more than the hash.
    digest = hashlib.sha256(repr(fields).encode())
    digest.update(raw.body.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


@dataclass
class _Run:
    """What one indexing run has done so far."""

    db: sqlite_utils.Database
    indexed_at: str
    known: dict[str, ArticleState]
    pool: Workers
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[Failure] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    # Article id -> (origin, content hash) of its first record in this run.
    seen: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Records to prepare, each with its content hash.
    pending: list[tuple[RawArticle, str]] = field(default_factory=list)
    # Batches handed to the workers, oldest first: written in the order they were read, so the
    # first copy of a story read is the one that names it.
    in_flight: deque[Future[PreparedBatch]] = field(default_factory=deque)
    # Segments of the passages written since the search index last stored one.
    unindexed: list[Segment] = field(default_factory=list)

    def take(self, item: ReadItem) -> None:
        if isinstance(item, Failure):
            self.failures.append(item)
        elif isinstance(item, Notice):
            self.notices.append(item)
        else:
            self._take_article(item)

    def _take_article(self, raw: RawArticle) -> None:
        digest = content_hash(raw)
        state = self.known.get(raw.article_id)
        earlier = self.seen.get(raw.article_id)
        if earlier is not None:
            # The same record again (one entry in two of an outlet's feeds) is already taken
            # care of; a different one claiming the id is a conflict.
            if earlier[1] != digest:
                self.failures.append(
                    Failure(
                        raw.origin,
                        f"id {raw.article_id!r} appears twice in this run (first in"
                        f" {earlier[0]}); give each article its own id",
                    )
                )
            return
        self.seen[raw.article_id] = (raw.origin, digest)
        conflict = _conflict(raw, digest, state)
        if conflict:
            self.failures.append(Failure(raw.origin, conflict))
        elif state is not None and state.content_hash == digest:
            self.unchanged += 1
        else:
            self.pending.append((raw, digest))
            if len(self.pending) >= _BATCH:
                self._submit()

    def _submit(self) -> None:
        """Hand the pending records to a worker; write the oldest batches beyond ``_AHEAD``."""
        if self.pending:
            self.in_flight.append(self.pool.submit(prepare, self.pending))
            self.pending = []
        while len(self.in_flight) > _AHEAD:
            self._write_oldest()

    def finish(self) -> None:
        """Prepare and write every record taken so far."""
        self._submit()
        while self.in_flight:
            self._write_oldest()

    def _write_oldest(self) -> None:
        prepared = self.in_flight.popleft().result()
        batch: list[StoredArticle] = []
        for stored in prepared.articles:
            article = stored.article
            if not stored.passages:
                self.failures.append(
                    Failure(article.origin, f"article {article.article_id} has no text")
                )
                continue
            if article.article_id in self.known:
                self.updated += 1
            else:
                self.added += 1
            batch.append(stored)
        first_row = write_articles(self.db, batch, self.indexed_at)
        self.unindexed.append(prepared.segment.shifted(first_row))
        if sum(len(segment) for segment in self.unindexed) >= _SEGMENT_PASSAGES:
            self.index_written()

    def index_written(self) -> None:
        """Store the passages written so far as a segment of the search index."""
        index_new_passages(self.db, self.unindexed)
        self.unindexed.clear()

    def already_have(self, raw: RawArticle) -> bool:
        """Whether this record is stored as it is (a feed entry whose listing is unchanged)."""
        state = self.known.get(raw.article_id)
        return state is not None and state.content_hash == content_hash(raw)

    @property
    def changed(self) -> bool:
        return self.added + self.updated > 0

    def report(self, removed: int) -> IndexReport:
        return IndexReport(
            added=self.added,
            updated=self.updated,
            unchanged=self.unchanged,
            removed=removed,
            failures=tuple(self.failures),
            notices=tuple(self.notices),
        )


def index_sources(
    db_path: Path,
    sources: Iterable[Path | str],
    progress: Progress | None = None,
    options: ReadOptions | None = None,
    *,
    prune: bool = False,
    rebuild: bool = False,
    workers: int = DEFAULT_WORKERS,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> IndexReport:
    """Read every source into the archive at ``db_path``, reporting progress as files are read.

    A source is a file, a folder, or (a ``str`` starting with http:// or https://) a feed's URL.

    One writer at a time: a second run raises ``WriterBusyError`` instead of waiting. Articles
    are written in batches, each in one transaction, so a run killed at any moment leaves every
    article either as it was or fully replaced; running again completes the job.
    """
    with writer_lock(db_path):
        db = open_for_writing(db_path)
        try:
            if rebuild:
                clear_articles(db)
            with Workers(workers) as pool:
                run = _Run(
                    db=db,
                    indexed_at=now().isoformat(timespec="seconds"),
                    known=article_states(db),
                    pool=pool,
                )
                origins = _Origins()
                for item in _read_with_progress(
                    list(sources), progress, options or ReadOptions(), origins, run.already_have
                ):
                    run.take(item)
                run.finish()
            removed = _prune(db, run, origins) if prune else 0
            run.index_written()
            mark_indexed(db, run.indexed_at, PIPELINE_VERSION, changed=run.changed or removed > 0)
        finally:
            db.close()
    return run.report(removed)


@dataclass
class _Origins:
    """The files a run read, and those it could not read whole."""

    read: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)

    def read_whole(self, origin: str) -> bool:
        return origin in self.read and origin not in self.broken


def _prune(db: sqlite_utils.Database, run: _Run, origins: _Origins) -> int:
    """Remove articles whose file is gone, or that a file read whole in this run no longer has.

    A feed's articles (their origin is its URL) are never pruned: see ``_read_with_progress``.
    """
    gone = [
        article_id
        for article_id, state in run.known.items()
        if not (is_url(state.origin) or Path(state.origin).exists())
        or (origins.read_whole(state.origin) and article_id not in run.seen)
    ]
    delete_articles(db, gone)
    return len(gone)


def _read_with_progress(
    sources: list[Path | str],
    progress: Progress | None,
    options: ReadOptions,
    origins: _Origins,
    already_have: Callable[[RawArticle], bool],
) -> Iterator[ReadItem]:
    # Files as (file, the folder its id is relative to); feeds as their URL.
    files: list[tuple[Path, Path] | str] = []
    for source in sources:
        if isinstance(source, str) and is_url(source):
            files.append(source)
        elif Path(source).exists():
            files.extend(source_files(Path(source)))
        else:
            yield Failure(str(source), "no such file or folder")
    articles_read = 0
    for done, read in enumerate(files, start=1):
        if isinstance(read, str):
            # Not recorded as read whole: a feed lists only its newest entries, so an entry it
            # no longer lists has aged out of the feed, not gone from the outlet.
            origin, items = read, read_url(read, options, already_have=already_have)
        else:
            path, root = read
            origin, items = str(path.resolve()), read_file(path, root, options)
            origins.read.add(origin)
        for item in items:
            if isinstance(item, Failure):
                origins.broken.add(origin)
            if isinstance(item, RawArticle):
                articles_read += 1
                # One JSONL file can hold thousands of articles: report inside it too.
                if progress is not None and articles_read % _PROGRESS_EVERY == 0:
                    progress(IndexProgress(done - 1, len(files), articles_read))
            yield item
        if progress is not None:
            progress(IndexProgress(done, len(files), articles_read))


def _conflict(raw: RawArticle, digest: str, state: ArticleState | None) -> str | None:
    """Why this record may not take the id of the stored article, or ``None`` when it may."""
    if state is not None and state.origin != raw.origin and state.content_hash != digest:
        return (
            f"id {raw.article_id!r} already belongs to an article from {state.origin};"
            " give this one another id"
        )
    return None
