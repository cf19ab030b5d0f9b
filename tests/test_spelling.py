"""A question term no passage holds, read as the known term it likely misspells (pure)."""

from __future__ import annotations

import pytest

from index.spelling import correction

KNOWN = {"lhokseumawe": 12, "blackpink": 40, "latin": 3, "banjir": 900, "banjar": 80, "ugm": 5}


@pytest.mark.parametrize(
    ("term", "meant"),
    [
        ("lhoksemawe", "lhokseumawe"),  # a letter left out
        ("blakpink", "blackpink"),
        ("blackpnik", "blackpink"),  # two swapped
        ("blackpinkk", "blackpink"),  # one too many
        ("latinnya", "latin"),  # a suffix the stemmer left on
        ("banjr", "banjir"),  # "banjar" is as near, but rarer
    ],
)
def test_an_unknown_term_reads_as_the_known_term_it_misspells(term: str, meant: str) -> None:
    assert correction(term, lambda candidate: KNOWN.get(candidate, 0)) == meant


@pytest.mark.parametrize(
    "term",
    [
        "banjir",  # known: searched as written
        "ugx",  # too short: codes and abbreviations
        "tsunamix2",  # not a word
        "zzzzzzzz",  # nothing near
        "jakartà",  # not ASCII
        "blackpimk",  # a letter replaced: names the archive lacks would become its words
        "banjor",
    ],
)
def test_known_short_and_distant_terms_are_left_alone(term: str) -> None:
    assert correction(term, lambda candidate: KNOWN.get(candidate, 0)) is None
