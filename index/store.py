"""SQLite through sqlite-utils: the source of truth for articles and passages.

Every write replaces whole articles inside one transaction, so a reader never sees half of one.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
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


def known_stems(db: sqlite_utils.Database) -> dict[str, str]:
    """Every stem computed so far, so no run stems the same word twice."""
    return dict(db.execute("SELECT word, stem FROM stems").fetchall())


def article_states(db: sqlite_utils.Database) -> dict[str, ArticleState]:
    return {
        article_id: ArticleState(origin, content_hash)
        for article_id, origin, content_hash in db.execute(
            "SELECT id, origin, content_hash FROM articles"
        )
    }


def write_articles(
    db: sqlite_utils.Database,
    items: Sequence[StoredArticle],
    indexed_at: str,
    new_stems: Mapping[str, str] | None = None,
) -> None:
    """Replace these articles and their passages in one transaction, with the stems learnt."""
    with db.atomic():
        if new_stems:
            # Plain SQL: sqlite-utils looks a single inserted row up by rowid, which a WITHOUT
            # ROWID table does not have.
            db.conn.executemany(
                "INSERT OR REPLACE INTO stems (word, stem) VALUES (?, ?)", new_stems.items()
            )
        # Whole batches per statement: sqlite-utils looks the table up on every call.
        db.conn.executemany(
            "DELETE FROM passages WHERE article_id = ?",
            [(item.article.article_id,) for item in items],
        )
        story_ids = [
            assign_story(db, item.article.article_id, item.signature, item.article.title)
            for item in items
        ]
        db.table("articles").upsert_all(
            (
                {
                    "id": item.article.article_id,
                    "origin": item.article.origin,
                    "content_hash": item.content_hash,
                    "title": item.article.title,
                    "outlet": item.article.outlet,
                    "url": item.article.url,
                    "published": item.article.published,
                    "published_estimated": int(item.article.published_estimated),
                    "city": item.article.city,
                    "reporter": item.article.reporter,
                    "editor": item.article.editor,
                    "translator": item.article.translator,
                    "copyright_year": item.article.copyright_year,
                    "language": item.article.language,
                    "indexed_at": indexed_at,
                    "story_id": story_id,
                }
                for item, story_id in zip(items, story_ids, strict=True)
            ),
            pk="id",
        )
        db.table("passages").insert_all(
            {
                "passage_id": passage.passage_id,
                "article_id": passage.article_id,
                "ordinal": passage.ordinal,
                "text": passage.text,
                "terms": " ".join(terms),
            }
            for item in items
            for passage, terms in zip(item.passages, item.terms, strict=True)
        )


def assign_story(
    db: sqlite_utils.Database, article_id: str, signature: Signature, title: str | None
) -> str:
    """The story this article belongs to: that of the most similar article already stored, or
    a new one named after it. Call inside the write's transaction."""
    _forget_story(db, article_id)
    part = part_number(title)
    keys = band_keys(signature)
    if not keys:
        return article_id
    placeholders = ",".join("?" * len(keys))
    candidates = db.execute(
        "SELECT DISTINCT s.article_id, s.signature, s.story_id, s.part FROM story_bands b"
        f" JOIN signatures s ON s.article_id = b.article_id WHERE b.band IN ({placeholders})",
        keys,
    ).fetchall()
    stories = {candidate: story for candidate, _, story, _ in candidates}
    match = best_match(
        signature,
        part,
        [(candidate, decode(sig), other_part) for candidate, sig, _, other_part in candidates],
    )
    story_id = stories[match] if match is not None else article_id
    db.execute(
        "INSERT INTO signatures (article_id, signature, story_id, part) VALUES (?, ?, ?, ?)",
        [article_id, encode(signature), story_id, part],
    )
    db.conn.executemany(
        "INSERT INTO story_bands (band, article_id) VALUES (?, ?)",
        [(key, article_id) for key in keys],
    )
    return story_id


def _forget_story(db: sqlite_utils.Database, article_id: str) -> None:
    db.execute("DELETE FROM story_bands WHERE article_id = ?", [article_id])
    db.execute("DELETE FROM signatures WHERE article_id = ?", [article_id])


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
    with db.atomic():
        for article_id in article_ids:
            _forget_story(db, article_id)
            db.execute("DELETE FROM passages WHERE article_id = ?", [article_id])
            db.execute("DELETE FROM articles WHERE id = ?", [article_id])


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
