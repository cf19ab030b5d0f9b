"""Near-duplicate detection: copies of one story from different outlets or crawls (pure).

A MinHash signature over 5-shingles of an article's content words estimates how much two texts
overlap (Jaccard). It is a one-permutation MinHash: each shingle is hashed once and lands in one
of ``BINS`` bins by its hash, each bin keeps its smallest value, and empty bins borrow from the
next full one, so a signature costs one hash per shingle. Signatures are cut into bands; two
articles that share a band are candidates, and a candidate whose signature agrees on at least
``SAME_STORY`` of the bins is the same story.
"""

from __future__ import annotations

import operator
import re
import struct
import zlib
from collections.abc import Sequence

BINS = 64
_BIN_BITS = 6
ROWS_PER_BAND = 4
SHINGLE_WORDS = 5
# Read off the shared corpora: rewrites of one event by the same desk agree on 0.6 to 0.9 of the
# bins, different stories on one beat (a week of KPK summonses) up to about 0.6.
SAME_STORY = 0.7
_EMPTY = 0xFFFFFFFF
_PART = re.compile(
    r"\((\d{1,3})\)\s*$|\b(?:Bag(?:ian)?|Part|Eps?(?:isode)?)\.?\s*(\d{1,3})\b", re.IGNORECASE
)

# A figure written with separators; analysis follows it with its parts.
_FIGURE = re.compile(r"\d+(?:[.,]\d+)+")

Signature = tuple[int, ...]


def shingles(tokens: Sequence[str]) -> set[str]:
    """Word 5-grams of the text's tokens; a text shorter than that is one shingle."""
    if len(tokens) < SHINGLE_WORDS:
        return {" ".join(tokens)} if tokens else set()
    following = (tokens[start:] for start in range(SHINGLE_WORDS))
    return set(map(" ".join, zip(*following, strict=False)))


def comparable_tokens(tokens: Sequence[str]) -> list[str]:
    """The tokens written the same way whatever a copy's spelling: a hyphenated word as its
    parts ("Jakarta-Tokyo" and "Jakarta - Tokyo"), a reduplicated word once ("pantai-pantai"),
    and each run of numbers as one ("3,717", "3, 717", "3 717"; "1934-2001", "1934 - 2001";
    analysis gives "3,717" then its parts "3" and "717", or the parts alone). A copy that
    spells one of them differently would otherwise differ in every shingle that holds it."""
    joined: list[str] = []
    append = joined.append
    in_number = False
    for whole in tokens:
        if _FIGURE.fullmatch(whole):
            continue
        for token in whole.split("-") if "-" in whole else (whole,):
            if not token.isdigit():
                # Analysis follows "pantai-pantai" with "pantai": a word repeated is one.
                if token and (not joined or token != joined[-1]):
                    append(token)
                in_number = False
            elif in_number:
                joined[-1] += token
            else:
                append(token)
                in_number = True
    return joined


def signature(tokens: Sequence[str]) -> Signature:
    """The MinHash signature (``BINS`` values) of a text's content tokens; empty without any."""
    bins = [_EMPTY] * BINS
    for value in map(zlib.crc32, map(str.encode, shingles(comparable_tokens(tokens)))):
        slot, rest = value & (BINS - 1), value >> _BIN_BITS
        if rest < bins[slot]:  # noqa: PLR1730  # a call to min() per shingle costs more
            bins[slot] = rest
    if all(value == _EMPTY for value in bins):
        return ()
    # Densify: an empty bin takes the next full bin's value, offset by the distance, so two
    # texts that are alike fill their empty bins alike.
    filled = list(bins)
    for slot in range(BINS):
        distance = 1
        while filled[slot] == _EMPTY:
            source = bins[(slot + distance) % BINS]
            if source != _EMPTY:
                filled[slot] = (source + distance * 0x9E3779B1) & _EMPTY
            distance += 1
    return tuple(filled)


def similarity(first: Signature, second: Signature) -> float:
    """The estimated Jaccard overlap of the two texts' shingles."""
    if not first or len(first) != len(second):
        return 0.0
    agreeing: int = sum(map(operator.eq, first, second))
    return agreeing / len(first)


def band_keys(sig: Signature) -> list[int]:
    """One key per band (the band's number, then a hash of its values); texts sharing any key
    are candidates for the same story."""
    if not sig:
        return []
    packed = memoryview(struct.pack(f"<{len(sig)}I", *sig))
    size = 4 * ROWS_PER_BAND
    return [
        (band << 32) | zlib.crc32(packed[start : start + size])
        for band, start in enumerate(range(0, len(packed), size))
    ]


def encode(sig: Signature) -> str:
    return " ".join(f"{value:x}" for value in sig)


def decode(text: str) -> Signature:
    return tuple(int(value, 16) for value in text.split())


def part_number(title: str | None) -> str | None:
    """The episode of a series a title names: ``(2)``, ``Bag 3``, ``Part 1``, ``Eps. 4``.

    Episodes of one series often share their whole description, so text alone would merge them.
    """
    if not title:
        return None
    match = _PART.search(title)
    return (match.group(1) or match.group(2)) if match else None


def best_match(
    sig: Signature, part: str | None, candidates: Sequence[tuple[str, Signature, str | None]]
) -> str | None:
    """The candidate (by key) most like ``sig``, if it is similar enough to be the same story
    and not another episode of a series. The same text is the same story whatever its title
    says: quoting one and listing the other shows the reader nothing new."""
    scored = [
        (score, key)
        for key, other, other_part in candidates
        if (score := similarity(sig, other)) == 1.0
        or part is None
        or other_part is None
        or part == other_part
    ]
    best = max(scored, default=(0.0, ""))
    return best[1] if best[0] >= SAME_STORY else None
