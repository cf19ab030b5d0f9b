"""``.csv`` tables of articles: a header row names the columns, in Indonesian or English, and
every row below it is one article.

(Named ``table`` so that it does not shadow the standard ``csv`` module.)
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.models import Failure, RawArticle, ReadItem
from index.sources.jsonl import iso_published
from index.sources.text import decoded_file
from index.sources.txt import article_id_for

# Each field with the column names that mean it, best first: when a table has two of them,
# the earlier name wins.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "body": ("body", "text", "content", "isi", "konten", "article", "artikel"),
    "id": ("id", "article_id", "guid"),
    "title": ("title", "judul", "headline"),
    "url": ("url", "link", "tautan"),
    "published": ("published", "date", "tanggal", "waktu", "datetime", "published_at"),
    "source": ("source", "sumber", "outlet", "media", "publisher"),
    "reporter": ("author", "reporter", "pewarta", "penulis"),
}
_DELIMITERS = ",;\t|"
_MAX_NAME_CHARS = 40
# Indonesian tables write dates day first; 03/04/2024 is the 3rd of April, never March 4th.
_DAY_FIRST = re.compile(
    r"(?P<day>\d{1,2})([/-])(?P<month>\d{1,2})\2(?P<year>\d{4})(?P<time> \d\d:\d\d(?::\d\d)?)?"
)


@dataclass(frozen=True)
class Columns:
    """Where each known field sits in a row; ``None`` for a field the table lacks."""

    width: int
    body: int
    id: int | None = None
    title: int | None = None
    url: int | None = None
    published: int | None = None
    source: int | None = None
    reporter: int | None = None


def sniff_delimiter(header_line: str) -> str:
    """The delimiter the header uses most; a comma for a one-column header."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=counts.__getitem__)
    return best if counts[best] else ","


def map_columns(header: Sequence[str]) -> Columns:
    """Field positions from the header's names; ``ValueError`` when no column holds the body."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(name.strip().casefold(), index)

    def find(field: str) -> int | None:
        return next((positions[name] for name in COLUMN_NAMES[field] if name in positions), None)

    body = find("body")
    if body is None:
        accepted = ", ".join(COLUMN_NAMES["body"][1:])
        found = ", ".join(_shortened(name.strip()) for name in header if name.strip())
        raise ValueError(f'missing column "body" (also accepted: {accepted}); found: {found}')
    return Columns(
        width=len(header),
        body=body,
        id=find("id"),
        title=find("title"),
        url=find("url"),
        published=find("published"),
        source=find("source"),
        reporter=find("reporter"),
    )


def table_published(value: str | None) -> str | None:
    """ISO 8601 from ISO, ``DD/MM/YYYY``, ``DD-MM-YYYY`` or ``YYYY-MM-DD HH:MM[:SS]`` (a time
    may follow the day-first forms too)."""
    if value is None:
        return None
    iso = value
    if day_first := _DAY_FIRST.fullmatch(value):
        year, month, day = day_first["year"], day_first["month"], day_first["day"]
        iso = f"{year}-{month:0>2}-{day:0>2}{day_first['time'] or ''}"
    try:
        # fromisoformat also takes the space spreadsheets write between date and time.
        return iso_published(iso)
    except ValueError:
        raise ValueError(
            f"date {value!r} is not understood; write YYYY-MM-DD, DD/MM/YYYY,"
            " YYYY-MM-DD HH:MM or an ISO 8601 date-time"
        ) from None


def parse_row(row: Sequence[str], columns: Columns, fallback_id: str, origin: str) -> RawArticle:
    """One data row -> ``RawArticle``; ``ValueError`` says what is wrong with it."""
    extra = row[columns.width :]
    if len(row) < columns.width or any(field.strip() for field in extra):
        raise ValueError(
            f"row has {len(row)} fields, the header has {columns.width}; check the delimiter"
            " and that text with delimiters or line breaks is in double quotes"
        )

    def text(position: int | None) -> str | None:
        return (row[position].strip() or None) if position is not None else None

    body = row[columns.body]
    if not body.strip():
        raise ValueError("empty body")
    url = text(columns.url)
    return RawArticle(
        # An id that survives edits lets a re-run update the article instead of adding a copy:
        # the table's own id or URL stays put when rows move; the row number is the last resort.
        article_id=text(columns.id) or url or fallback_id,
        origin=origin,
        body=body,
        title=text(columns.title),
        outlet=text(columns.source),
        url=url,
        published=table_published(text(columns.published)),
        reporter=text(columns.reporter),
    )


def numbered_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """Each row with the physical line it starts on; a row csv cannot read comes as its error,
    and reading goes on after it."""
    # Strict, so a stray or unclosed quote is reported instead of silently gluing rows together.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    # ``line_num`` counts physical lines, so rows after a body that spans lines keep their
    # numbers right: a row starts on the line after the one the previous row ended on.
    ended = 0
    while True:
        try:
            row: list[str] | csv.Error = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            row = error
        yield ended + 1, row
        ended = reader.line_num


def read_csv(path: Path, root: Path, data: bytes) -> Iterator[ReadItem]:
    where = str(path)
    text = yield from decoded_file(where, data)
    if text is None:
        return
    # A field is never longer than the file; the default limit (128 KiB) fails long articles.
    if len(text) > csv.field_size_limit():
        csv.field_size_limit(len(text))
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    rows = numbered_rows(text, sniff_delimiter(header_line))
    first = next((item for item in rows if _has_text(item[1])), None)
    if first is None:
        yield Failure(where, "empty file")
        return
    header_number, header = first
    if isinstance(header, csv.Error):
        yield Failure(f"{path}:{header_number}", f"cannot read the header row ({header})")
        return
    try:
        columns = map_columns(header)
    except ValueError as error:
        yield Failure(where, str(error))
        return
    origin = str(path.resolve())
    base_id = article_id_for(path, root)
    row_number = 0
    for line, row in rows:
        # Spreadsheets pad tables with blank rows (";;;"): there is nothing in them to report.
        if not _has_text(row):
            continue
        row_number += 1
        try:
            yield parse_row(_readable(row), columns, f"{base_id}#{row_number}", origin)
        except ValueError as error:
            yield Failure(f"{path}:{line}", str(error))
    if row_number == 0:
        yield Failure(where, "no rows below the header")


def _readable(row: list[str] | csv.Error) -> list[str]:
    if isinstance(row, csv.Error):
        raise ValueError(f"cannot read the row ({row}); check its double quotes")
    return row


def _shortened(name: str) -> str:
    # A table without a header shows its first row here, article body and all.
    return name if len(name) <= _MAX_NAME_CHARS else name[: _MAX_NAME_CHARS - 1] + "…"


def _has_text(row: list[str] | csv.Error) -> bool:
    return isinstance(row, csv.Error) or any(field.strip() for field in row)
