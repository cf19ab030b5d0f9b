"""The database schema, as numbered migrations applied in order (``PRAGMA user_version``)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import sqlite_utils

from index.stories import band_keys, decode


def _create_tables(db: sqlite_utils.Database) -> None:
    # AUTOINCREMENT: a row id is never reused, so an engine loaded before a reindex can never
    # map one of its row ids to a different passage written since. Statements run one by one:
    # executescript would commit by itself, outside the migration's transaction.
    statements = """
        CREATE TABLE articles (
            id TEXT PRIMARY KEY,
            origin TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            title TEXT,
            outlet TEXT,
            url TEXT,
            published TEXT,
            city TEXT,
            reporter TEXT,
            editor TEXT,
            translator TEXT,
            copyright_year INTEGER,
            language TEXT NOT NULL,
            indexed_at TEXT NOT NULL
        );
        CREATE TABLE passages (
            row_id INTEGER PRIMARY KEY AUTOINCREMENT,
            passage_id TEXT NOT NULL UNIQUE,
            article_id TEXT NOT NULL REFERENCES articles(id),
            ordinal INTEGER NOT NULL,
            text TEXT NOT NULL,
            terms TEXT NOT NULL
        );
        CREATE INDEX passages_by_article ON passages(article_id);
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
    """
    for statement in statements.split(";"):
        if statement.strip():
            db.execute(statement)


def _mark_estimated_dates(db: sqlite_utils.Database) -> None:
    db.execute("ALTER TABLE articles ADD COLUMN published_estimated INTEGER NOT NULL DEFAULT 0")


def _remember_stems(db: sqlite_utils.Database) -> None:
    # Derived data: Sastrawi's stems of the words seen so far, the costly part of indexing.
    db.execute("CREATE TABLE stems (word TEXT PRIMARY KEY, stem TEXT NOT NULL) WITHOUT ROWID")


def _group_stories(db: sqlite_utils.Database) -> None:
    # Each article's story (the id of the first copy seen) and its MinHash signature, with one
    # row per band so candidates are found by an index lookup.
    db.execute("ALTER TABLE articles ADD COLUMN story_id TEXT")
    db.execute("UPDATE articles SET story_id = id")
    db.execute(
        "CREATE TABLE signatures (article_id TEXT PRIMARY KEY, signature TEXT NOT NULL,"
        " story_id TEXT NOT NULL)"
    )
    db.execute("CREATE TABLE story_bands (band TEXT NOT NULL, article_id TEXT NOT NULL)")
    db.execute("CREATE INDEX story_bands_by_band ON story_bands(band)")
    db.execute("CREATE INDEX story_bands_by_article ON story_bands(article_id)")


def _tell_episodes_apart(db: sqlite_utils.Database) -> None:
    # The episode number a title names, so parts of a series are not taken for copies.
    db.execute("ALTER TABLE signatures ADD COLUMN part TEXT")


def _forget_stems(db: sqlite_utils.Database) -> None:
    # Stemming became fast enough that keeping stems costs more than computing them again.
    db.execute("DROP TABLE stems")


def _index_bands_by_number(db: sqlite_utils.Database) -> None:
    # Band keys as integers in a table clustered by key: half the cost of writing them.
    db.execute("DROP TABLE story_bands")
    db.execute(
        "CREATE TABLE story_bands (band INTEGER NOT NULL, article_id TEXT NOT NULL,"
        " PRIMARY KEY (band, article_id)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX story_bands_by_article ON story_bands(article_id)")
    rows = db.execute("SELECT article_id, signature FROM signatures").fetchall()
    db.conn.executemany(
        "INSERT INTO story_bands (band, article_id) VALUES (?, ?)",
        ((key, article_id) for article_id, text in rows for key in band_keys(decode(text))),
    )


def _store_the_search_index(db: sqlite_utils.Database) -> None:
    # The BM25 index as segments of postings (see index.engine), each covering passages up to
    # the row id in meta's "indexed_through"; passages past it are indexed when the archive
    # opens. Rows deleted since their segment was written are listed until a merge drops them.
    db.execute(
        "CREATE TABLE segments (segment_id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " passages INTEGER NOT NULL, terms BLOB NOT NULL, offsets BLOB NOT NULL,"
        " rows BLOB NOT NULL, frequencies BLOB NOT NULL, passage_rows BLOB NOT NULL,"
        " passage_lengths BLOB NOT NULL)"
    )
    db.execute("CREATE TABLE deleted_rows (row_id INTEGER PRIMARY KEY)")


def _code_postings(db: sqlite_utils.Database) -> None:
    # Postings carry the code of their (term frequency, passage length) pair and terms their
    # score ceilings (see index.engine). The segments are dropped, their ids kept from coming
    # back; the passages are indexed again from their stored terms by the next indexing run,
    # and meanwhile when the archive opens. The two large arrays come last in the row: reaching
    # a column means reading through the BLOBs stored before it.
    (last_id,) = db.execute("SELECT coalesce(max(segment_id), 0) FROM segments").fetchone()
    db.execute("DROP TABLE segments")
    db.execute(
        "CREATE TABLE segments (segment_id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " passages INTEGER NOT NULL, terms BLOB NOT NULL, offsets BLOB NOT NULL,"
        " pair_frequencies BLOB NOT NULL, pair_lengths BLOB NOT NULL,"
        " term_max_frequencies BLOB NOT NULL, term_min_lengths BLOB NOT NULL,"
        " passage_rows BLOB NOT NULL, passage_lengths BLOB NOT NULL, codes BLOB NOT NULL,"
        " rows BLOB NOT NULL)"
    )
    if last_id:
        db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('segments', ?)", [last_id])
    db.execute("DELETE FROM deleted_rows")
    db.execute("DELETE FROM meta WHERE key = 'indexed_through'")


def _find_copies_of_a_story(db: sqlite_utils.Database) -> None:
    # An answer lists the outlets of its story's other copies.
    db.execute("CREATE INDEX articles_by_story ON articles(story_id)")


def _find_the_latest_articles(db: sqlite_utils.Database) -> None:
    # "berita hari ini" lists the newest articles of a window of days.
    db.execute("CREATE INDEX articles_by_published ON articles(published)")


def _remember_conversations(db: sqlite_utils.Database) -> None:
    # What the bot keeps of its answers (for the ◀ ▶ and 👍 👎 buttons until they expire), the
    # readers' votes, and one row per question without its text (for /stats).
    db.execute(
        "CREATE TABLE answers (answer_id TEXT PRIMARY KEY, created_at REAL NOT NULL,"
        " chat_id INTEGER NOT NULL, user_id INTEGER, answer TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX answers_by_created_at ON answers(created_at)")
    db.execute(
        "CREATE TABLE feedback (answer_id TEXT NOT NULL, user_id INTEGER NOT NULL,"
        " helpful INTEGER NOT NULL, question TEXT NOT NULL, passages TEXT NOT NULL,"
        " voted_at REAL NOT NULL, PRIMARY KEY (answer_id, user_id))"
    )
    db.execute(
        "CREATE TABLE questions (asked_at REAL NOT NULL, chat_type TEXT NOT NULL,"
        " answered INTEGER NOT NULL, hits INTEGER NOT NULL, seconds REAL NOT NULL)"
    )


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _create_tables,
    _mark_estimated_dates,
    _remember_stems,
    _group_stories,
    _tell_episodes_apart,
    _forget_stems,
    _index_bands_by_number,
    _store_the_search_index,
    _code_postings,
    _find_copies_of_a_story,
    _find_the_latest_articles,
    _remember_conversations,
)


def schema_version(db: sqlite_utils.Database) -> int:
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    return version


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """A transaction that takes the write lock as it begins (``BEGIN IMMEDIATE``).

    The indexer, the bot's own rows and a migration may write at once. A transaction that reads
    before it writes and begins deferred fails at its first write, busy timeout or not, when
    another connection committed in between (SQLITE_BUSY_SNAPSHOT); one that begins with the
    lock waits for the other writer instead.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def migrate(db: sqlite_utils.Database) -> None:
    """Apply the migrations this database has not seen, each in its own transaction."""
    for version, step in enumerate(MIGRATIONS, start=1):
        if schema_version(db) >= version:
            continue
        with write_transaction(db):
            # Another process (the bot, the indexer) may have applied it while this one waited.
            if schema_version(db) < version:
                step(db)
                db.execute(f"PRAGMA user_version = {version}")
