"""Article paragraphs -> passages of whole sentences (pure).

Consecutive short paragraphs are packed together up to ``TARGET_PASSAGE_CHARS`` so a quote has
context; a paragraph longer than ``MAX_PASSAGE_CHARS`` is cut at sentence ends. No passage is
ever longer than ``MAX_PASSAGE_CHARS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence

from index.models import Passage

MAX_PASSAGE_CHARS = 800
TARGET_PASSAGE_CHARS = 600
PARAGRAPH_SEPARATOR = "\n\n"

# Words whose trailing period does not end a sentence (casefolded, without the period).
ABBREVIATIONS = frozenset(
    "dr drg prof no nomor hal jl jln kec kab kel prov bpk ibu sdr sdri ir h hj st kh tbk pt cv "
    "dll dsb dkk tsb yth a.n u.p s.h m.si m.m s.e s.pd m.pd ph.d mr mrs ms jr sr vs etc inc ltd "
    "co corp gen col lt sgt rev e.g i.e approx dept est fig jan feb mar apr jun jul aug agu sep "
    "sept okt oct nov des dec".split()
)
_SENTENCE_END = re.compile(r"[.!?…]+[”\"’')\]]*(?=\s+[“\"‘'(\[]?[A-Z0-9])")
_WORD_BEFORE = re.compile(r"([\w.]{1,12})[.!?…]*[”\"’')\]]*$")
# The longest abbreviation plus its trailing marks; looking further back is wasted work.
_LOOKBEHIND_CHARS = 24


def _ends_sentence(text: str, mark: re.Match[str]) -> bool:
    """False for ``dr.``, ``No.``, initials such as ``B.``; true for other sentence marks."""
    if "." not in mark.group():
        return True
    end = mark.end()
    match = _WORD_BEFORE.search(text, max(0, end - _LOOKBEHIND_CHARS), end)
    if match is None:
        return True
    word = match.group(1).rstrip(".").casefold()
    return not (word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()))


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph, their text unchanged, joined by single spaces."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        if _ends_sentence(paragraph, match):
            sentences.append(paragraph[start : match.end()].strip())
            start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def greedy_join(
    pieces: Iterable[str], separator: str, fits: Callable[[str], bool]
) -> Iterator[str]:
    """Consecutive pieces joined while the join still ``fits``; a piece is never cut, and one
    that does not fit alone is yielded alone."""
    current = ""
    for piece in pieces:
        candidate = f"{current}{separator}{piece}" if current else piece
        if current and not fits(candidate):
            yield current
            candidate = piece
        current = candidate
    if current:
        yield current


def _within(limit: int) -> Callable[[str], bool]:
    return lambda text: len(text) <= limit


def _word_chunks(sentence: str, limit: int) -> Iterator[str]:
    """Words, a word over the limit cut into pieces (only run-on text without stops has one)."""
    for word in sentence.split(" "):
        for start in range(0, len(word), limit):
            yield word[start : start + limit]


def paragraph_blocks(paragraph: str, limit: int = MAX_PASSAGE_CHARS) -> Iterator[str]:
    """The paragraph itself, or sentence groups of it that each fit the limit."""
    if len(paragraph) <= limit:
        yield paragraph
        return
    pieces = (
        piece
        for sentence in split_sentences(paragraph)
        for piece in (
            [sentence]
            if len(sentence) <= limit
            else greedy_join(_word_chunks(sentence, limit), " ", _within(limit))
        )
    )
    yield from greedy_join(pieces, " ", _within(limit))


def split_passages(
    article_id: str,
    paragraphs: Sequence[str],
    target: int = TARGET_PASSAGE_CHARS,
    limit: int = MAX_PASSAGE_CHARS,
) -> list[Passage]:
    """Passages in reading order; ids are ``<article_id>#<ordinal>``, counted from 1."""
    blocks = (
        block
        for paragraph in filter(None, (text.strip() for text in paragraphs))
        for block in paragraph_blocks(paragraph, limit)
    )
    texts = greedy_join(blocks, PARAGRAPH_SEPARATOR, _within(target))
    return [
        Passage(passage_id=f"{article_id}#{n}", article_id=article_id, ordinal=n, text=text)
        for n, text in enumerate(texts, start=1)
    ]
