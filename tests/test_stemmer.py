"""index.stemmer returns exactly what Sastrawi returns: a differential test, as for the engine
against rank-bm25."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

from index.analysis import words
from index.models import RawArticle
from index.sources import ReadOptions, read_file, source_files
from index.stemmer import Stemmer

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "index" / "sample"
CORPUS = ROOT.parent / "shared" / "corpus"

_FACTORY = StemmerFactory()
SASTRAWI = _FACTORY.create_stemmer()
OURS = Stemmer(_FACTORY.get_words())
LOWERCASE_WORD = re.compile(r"[a-z]+")

# Affixes and pieces of roots that exercise every rule: prefixes and their sound changes,
# infixes, particles, pronouns, derivational suffixes, and short words.
PREFIXES = (
    "di ke se ber be ter te me mem men meng meny mempe memp pe per pem pen peng peny penge"
    " menge ku kau pel bel"
).split()
PIECES = "ajar tulis sapu kirim er el em in a i u o e r l k bangun ambil rasa kan t s erti ingat"
SUFFIXES = "i an kan is isme isasi lah kah tah pun ku mu nya kannya annya inya kanlah".split()


def assert_same_as_sastrawi(candidates: Iterable[str]) -> None:
    different = [
        (word, ours, theirs)
        for word in sorted(set(candidates))
        if (ours := OURS.stem(word)) != (theirs := SASTRAWI.stem(word))
    ]
    assert different == []


def vocabulary(folder: Path) -> set[str]:
    found: set[str] = set()
    for path, root in source_files(folder):
        for item in read_file(path, root, ReadOptions()):
            if isinstance(item, RawArticle):
                found.update(words(f"{item.title or ''} {item.body}"))
    return {word for word in found if LOWERCASE_WORD.fullmatch(word)}


def test_known_stems() -> None:
    assert [
        OURS.stem(word) for word in ["perdagangan", "meningkatkan", "pelajar", "mentaati"]
    ] == [
        "dagang",
        "tingkat",
        "ajar",
        "taat",
    ]


def test_same_as_sastrawi_on_the_sample_corpus() -> None:
    assert_same_as_sastrawi(vocabulary(SAMPLE))


def test_same_as_sastrawi_on_root_words_and_short_words() -> None:
    roots = [word for word in _FACTORY.get_words() if LOWERCASE_WORD.fullmatch(word)]
    short = ["a", "an", "di", "ku", "kan", "nya", "pun", "ter", "bel", "men", "sel", "ban"]
    assert_same_as_sastrawi([*random.Random(7).sample(roots, 3000), *short])


def test_same_as_sastrawi_on_generated_affix_combinations() -> None:
    generator = random.Random(11)
    pieces = PIECES.split()
    generated = {
        generator.choice(["", *PREFIXES])
        + "".join(generator.choice(pieces) for _ in range(generator.randint(0, 2)))
        + generator.choice(["", *SUFFIXES])
        for _ in range(20_000)
    }
    assert_same_as_sastrawi(word for word in generated if word)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abdegiklmnprstuy", min_size=1, max_size=12))
def test_same_as_sastrawi_on_any_word(word: str) -> None:
    assert OURS.stem(word) == SASTRAWI.stem(word)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent on this machine")
def test_same_as_sastrawi_on_a_sample_of_the_shared_corpus() -> None:
    found = sorted(vocabulary(CORPUS))
    assert_same_as_sastrawi(random.Random(3).sample(found, min(len(found), 15_000)))
