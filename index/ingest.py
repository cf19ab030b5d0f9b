"""Sources -> cleaned, split, analysed articles written to the archive.

New and changed articles are written, unchanged ones skipped; an id that another source already
holds is a conflict, reported, never overwritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from index.analysis import analyze
from index.clean import clean_article
from index.models import Failure, IndexReport, Notice, RawArticle, ReadItem
from index.sources import ReadOptions, read_file, source_files
from index.split import split_passages
from index.store import (
    ArticleState,
    StoredArticle,
    article_states,
    mark_indexed,
    open_for_writing,
    write_articles,
)

# Part of every content hash: bump it when cleaning, splitting or analysis changes, so the
# next run rewrites articles stored the old way.
PIPELINE_VERSION = "2"
_BATCH = 200
_PROGRESS_EVERY = 100


@dataclass(frozen=True)
class IndexProgress:
    files_done: int
    files_total: int
    articles_read: int


Progress = Callable[[IndexProgress], None]


def content_hash(raw: RawArticle) -> str:
    fields = (
        PIPELINE_VERSION,
        raw.body,
        raw.title,
        raw.outlet,
        raw.url,
        raw.published,
        raw.reporter,
    )
    return hashlib.sha256(repr(fields).encode()).hexdigest()


def prepare(raw: RawArticle) -> StoredArticle:
    """Clean, split and analyse one article (pure)."""
    article = clean_article(raw)
    passages = split_passages(article.article_id, article.paragraphs)
    title_terms = analyze(article.title, article.language) if article.title else []
    return StoredArticle(
        article=article,
        content_hash=content_hash(raw),
        passages=tuple(passages),
        # The title's terms belong to every passage: a headline word is evidence for each part.
        terms=tuple(
            (*title_terms, *analyze(passage.text, article.language)) for passage in passages
        ),
    )


def index_sources(
    db_path: Path,
    sources: Iterable[Path],
    progress: Progress | None = None,
    options: ReadOptions | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> IndexReport:
    """Read every source into the archive at ``db_path``, reporting progress after each file."""
    db = open_for_writing(db_path)
    try:
        indexed_at = now().isoformat(timespec="seconds")
        known = article_states(db)
        seen: dict[str, str] = {}
        added = updated = unchanged = 0
        failures: list[Failure] = []
        notices: list[Notice] = []
        batch: list[StoredArticle] = []
        for item in _read_with_progress(list(sources), progress, options or ReadOptions()):
            if isinstance(item, Failure):
                failures.append(item)
                continue
            if isinstance(item, Notice):
                notices.append(item)
                continue
            digest = content_hash(item)
            state = known.get(item.article_id)
            conflict = _conflict(item, digest, seen, state)
            seen.setdefault(item.article_id, item.origin)
            if conflict:
                failures.append(Failure(item.origin, conflict))
                continue
            if state is not None and state.content_hash == digest:
                unchanged += 1
                continue
            stored = prepare(item)
            if not stored.passages:
                failures.append(Failure(item.origin, f"article {item.article_id} has no text"))
                continue
            added, updated = (added + 1, updated) if state is None else (added, updated + 1)
            batch.append(stored)
            if len(batch) >= _BATCH:
                write_articles(db, batch, indexed_at)
                batch.clear()
        write_articles(db, batch, indexed_at)
        mark_indexed(db, indexed_at)
    finally:
        db.close()
    return IndexReport(
        added=added,
        updated=updated,
        unchanged=unchanged,
        failures=tuple(failures),
        notices=tuple(notices),
    )


def _read_with_progress(
    sources: list[Path], progress: Progress | None, options: ReadOptions
) -> Iterator[ReadItem]:
    files: list[tuple[Path, Path]] = []
    for source in sources:
        if source.exists():
            files.extend(source_files(source))
        else:
            yield Failure(str(source), "no such file or folder")
    articles_read = 0
    for done, (path, root) in enumerate(files, start=1):
        for item in read_file(path, root, options):
            if isinstance(item, RawArticle):
                articles_read += 1
                # One JSONL file can hold thousands of articles: report inside it too.
                if progress is not None and articles_read % _PROGRESS_EVERY == 0:
                    progress(IndexProgress(done - 1, len(files), articles_read))
            yield item
        if progress is not None:
            progress(IndexProgress(done, len(files), articles_read))


def _conflict(
    raw: RawArticle, digest: str, seen: dict[str, str], state: ArticleState | None
) -> str | None:
    """Why this record may not take its id, or ``None`` when it may."""
    if raw.article_id in seen:
        return (
            f"id {raw.article_id!r} appears twice in this run (first in {seen[raw.article_id]});"
            " give each article its own id"
        )
    if state is not None and state.origin != raw.origin and state.content_hash != digest:
        return (
            f"id {raw.article_id!r} already belongs to an article from {state.origin};"
            " give this one another id"
        )
    return None
