"""A ``.txt`` article in the seed's format: the whole file is the body, no title line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from index.models import Failure, RawArticle, ReadItem
from index.sources.text import decoded_file


def article_id_for(path: Path, root: Path) -> str:
    """The path relative to the folder given, without extension, with ``/`` separators."""
    relative = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
    return relative.with_suffix("").as_posix()


def read_txt(path: Path, root: Path, data: bytes) -> Iterator[ReadItem]:
    where = str(path)
    text = yield from decoded_file(where, data)
    if text is None:
        return
    if not text.strip():
        yield Failure(where, "empty file")
        return
    yield RawArticle(article_id=article_id_for(path, root), origin=str(path.resolve()), body=text)
