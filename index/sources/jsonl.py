"""``.jsonl`` / ``.jsonl.gz`` files: one article object a line (id, source, url, title,
published, body), the format of the shared news corpora."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from index.models import Failure, RawArticle


def _open_binary(path: Path) -> BinaryIO:
    if path.name.casefold().endswith(".gz"):
        return cast(BinaryIO, gzip.open(path, "rb"))
    return path.open("rb")


def _optional_text(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f'"{key}" must be a string or null')
    return value.strip() or None


def iso_published(value: str | None) -> str | None:
    """The value when it is an ISO 8601 date or date-time; ``ValueError`` otherwise."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat()
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError(f'"published" is not an ISO 8601 date: {value!r}') from None


def parse_record(line: str, origin: str) -> RawArticle:
    """One JSON line -> ``RawArticle``; ``ValueError`` says what is wrong with it."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"invalid JSON ({error.msg})") from None
    if not isinstance(record, dict):
        raise ValueError("a line must be a JSON object")
    article_id = record.get("id")
    if isinstance(article_id, int) and not isinstance(article_id, bool):
        article_id = str(article_id)
    if not isinstance(article_id, str) or not article_id.strip():
        raise ValueError('missing "id"')
    body = record.get("body")
    if not isinstance(body, str) or not body.strip():
        raise ValueError('missing or empty "body"')
    return RawArticle(
        article_id=article_id.strip(),
        origin=origin,
        body=body,
        title=_optional_text(record, "title"),
        outlet=_optional_text(record, "source"),
        url=_optional_text(record, "url"),
        published=iso_published(_optional_text(record, "published")),
    )


def read_jsonl(path: Path) -> Iterator[RawArticle | Failure]:
    origin = str(path.resolve())
    line_number = 0
    try:
        with _open_binary(path) as lines:
            # Lines are decoded one by one, so one badly encoded line costs only itself.
            for line_number, raw_line in enumerate(lines, start=1):
                try:
                    line = raw_line.decode("utf-8-sig" if line_number == 1 else "utf-8")
                except UnicodeDecodeError as error:
                    yield Failure(
                        f"{path}:{line_number}",
                        f"not UTF-8 (byte {error.start}); save the file as UTF-8",
                    )
                    continue
                if not line.strip():
                    continue
                try:
                    yield parse_record(line, origin)
                except ValueError as error:
                    yield Failure(f"{path}:{line_number}", str(error))
    except (OSError, EOFError, zlib.error) as error:
        detail = getattr(error, "strerror", None) or str(error) or type(error).__name__
        yield Failure(
            f"{path}:{line_number + 1}",
            f"cannot read further ({detail}); lines before it were read",
        )
