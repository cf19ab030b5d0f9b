"""Readers, one per input kind, each yielding ``RawArticle``s, ``Failure``s and ``Notice``s.

A reader never raises for bad input: a broken file or record becomes a ``Failure`` naming the
file (and line) and the reason, and everything readable is still yielded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from index.models import Failure, ReadItem
from index.sources.feed import FEED_SUFFIXES, read_feed_file, read_url
from index.sources.fetch import is_url
from index.sources.html import read_html
from index.sources.jsonl import read_jsonl
from index.sources.options import DEFAULT_MAX_FILE_MB, ReadOptions
from index.sources.table import read_csv
from index.sources.txt import read_txt

__all__ = [
    "DEFAULT_MAX_FILE_MB",
    "SUPPORTED_SUFFIXES",
    "ReadOptions",
    "is_url",
    "read_file",
    "read_url",
    "source_files",
]

SUPPORTED_SUFFIXES = (".txt", ".html", ".htm", ".csv", ".jsonl", ".jsonl.gz", *FEED_SUFFIXES)
# Readers that take the whole file at once; JSONL is streamed line by line instead.
_WHOLE_FILE_READERS: dict[str, Callable[[Path, Path, bytes], Iterator[ReadItem]]] = {
    ".txt": read_txt,
    ".html": read_html,
    ".htm": read_html,
    ".csv": read_csv,
}


def _reader_suffix(path: Path) -> str | None:
    name = path.name.casefold()
    return next((suffix for suffix in SUPPORTED_SUFFIXES if name.endswith(suffix)), None)


def source_files(source: Path) -> Iterator[tuple[Path, Path]]:
    """(file, the folder its id is relative to) for a file, or every supported file in a folder."""
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            if path.is_file() and _reader_suffix(path) is not None:
                yield path, source
    else:
        yield source, source.parent


def _too_large(path: Path, options: ReadOptions) -> Failure | None:
    size = path.stat().st_size
    if size <= options.max_file_bytes:
        return None
    return Failure(
        str(path),
        f"file is {size / 2**20:.1f} MB, over the limit of"
        f" {options.max_file_bytes / 2**20:g} MB (NEWSBOT_MAX_FILE_MB); split it or raise the"
        " limit",
    )


def read_file(path: Path, root: Path, options: ReadOptions | None = None) -> Iterator[ReadItem]:
    """The articles of one file; its id comes from ``path`` relative to ``root``."""
    options = options or ReadOptions()
    suffix = _reader_suffix(path)
    if suffix is None:
        yield Failure(
            str(path),
            "unsupported file type; give a .txt article, an .html or .htm page, a .csv table,"
            " a .jsonl or .jsonl.gz file, an .xml, .rss or .atom feed, or a folder",
        )
        return
    try:
        if too_large := _too_large(path, options):
            yield too_large
            return
        if reader := _WHOLE_FILE_READERS.get(suffix):
            yield from reader(path, root, path.read_bytes())
            return
        if suffix in FEED_SUFFIXES:
            yield from read_feed_file(path, path.read_bytes(), options)
            return
    except OSError as error:
        yield Failure(str(path), f"cannot read the file: {error.strerror or error}")
        return
    yield from read_jsonl(path)
