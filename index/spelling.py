"""Misspelled names in questions: a question term no passage holds, read as the known term a
letter left out, added or swapped away ("lhoksemawe" -> "lhokseumawe", "blakpink" ->
"blackpink"), or without a suffix the stemmer left on a word it does not know ("latinnya" ->
"latin") (pure).

Only unknown terms are corrected, so a question spelled as the archive spells it is searched
as written; among several known terms the most common one wins, as it is the likeliest meant.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterator

# Shorter terms are codes and abbreviations ("ugm", "tni"), where one edit makes another word.
MIN_LENGTH = 5
_LETTERS = string.ascii_lowercase
# Particles and the possessive, which Sastrawi strips only from words in its dictionary.
_SUFFIXES = ("nya", "lah", "kah", "pun")


def _one_edit_away(term: str) -> Iterator[str]:
    """The terms one letter left out, one too many, or two swapped away. Not a letter replaced:
    that turns names the archive lacks into words it has ("ganjar" into "banjar", "kamil" into
    "kamis"), where a name typed in haste misses or doubles a letter ("blakpink")."""
    splits = [(term[:cut], term[cut:]) for cut in range(len(term) + 1)]
    for left, right in splits:
        if right:
            yield left + right[1:]
        if len(right) > 1:
            yield left + right[1] + right[0] + right[2:]
        for letter in _LETTERS:
            yield left + letter + right


def correction(term: str, passages_holding: Callable[[str], int]) -> str | None:
    """The known term ``term`` likely misspells, when ``term`` itself is unknown (``passages
    holding`` a term says how many passages hold it)."""
    if len(term) < MIN_LENGTH or not term.isalpha() or not term.isascii():
        return None
    if passages_holding(term):
        return None
    for suffix in _SUFFIXES:
        stripped = term.removesuffix(suffix)
        if stripped != term and len(stripped) >= MIN_LENGTH - 1 and passages_holding(stripped):
            return stripped
    # The most common, then the first in alphabetical order, so the choice is stable.
    known = [
        (-count, candidate)
        for candidate in set(_one_edit_away(term))
        if (count := passages_holding(candidate))
    ]
    return min(known)[1] if known else None
