"""Bytes -> text for files people hand us: UTF-8 first, then the encodings news files really
come in, each with a notice so nobody is surprised (pure)."""

from __future__ import annotations

import codecs
from collections.abc import Generator
from dataclasses import dataclass

from index.models import Failure, Notice, ReadItem

# In real text almost no character is a control character; past this share it is not text.
_MAX_CONTROL_SHARE = 0.01
_ALLOWED_CONTROLS = frozenset("\t\n\r\f")


class UndecodableError(ValueError):
    """The bytes are not text in any encoding we recognise."""


@dataclass(frozen=True)
class Decoded:
    text: str
    notice: str | None = None


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    controls = sum(
        1
        for char in text
        if (char < " " and char not in _ALLOWED_CONTROLS) or "\x7f" <= char <= "\x9f"
    )
    return controls / len(text)


def decode(data: bytes) -> Decoded:
    """The text of ``data``; ``UndecodableError`` says why when it is not text."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return Decoded(data.decode("utf-16"), "decoded as UTF-16 (byte order mark)")
        except UnicodeDecodeError:
            raise UndecodableError("starts like UTF-16 but is not valid UTF-16") from None
    if b"\x00" in data:
        raise UndecodableError("binary file, not text")
    try:
        return Decoded(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    for encoding, name in (("cp1252", "Windows-1252"), ("latin-1", "Latin-1")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _control_share(text) <= _MAX_CONTROL_SHARE:
            return Decoded(text, f"not UTF-8; decoded as {name}; save it as UTF-8 to be sure")
    raise UndecodableError("not text in UTF-8, UTF-16, Windows-1252 or Latin-1; save it as UTF-8")


def decoded_file(where: str, data: bytes) -> Generator[ReadItem, None, str | None]:
    """For a reader: yields the notice or failure of decoding a file; returns its text, or
    ``None`` when it is not text. Use as ``text = yield from decoded_file(where, data)``."""
    try:
        result = decode(data)
    except UndecodableError as error:
        yield Failure(where, str(error))
        return None
    if result.notice:
        yield Notice(where, result.notice)
    return result.text
