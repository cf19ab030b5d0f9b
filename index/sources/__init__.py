"""Readers, one per input kind, each yielding ``RawArticle``s and ``Failure``s.

A reader never raises for bad input: a broken file or record becomes a ``Failure`` naming the
file (and line) and the reason, and everything readable is still yielded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from index.models import Failure, RawArticle
from index.sources.jsonl import read_jsonl
from index.sources.txt import read_txt

SUPPORTED_SUFFIXES = (".txt", ".jsonl", ".jsonl.gz")


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


def read_file(path: Path, root: Path) -> Iterator[RawArticle | Failure]:
    """The articles of one file; its id comes from ``path`` relative to ``root``."""
    suffix = _reader_suffix(path)
    if suffix == ".txt":
        yield read_txt(path, root)
    elif suffix is not None:
        yield from read_jsonl(path)
    else:
        yield Failure(
            str(path),
            "unsupported file type; give a .txt article, a .jsonl or .jsonl.gz file, or a folder",
        )
