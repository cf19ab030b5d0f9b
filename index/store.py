"""SQLite through sqlite-utils: the source of truth for articles and passages.

Every write replaces whole articles inside one transaction, so a reader never sees half of one.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from index.errors import (
    ArchiveOutdatedError,
    DatabaseMissingError,
    DatabaseWriteError,
    WriterBusyError,
)
from index.models import ArchiveStats, Article, Hit, Passage, ScoredPassage
from index.schema import MIGRATIONS, migrate, schema_version
from index.stories import Signature, band_keys, best_match, decode, encode, part_number

_LAST_INDEXED = "last_indexed"
_GENERATION = "generation"
_PIPELINE = "pipeline_version"


@dataclass(frozen=True)
class StoredArticle:
    """An article ready to write: its passages and each passage's index terms."""

    article: Article
    content_hash: str
    passages: tuple[Passage, ...]
    terms: tuple[tuple[str, ...], ...]
    signature: Signature = ()


@dataclass(frozen=True)
class ArticleState:
    origin: str
    content_hash: str


def open_for_writing(path: Path) -> sqlite_utils.Database:
    """Open or create the archive, schema up to date, WAL so readers go on during writes."""
    try:
        db = sqlite_utils.Database(path)
        db.enable_wal()
        # In WAL mode this syncs at checkpoints, not at every commit: a crash of the process
        # loses nothing, a power cut at worst the last batches, and the file stays consistent.
        db.execute("PRAGMA synchronous = NORMAL")
        migrate(db)
    except sqlite3.Error as error:
        raise DatabaseWriteError(str(path), str(error)) from None
    return db


def open_for_reading(path: Path) -> sqlite_utils.Database:
    """Open an existing archive read-only; ``DatabaseMissingError`` says how to create it."""
    if not path.is_file():
        raise DatabaseMissingError(str(path), "no such file")
    try:
        connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
        db = sqlite_utils.Database(connection)
        version = schema_version(db)
        db.execute("SELECT count(*) FROM passages").fetchone()
    except sqlite3.DatabaseError as error:
        raise DatabaseMissingError(str(path), f"not a newsbot archive: {error}") from None
    if version < len(MIGRATIONS):
        raise ArchiveOutdatedError(str(path))
    if version > len(MIGRATIONS):
        raise DatabaseMissingError(
            str(path), f"written by a newer newsbot (schema {version}); upgrade newsbot"
        )
    return db


def article_states(db: sqlite_utils.Database) -> dict[str, ArticleState]:
    return {
        article_id: ArticleState(origin, content_hash)
        for article_id, origin, content_hash in db.execute(
            "SELECT id, origin, content_hash FROM articles"
        )
    }


_ARTICLE_COLUMNS = (
    "id",
    "origin",
    "content_hash",
    "title",
    "outlet",
    "url",
    "published",
    "published_estimated",
    "city",
    "reporter",
    "editor",
    "translator",
    "copyright_year",
    "language",
    "indexed_at",
    "story_id",
)
# Plain SQL for the bulk of a write: sqlite-utils' insert_all inspects every value of every row,
# a third of the indexer's own time on a large run.
_UPSERT_ARTICLE = (
    f"INSERT INTO articles ({', '.join(_ARTICLE_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(_ARTICLE_COLUMNS))}) ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in _ARTICLE_COLUMNS[1:])
)
_INSERT_PASSAGE = (
    "INSERT INTO passages (passage_id, article_id, ordinal, text, terms) VALUES (?, ?, ?, ?, ?)"
)


def write_articles(
    db: sqlite_utils.Database,
    items: Sequence[StoredArticle],
    indexed_at: str,
) -> None:
    """Replace these articles and their passages in one transaction."""
    ids = [(item.article.article_id,) for item in items]
    with db.atomic():
        db.conn.executemany("DELETE FROM passages WHERE article_id = ?", ids)
        story_ids = assign_stories(db, items)
        db.conn.executemany(
            _UPSERT_ARTICLE,
            (
                (
                    article.article_id,
                    article.origin,
                    item.content_hash,
                    article.title,
                    article.outlet,
                    article.url,
                    article.published,
                    int(article.published_estimated),
                    article.city,
                    article.reporter,
                    article.editor,
                    article.translator,
                    article.copyright_year,
                    article.language,
                    indexed_at,
                    story_id,
                )
                for item, story_id in zip(items, story_ids, strict=True)
                for article in (item.article,)
            ),
        )
        db.conn.executemany(
            _INSERT_PASSAGE,
            (
                (
                    passage.passage_id,
                    passage.article_id,
                    passage.ordinal,
                    passage.text,
                    " ".join(terms),
                )
                for item in items
                for passage, terms in zip(item.passages, item.terms, strict=True)
            ),
        )


@dataclass(frozen=True)
class _StoryCandidate:
    article_id: str
    signature: Signature
    story_id: str
    part: str | None


def assign_stories(db: sqlite_utils.Database, items: Sequence[StoredArticle]) -> list[str]:
    """The story of each article, in order: that of the most similar article stored before it
    (in the archive or earlier in ``items``), or a new one named after it. Call inside the
    write's transaction."""
    _forget_stories(db, [item.article.article_id for item in items])
    keys = [band_keys(item.signature) for item in items]
    by_band = _stored_candidates(db, {key for article_keys in keys for key in article_keys})
    story_ids: list[str] = []
    signature_rows: list[tuple[str, str, str, str | None]] = []
    band_rows: list[tuple[int, str]] = []
    for item, article_keys in zip(items, keys, strict=True):
        article_id = item.article.article_id
        if not article_keys:
            story_ids.append(article_id)
            continue
        part = part_number(item.article.title)
        candidates = {
            candidate.article_id: candidate
            for key in article_keys
            for candidate in by_band.get(key, ())
        }
        match = best_match(
            item.signature,
            part,
            [(c.article_id, c.signature, c.part) for c in candidates.values()],
        )
        story_id = candidates[match].story_id if match is not None else article_id
        story_ids.append(story_id)
        signature_rows.append((article_id, encode(item.signature), story_id, part))
        band_rows.extend((key, article_id) for key in article_keys)
        written = _StoryCandidate(article_id, item.signature, story_id, part)
        for key in article_keys:
            by_band.setdefault(key, []).append(written)
    db.conn.executemany(
        "INSERT INTO signatures (article_id, signature, story_id, part) VALUES (?, ?, ?, ?)",
        signature_rows,
    )
    db.conn.executemany("INSERT INTO story_bands (band, article_id) VALUES (?, ?)", band_rows)
    return story_ids


# Keys per query, well under SQLite's limit on bound parameters.
_KEYS_PER_QUERY = 500


def _stored_candidates(
    db: sqlite_utils.Database, keys: set[int]
) -> dict[int, list[_StoryCandidate]]:
    """The stored articles sharing each of these band keys."""
    by_band: dict[int, list[_StoryCandidate]] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), _KEYS_PER_QUERY):
        chunk = ordered[start : start + _KEYS_PER_QUERY]
        rows = db.execute(
            "SELECT b.band, s.article_id, s.signature, s.story_id, s.part FROM story_bands b"
            " JOIN signatures s ON s.article_id = b.article_id"
            f" WHERE b.band IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        for band, article_id, sig, story_id, part in rows:
            by_band.setdefault(band, []).append(
                _StoryCandidate(article_id, decode(sig), story_id, part)
            )
    return by_band


def _forget_stories(db: sqlite_utils.Database, article_ids: Sequence[str]) -> None:
    rows = [(article_id,) for article_id in article_ids]
    db.conn.executemany("DELETE FROM story_bands WHERE article_id = ?", rows)
    db.conn.executemany("DELETE FROM signatures WHERE article_id = ?", rows)


@contextlib.contextmanager
def writer_lock(path: Path) -> Iterator[None]:
    """Hold the archive's one writer slot; ``WriterBusyError`` when another process holds it.

    An OS file lock: it is released when its process ends, even by SIGKILL.
    """
    lock_path = path.with_name(path.name + ".lock")
    try:
        handle = lock_path.open("a")
    except OSError as error:
        raise DatabaseWriteError(
            str(path), f"cannot create {lock_path}: {error.strerror}"
        ) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WriterBusyError(str(path)) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def delete_articles(db: sqlite_utils.Database, article_ids: Sequence[str]) -> None:
    rows = [(article_id,) for article_id in article_ids]
    with db.atomic():
        _forget_stories(db, article_ids)
        db.conn.executemany("DELETE FROM passages WHERE article_id = ?", rows)
        db.conn.executemany("DELETE FROM articles WHERE id = ?", rows)


def clear_articles(db: sqlite_utils.Database) -> None:
    """Every article and passage gone; other tables (users' data) are kept."""
    with db.atomic():
        for table in ("story_bands", "signatures", "passages", "articles"):
            db.execute(f"DELETE FROM {table}")


def mark_indexed(
    db: sqlite_utils.Database, indexed_at: str, pipeline: str, *, changed: bool
) -> None:
    """Record the finished run and the pipeline version that wrote it. When it changed any
    passage, a new generation number tells running bots to reload."""
    values = {_LAST_INDEXED: indexed_at, _PIPELINE: pipeline}
    if changed:
        values[_GENERATION] = str(generation(db) + 1)
    with db.atomic():
        db.table("meta").upsert_all(
            ({"key": key, "value": value} for key, value in values.items()), pk="key"
        )


def last_indexed(db: sqlite_utils.Database) -> str | None:
    """When the last indexing run finished."""
    return _meta(db, _LAST_INDEXED)


def pipeline_version(db: sqlite_utils.Database) -> str | None:
    """The version of cleaning and analysis that wrote the last indexing run."""
    return _meta(db, _PIPELINE)


def generation(db: sqlite_utils.Database) -> int:
    """How many indexing runs have changed the passages; a new value means reload."""
    return int(_meta(db, _GENERATION) or 0)


def _meta(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def passage_terms(db: sqlite_utils.Database) -> Iterator[tuple[int, list[str]]]:
    """Every passage's row id and index terms, in row id order."""
    for row_id, terms in db.execute("SELECT row_id, terms FROM passages ORDER BY row_id"):
        yield row_id, terms.split()


def hits_for(db: sqlite_utils.Database, scored: Iterable[ScoredPassage]) -> list[Hit]:
    """Hits in the order given; a passage replaced since the engine was built is left out."""
    scored = list(scored)
    if not scored:
        return []
    placeholders = ",".join("?" * len(scored))
    rows = {
        row[0]: row
        for row in db.execute(
            "SELECT p.row_id, p.passage_id, p.text, a.id, a.title, a.outlet, a.url, a.published,"
            " a.city, a.reporter, a.copyright_year, a.published_estimated, a.story_id"
            " FROM passages p JOIN articles a ON a.id = p.article_id"
            f" WHERE p.row_id IN ({placeholders})",
            [item.row_id for item in scored],
        )
    }
    hits: list[Hit] = []
    for item in scored:
        row = rows.get(item.row_id)
        if row is None:
            continue
        hits.append(
            Hit(
                rank=len(hits) + 1,
                score=item.score,
                passage_id=row[1],
                text=row[2],
                article_id=row[3],
                title=row[4],
                outlet=row[5],
                url=row[6],
                published=row[7],
                city=row[8],
                reporter=row[9],
                copyright_year=row[10],
                published_estimated=bool(row[11]),
                story_id=row[12],
            )
        )
    return hits


def archive_stats(db: sqlite_utils.Database) -> ArchiveStats:
    articles, first, last = db.execute(
        "SELECT count(*), min(published), max(published) FROM articles"
    ).fetchone()
    passages = db.execute("SELECT count(*) FROM passages").fetchone()[0]
    stories = db.execute("SELECT count(DISTINCT story_id) FROM articles").fetchone()[0]
    outlets = tuple(
        (outlet, count)
        for outlet, count in db.execute(
            "SELECT coalesce(outlet, '?'), count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC, 1"
        )
    )
    return ArchiveStats(
        articles=articles,
        passages=passages,
        stories=stories,
        outlets=outlets,
        first_published=first,
        last_published=last,
        last_indexed=last_indexed(db),
        pipeline_version=pipeline_version(db),
    )
