"""A ``.txt`` article in the seed's format: the whole file is the body, no title line."""

from __future__ import annotations

from pathlib import Path

from index.models import Failure, RawArticle

MAX_FILE_BYTES = 50 * 1024 * 1024


def article_id_for(path: Path, root: Path) -> str:
    """The path relative to the folder given, without extension, with ``/`` separators."""
    relative = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
    return relative.with_suffix("").as_posix()


def read_txt(path: Path, root: Path) -> RawArticle | Failure:
    where = str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return Failure(where, f"file is over {MAX_FILE_BYTES // 2**20} MB; split it")
        data = path.read_bytes()
    except OSError as error:
        return Failure(where, f"cannot read the file: {error.strerror or error}")
    if b"\x00" in data:
        return Failure(where, "binary file, not a text article")
    try:
        body = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return Failure(where, f"not UTF-8 text (byte {error.start}); save the file as UTF-8")
    if not body.strip():
        return Failure(where, "empty file")
    return RawArticle(article_id=article_id_for(path, root), origin=str(path.resolve()), body=body)
