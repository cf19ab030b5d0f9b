"""SQLite through sqlite-utils: the source of truth for articles and passages.

Every write replaces whole articles inside one transaction, so a reader never sees half of one.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import sqlite_utils

from index.engine import Segment, SegmentBuilder
from index.errors import (
    ArchiveOutdatedError,
    DatabaseMissingError,
    DatabaseWriteError,
    WriterBusyError,
)
from index.models import ArchiveStats, Hit, ScoredPassage, StoredArticle
from index.schema import MIGRATIONS, migrate, schema_version, write_transaction
from index.stories import Signature, band_keys, best_match, decode, encode, part_number

_LAST_INDEXED = "last_indexed"
_GENERATION = "generation"
_PIPELINE = "pipeline_version"
_INDEXED_THROUGH = "indexed_through"


@dataclass(frozen=True)
class ArticleState:
    origin: str
    content_hash: str


def open_for_writing(path: Path, any_thread: bool = False) -> sqlite_utils.Database:
    """Open or create the archive, schema up to date, WAL so readers go on during writes;
    ``any_thread`` for a connection its owner guards with a lock and uses from many threads."""
    try:
        db = sqlite_utils.Database(sqlite3.connect(path, check_same_thread=not any_thread))
        db.enable_wal()
        # In WAL mode this syncs at checkpoints, not at every commit: a crash of the process
        # loses nothing, a power cut at worst the last batches, and the file stays consistent.
        db.execute("PRAGMA synchronous = NORMAL")
        # Copy the log into the database every 40 MB rather than 4 MB: fewer, larger copies.
        db.execute("PRAGMA wal_autocheckpoint = 10000")
        # 64 MB of page cache: story bands and passage ids land on random pages of their indexes.
        db.execute("PRAGMA cache_size = -65536")
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
    "INSERT INTO passages (row_id, passage_id, article_id, ordinal, text, terms)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


def write_articles(
    db: sqlite_utils.Database,
    items: Sequence[StoredArticle],
    indexed_at: str,
) -> int:
    """Replace these articles and their passages in one transaction; the row id of the first
    passage written, the others following in order."""
    ids = [(item.article.article_id,) for item in items]
    with write_transaction(db):
        _delete_passages(db, ids)
        first_row = _next_row_id(db)
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
                    row_id,
                    passage.passage_id,
                    passage.article_id,
                    passage.ordinal,
                    passage.text,
                    terms,
                )
                for row_id, (passage, terms) in enumerate(
                    (
                        pair
                        for item in items
                        for pair in zip(item.passages, item.terms, strict=True)
                    ),
                    start=first_row,
                )
            ),
        )
    return first_row


def _next_row_id(db: sqlite_utils.Database) -> int:
    """One more than any passage row id ever used (AUTOINCREMENT's own choice)."""
    row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'passages'").fetchone()
    return (int(row[0]) if row else 0) + 1


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
    with write_transaction(db):
        _forget_stories(db, article_ids)
        _delete_passages(db, rows)
        db.conn.executemany("DELETE FROM articles WHERE id = ?", rows)


def _delete_passages(db: sqlite_utils.Database, article_ids: Sequence[tuple[str]]) -> None:
    """Delete these articles' passages, listing those a stored segment holds as deleted."""
    through = indexed_through(db)
    db.conn.executemany(
        "INSERT OR IGNORE INTO deleted_rows (row_id) SELECT row_id FROM passages"
        " WHERE article_id = ? AND row_id <= ?",
        [(article_id, through) for (article_id,) in article_ids],
    )
    db.conn.executemany("DELETE FROM passages WHERE article_id = ?", article_ids)


def clear_articles(db: sqlite_utils.Database) -> None:
    """Every article and passage gone, with the search index; other tables (users' data) are
    kept."""
    with write_transaction(db):
        for table in (
            "story_bands",
            "signatures",
            "passages",
            "articles",
            "segments",
            "deleted_rows",
        ):
            db.execute(f"DELETE FROM {table}")


# A segment is merged into the one before it when that one is at most this many times larger:
# segments grow geometrically, so there are few of them and each row is rewritten few times.
_MERGE_RATIO = 4


def index_new_passages(db: sqlite_utils.Database, written: Sequence[Segment] = ()) -> int:
    """Store the passages past the stored segments as a new segment, merging segments of
    similar size; how many passages it took. One transaction.

    ``written`` are segments of the passages this run wrote (as ``write_articles`` numbered
    them), built as they were prepared; only the passages an earlier, interrupted run left
    are read back and indexed here.
    """
    with write_transaction(db):
        through = indexed_through(db)
        ours = Segment.merge(written)
        first_ours = ours.first_row()
        earlier = tail_segment(db, through, before=first_ours)
        present = set()
        if first_ours is not None:
            present = {
                row
                for (row,) in db.execute(
                    "SELECT row_id FROM passages WHERE row_id >= ?", [first_ours]
                )
            }
        gone = [row for row in ours.row_ids() if row not in present]
        segment = Segment.merge([earlier, ours], gone)
        taken, last_row = len(segment), segment.last_row()
        if last_row is None:
            return 0
        # Merged in memory with the stored segments before it while they are of similar size,
        # then written once.
        deleted = deleted_rows(db)
        while (similar := _similar_last_segment(db, len(segment))) is not None:
            stored = load_segment(db, similar)
            segment = Segment.merge([stored, segment], deleted)
            db.execute("DELETE FROM segments WHERE segment_id = ?", [similar])
            # The deleted rows the merge dropped need no listing any more.
            db.conn.executemany(
                "DELETE FROM deleted_rows WHERE row_id = ?",
                [(row,) for row in stored.held(deleted)],
            )
        _insert_segment(db, segment)
        _set_meta(db, _INDEXED_THROUGH, str(last_row))
    return taken


def _similar_last_segment(db: sqlite_utils.Database, passages: int) -> int | None:
    """The id of the newest stored segment, if it holds at most ``_MERGE_RATIO`` times
    ``passages``."""
    row = db.execute(
        "SELECT segment_id, passages FROM segments ORDER BY segment_id DESC LIMIT 1"
    ).fetchone()
    return row[0] if row and row[1] <= _MERGE_RATIO * passages else None


def _insert_segment(db: sqlite_utils.Database, segment: Segment) -> None:
    # Each array goes into a zero-filled BLOB piece by piece: binding it whole would hold
    # two more copies of the largest (the bytes, and SQLite's own) while it is written.
    blobs = segment.to_blobs()
    columns = ["passages", *_SEGMENT_BLOBS]
    (segment_id,) = db.execute(
        f"INSERT INTO segments ({', '.join(columns)}) VALUES"
        f" (?, {', '.join('zeroblob(?)' for _ in _SEGMENT_BLOBS)}) RETURNING segment_id",
        [len(segment), *(len(blobs[name]) for name in _SEGMENT_BLOBS)],
    ).fetchone()
    for name in _SEGMENT_BLOBS:
        data = blobs[name]
        with db.conn.blobopen("segments", name, segment_id) as blob:
            for start in range(0, len(data), _BLOB_PIECE):
                blob.write(data[start : start + _BLOB_PIECE])


# In the table's order: the two large arrays last (see index.schema).
_SEGMENT_BLOBS = (
    "terms",
    "offsets",
    "pair_frequencies",
    "pair_lengths",
    "term_max_frequencies",
    "term_min_lengths",
    "passage_rows",
    "passage_lengths",
    "codes",
    "rows",
)


def segment_ids(db: sqlite_utils.Database) -> list[int]:
    return [row[0] for row in db.execute("SELECT segment_id FROM segments ORDER BY segment_id")]


def load_segment(db: sqlite_utils.Database, segment_id: int) -> Segment:
    return Segment.from_blobs({name: _read_blob(db, name, segment_id) for name in _SEGMENT_BLOBS})


# Pieces of a BLOB read or written at a time: a large one never exists twice in memory (and
# SQLite reads 1 MB pieces faster than larger ones).
_BLOB_PIECE = 1 << 20


def _read_blob(db: sqlite_utils.Database, column: str, segment_id: int) -> bytearray:
    with db.conn.blobopen("segments", column, segment_id, readonly=True) as blob:
        data = bytearray(len(blob))
        view = memoryview(data)
        for start in range(0, len(data), _BLOB_PIECE):
            piece = blob.read(_BLOB_PIECE)
            view[start : start + len(piece)] = piece
    return data


def deleted_rows(db: sqlite_utils.Database) -> list[int]:
    return [row[0] for row in db.execute("SELECT row_id FROM deleted_rows ORDER BY row_id")]


def indexed_through(db: sqlite_utils.Database) -> int:
    """The highest passage row id the stored segments cover."""
    return int(_meta(db, _INDEXED_THROUGH) or 0)


def tail_segment(db: sqlite_utils.Database, after_row: int, before: int | None = None) -> Segment:
    """The segment of the passages past ``after_row`` (and before ``before``), from their
    stored terms."""
    rows: list[int] = []
    texts: list[str] = []
    for row_id, terms in db.execute(
        "SELECT row_id, terms FROM passages WHERE row_id > ? AND row_id < ? ORDER BY row_id",
        [after_row, before if before is not None else 2**63 - 1],
    ):
        rows.append(row_id)
        texts.append(terms)
    return SegmentBuilder(_stored_term).build(rows, texts)


def _stored_term(chunk: str) -> tuple[str]:
    # Stored terms are separated by spaces and hold none: each chunk is one term.
    return (chunk,)


def mark_indexed(
    db: sqlite_utils.Database, indexed_at: str, pipeline: str, *, changed: bool
) -> None:
    """Record the finished run and the pipeline version that wrote it. When it changed any
    passage, a new generation number tells running bots to reload."""
    values = {_LAST_INDEXED: indexed_at, _PIPELINE: pipeline}
    if changed:
        values[_GENERATION] = str(generation(db) + 1)
    with write_transaction(db):
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


def _set_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])


def _meta(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


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


def story_copies(
    db: sqlite_utils.Database, story_ids: Sequence[str]
) -> dict[str, list[tuple[str, str | None]]]:
    """The ``(article_id, outlet)`` of every article of these stories, oldest first."""
    copies: dict[str, list[tuple[str, str | None]]] = {}
    if not story_ids:
        return copies
    placeholders = ",".join("?" * len(story_ids))
    for story_id, article_id, outlet in db.execute(
        f"SELECT story_id, id, outlet FROM articles WHERE story_id IN ({placeholders})"
        " ORDER BY published, id",
        list(story_ids),
    ):
        copies.setdefault(story_id, []).append((article_id, outlet))
    return copies


def story_rows(db: sqlite_utils.Database, story_ids: Sequence[str]) -> list[int]:
    """The passage rows of every article of these stories."""
    if not story_ids:
        return []
    placeholders = ",".join("?" * len(story_ids))
    return [
        row_id
        for (row_id,) in db.execute(
            "SELECT p.row_id FROM passages p JOIN articles a ON a.id = p.article_id"
            f" WHERE coalesce(a.story_id, a.id) IN ({placeholders})",
            list(story_ids),
        )
    ]


# julianday() of a date, less this, is its ``date.toordinal()``.
_ORDINAL_OFFSET = 1721424.5


def publication_days(
    db: sqlite_utils.Database, after_row: int = 0
) -> tuple[list[int], list[int], list[int]]:
    """The passage rows past ``after_row`` of dated articles, as runs of consecutive rows
    (first rows, last rows) with their article's publication day in WIB
    (``date.toordinal()``); a time with an offset is moved to WIB, a bare date is taken as
    written. An article's passages are written together, so each is one run, read from the
    index of passages by article without touching their text."""
    firsts: list[int] = []
    lasts: list[int] = []
    days: list[int] = []
    for article_id, first, last, count, day in db.execute(
        "WITH spans AS (SELECT article_id, min(row_id) AS first, max(row_id) AS last,"
        " count(*) AS passages FROM passages WHERE row_id > ? GROUP BY article_id)"
        " SELECT s.article_id, s.first, s.last, s.passages,"
        " CAST(julianday(date(a.published, '+7 hours')) - ? AS INTEGER)"
        " FROM spans s JOIN articles a ON a.id = s.article_id WHERE a.published IS NOT NULL",
        [after_row, _ORDINAL_OFFSET],
    ):
        if day is None:
            continue
        if last - first + 1 == count:
            runs = [(first, last)]
        else:
            runs = [
                (row, row)
                for (row,) in db.execute(
                    "SELECT row_id FROM passages WHERE article_id = ? AND row_id > ?",
                    [article_id, after_row],
                )
            ]
        for run_first, run_last in runs:
            firsts.append(run_first)
            lasts.append(run_last)
            days.append(day)
    return firsts, lasts, days


def latest_leads(
    db: sqlite_utils.Database, first: date, last: date, limit: int
) -> list[ScoredPassage]:
    """The first passage of each of the ``limit`` newest stories published from day ``first``
    to day ``last`` in WIB, newest first (scores are 0: nothing was searched)."""
    leads: list[ScoredPassage] = []
    stories: set[str] = set()
    for lead, story in db.execute(
        "SELECT (SELECT min(row_id) FROM passages p WHERE p.article_id = a.id),"
        " coalesce(a.story_id, a.id) FROM articles a"
        # The text range finds the candidates by index; date() then counts each in WIB.
        " WHERE a.published >= ? AND a.published < ?"
        " AND date(a.published, '+7 hours') BETWEEN ? AND ?"
        " ORDER BY a.published DESC, a.id",
        [
            (first - timedelta(days=1)).isoformat() if first > date.min else "",
            (last + timedelta(days=2)).isoformat(),
            first.isoformat(),
            last.isoformat(),
        ],
    ):
        if lead is None or story in stories:
            continue
        stories.add(story)
        leads.append(ScoredPassage(row_id=lead, score=0.0))
        if len(leads) == limit:
            break
    return leads


def undated_articles(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT count(*) FROM articles WHERE published IS NULL").fetchone()[0])


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
