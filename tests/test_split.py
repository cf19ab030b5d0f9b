"""Tests of index.split: sentences and passages of whole sentences under the size limit."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from index.models import Passage
from index.split import (
    MAX_PASSAGE_CHARS,
    PARAGRAPH_SEPARATOR,
    TARGET_PASSAGE_CHARS,
    split_passages,
    split_sentences,
)

SEED_PARAGRAPHS = (
    "Kemitraan strategis antara ASEAN dan Rusia sebagai salah satu negara mitra wicara telah "
    "menunjukkan perkembangan hubungan yang baik, salah satunya di bidang perdagangan yang "
    "nilainya meningkat menjadi 19,8 miliar dolar AS atau setara Rp267 triliun pada 2018.",
    "Dipimpin Indonesia selaku koordinator kemitraan ASEAN-Rusia, perkembangan hubungan ASEAN "
    "dan Rusia itu dibahas dalam salah satu rangkaian Pertemuan Tingkat Menteri ASEAN dan Mitra "
    "Wicara ASEAN (AMM/PMC) di Bangkok, Thailand, Rabu (31/7).",
    "Menteri Luar Negeri RI Retno Marsudi bersama Menteri Luar Negeri Rusia Sergey Lavrov "
    "memimpin pertemuan tersebut.",
    "“Di bidang ekonomi kita mencatat satu kenaikan yang cukup signifikan, yakni perdagangan "
    "antara ASEAN dan Rusia yang meningkat 18 persen dibandingkan tahun 2017. Ini berarti Rusia "
    "adalah mitra dagang terbesar ke-8 bagi ASEAN,” kata Menlu Retno dalam taklimat media di "
    "Bangkok, seperti disampaikan Kemlu RI, Kamis.",
    "Perkembangan hubungan ASEAN-Rusia juga disebut Retno “naik kelas” menjadi kemitraan "
    "strategis.",
    "Dalam kerangka kemitraan tersebut, sebanyak 79 dari total 139 rencana aksi yang disepakati "
    "ASEAN dan Rusia untuk periode 2016-2020 telah diimplementasikan.",
)


def sentences_of(paragraphs: Sequence[str]) -> list[str]:
    return [sentence for paragraph in paragraphs for sentence in split_sentences(paragraph)]


def assert_sentences_in_order(sentences: Sequence[str], passages: Sequence[Passage]) -> None:
    """Each sentence lies whole inside one passage, in reading order."""
    index, offset = 0, 0
    for sentence in sentences:
        while index < len(passages):
            found = passages[index].text.find(sentence, offset)
            if found >= 0:
                offset = found + len(sentence)
                break
            index, offset = index + 1, 0
        else:
            pytest.fail(f"sentence missing or out of order: {sentence!r}")


def assert_well_formed(article_id: str, passages: Sequence[Passage], limit: int) -> None:
    for ordinal, passage in enumerate(passages, start=1):
        assert passage.passage_id == f"{article_id}#{ordinal}"
        assert passage.article_id == article_id
        assert passage.ordinal == ordinal
        assert 0 < len(passage.text) <= limit
        assert passage.text.strip() == passage.text


# --- sentences ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        (
            "Pasien ditangani dr. Budi di rumah sakit. Ia sembuh.",
            ["Pasien ditangani dr. Budi di rumah sakit.", "Ia sembuh."],
        ),
        ("Prof. Ahmad hadir. Dia bicara.", ["Prof. Ahmad hadir.", "Dia bicara."]),
        (
            "Rumah No. 5 di Jl. Sudirman dijual. Harganya mahal.",
            ["Rumah No. 5 di Jl. Sudirman dijual.", "Harganya mahal."],
        ),
        (
            "Presiden B. J. Habibie meresmikan jembatan. Warga senang.",
            ["Presiden B. J. Habibie meresmikan jembatan.", "Warga senang."],
        ),
        ("Inflasi 3,5 persen. Naik lagi.", ["Inflasi 3,5 persen.", "Naik lagi."]),
        (
            "Sebanyak 1.000 orang hadir. Acara usai.",
            ["Sebanyak 1.000 orang hadir.", "Acara usai."],
        ),
        ("Hebat! Benarkah? Ya.", ["Hebat!", "Benarkah?", "Ya."]),
        ("“Kami siap.” Kata dia.", ["“Kami siap.”", "Kata dia."]),
        ("“Apa kabar?” Tanya dia.", ["“Apa kabar?”", "Tanya dia."]),
        ("Naik 18 persen. 2019 lebih baik.", ["Naik 18 persen.", "2019 lebih baik."]),
        ("Harganya Rp5.000. Mahal.", ["Harganya Rp5.000.", "Mahal."]),
        ("tanpa titik di akhir", ["tanpa titik di akhir"]),
        (
            "kalimat. huruf kecil tidak memulai kalimat.",
            ["kalimat. huruf kecil tidak memulai kalimat."],
        ),
        ("", []),
        ("   ", []),
    ],
)
def test_split_sentences(paragraph: str, expected: list[str]) -> None:
    assert split_sentences(paragraph) == expected


@pytest.mark.parametrize("paragraph", SEED_PARAGRAPHS)
def test_split_sentences_keeps_the_text(paragraph: str) -> None:
    assert " ".join(split_sentences(paragraph)) == paragraph


def test_seed_quote_is_two_sentences() -> None:
    assert len(split_sentences(SEED_PARAGRAPHS[3])) == 2


# --- passages -------------------------------------------------------------------------------


def test_seed_passages() -> None:
    passages = split_passages("seed", SEED_PARAGRAPHS)
    assert_well_formed("seed", passages, MAX_PASSAGE_CHARS)
    joined = PARAGRAPH_SEPARATOR.join(passage.text for passage in passages)
    assert joined == PARAGRAPH_SEPARATOR.join(SEED_PARAGRAPHS)
    assert_sentences_in_order(sentences_of(SEED_PARAGRAPHS), passages)
    assert len(passages) > 1


def test_short_paragraphs_are_packed_up_to_the_target() -> None:
    paragraphs = [f"Paragraf nomor {n} berisi satu kalimat pendek." for n in range(40)]
    passages = split_passages("a", paragraphs)
    assert len(passages) < len(paragraphs)
    for passage in passages:
        assert len(passage.text) <= TARGET_PASSAGE_CHARS
    assert [part for p in passages for part in p.text.split(PARAGRAPH_SEPARATOR)] == paragraphs


def test_long_paragraph_is_cut_at_sentence_ends() -> None:
    sentences = [
        f"Kalimat ke-{n} menyebut dr. Budi dan Prof. Ani di Jl. Merdeka No. {n} dengan nilai "
        f"{n},5 persen."
        for n in range(1, 41)
    ]
    paragraph = " ".join(sentences)
    assert len(paragraph) > 3 * MAX_PASSAGE_CHARS
    passages = split_passages("long", [paragraph])
    assert_well_formed("long", passages, MAX_PASSAGE_CHARS)
    assert len(passages) >= 4
    assert " ".join(passage.text for passage in passages) == paragraph
    for passage in passages:
        assert passage.text.endswith("persen.")
    assert_sentences_in_order(sentences, passages)


def test_single_word_over_the_limit() -> None:
    word = "x" * 2001
    passages = split_passages("w", [f"Awal. {word} akhir."])
    assert_well_formed("w", passages, MAX_PASSAGE_CHARS)
    assert "".join(passage.text.replace(" ", "") for passage in passages) == f"Awal.{word}akhir."


def test_no_paragraphs_no_passages() -> None:
    assert split_passages("none", []) == []
    assert split_passages("none", [""]) == []


def test_ids_count_from_one() -> None:
    paragraphs = ["Satu kalimat. " * 70, "Dua kalimat. " * 70]
    passages = split_passages("dir/artikel", [p.strip() for p in paragraphs])
    assert [p.passage_id for p in passages] == [f"dir/artikel#{n}" for n in range(1, 5)]
    assert [p.ordinal for p in passages] == [1, 2, 3, 4]
    assert {p.article_id for p in passages} == {"dir/artikel"}


def test_whitespace_only_paragraph_gives_no_passage() -> None:
    assert split_passages("ws", ["   "]) == []


# --- properties -----------------------------------------------------------------------------

WORDS = [
    "kata",
    "Jakarta",
    "ASEAN-Rusia",
    "dr.",
    "Prof.",
    "No.",
    "5",
    "B.",
    "J.",
    "3,5",
    "1.000",
    "Rp267",
    "“Kami",
    "siap.”",
    "naik!",
    "benarkah?",
    "(31/7).",
    "Ini",
    "ke-8",
    "Jl.",
    "…",
    "U.S.",
    "e.g.",
]

plain_word = st.text(alphabet="abcdeghiklmnoprstuyABDJKMPRS0123456789", min_size=1, max_size=15)
word = st.one_of(st.sampled_from(WORDS), plain_word, plain_word)
# Words with no sentence mark, for the long run-on sentences of the long paragraphs.
run_on_word = st.one_of(
    plain_word, st.sampled_from(["Jakarta", "3,5", "1.000", "Rp267", "ke-8", "ASEAN-Rusia"])
)
long_word = st.builds(
    lambda letter, size: letter * size,
    st.sampled_from("aZ9"),
    st.integers(min_value=MAX_PASSAGE_CHARS - 5, max_value=1300),
)
end_mark = st.sampled_from([".", ".", "!", "?", ".”", "?”", "", "…"])


def sentence(
    words: st.SearchStrategy[str], min_words: int, max_words: int
) -> st.SearchStrategy[str]:
    return st.builds(
        lambda chosen, end: " ".join(chosen) + end,
        st.lists(words, min_size=min_words, max_size=max_words),
        end_mark,
    )


def with_word(sentences: list[str], extra: str, at: int) -> str:
    words = " ".join(sentences).split(" ")
    words.insert(at % (len(words) + 1), extra)
    return " ".join(words)


def grown(sentences: list[str], size: int) -> str:
    """Sentences repeated in turn until the paragraph holds ``size`` characters."""
    text = " ".join(sentences)
    while len(text) < size:
        text = f"{text} {' '.join(sentences)}"
    return text


def placed(texts: list[str], extra: str | None, at: int) -> list[str]:
    if extra is None:
        return texts
    return [*texts[: at % (len(texts) + 1)], extra, *texts[at % (len(texts) + 1) :]]


# split_sentences is quadratic (see test_split_sentences_is_fast_on_long_paragraphs): each
# sentence end rescans the whole paragraph before it, and a long word costs its length squared
# in every rescan. So the 10,000-character paragraphs are made of long run-on sentences, a word
# over the limit sits in a short paragraph of its own, and a list has at most one of each.
short_paragraph = st.lists(sentence(word, 1, 25), min_size=1, max_size=8).map(" ".join)
long_word_paragraph = st.builds(
    with_word,
    st.lists(sentence(run_on_word, 1, 10), min_size=1, max_size=3),
    long_word,
    st.integers(min_value=0, max_value=40),
)
long_sentence = st.builds(
    lambda chosen, repeat, end: " ".join(chosen * repeat) + end,
    st.lists(run_on_word, min_size=5, max_size=15),
    st.integers(min_value=4, max_value=10),
    end_mark,
)
long_paragraph = st.builds(
    grown,
    st.lists(long_sentence, min_size=1, max_size=4),
    st.integers(min_value=MAX_PASSAGE_CHARS, max_value=12_000),
)
paragraph = st.one_of(short_paragraph, long_word_paragraph, long_paragraph)
paragraphs = st.builds(
    placed,
    st.builds(
        placed,
        st.lists(short_paragraph, max_size=5),
        st.one_of(st.none(), long_word_paragraph),
        st.integers(min_value=0, max_value=5),
    ),
    st.one_of(st.none(), long_paragraph),
    st.integers(min_value=0, max_value=6),
)

LONG_WORD = "k" * 1234
RUN_ON = " ".join(["kata"] * 120) + " dr. Budi berkata."
TEN_THOUSAND = grown([RUN_ON, "Ini kalimat kedua yang pendek."], 10_000)


def input_words(texts: Sequence[str]) -> list[str]:
    return [w for text in texts for w in text.split()]


def assert_words_kept(texts: Sequence[str], passages: Sequence[Passage], limit: int) -> None:
    """The non-space characters are the same and in order; words within the limit stay whole."""
    output = [passage.text for passage in passages]
    assert "".join(input_words(output)) == "".join(input_words(texts))
    remaining = iter(input_words(output))
    for w in input_words(texts):
        if len(w) <= limit:
            assert w in remaining, f"word {w!r} cut or out of order"


@settings(max_examples=150, deadline=None)
@given(texts=paragraphs)
@example(texts=[LONG_WORD])
@example(texts=[f"Awal kalimat. {LONG_WORD} lanjut. Akhir."])
@example(texts=[TEN_THOUSAND])
@example(texts=[TEN_THOUSAND, "Pendek.", TEN_THOUSAND.replace(".", "")])
def test_split_passages_properties(texts: list[str]) -> None:
    passages = split_passages("art", texts)
    assert_well_formed("art", passages, MAX_PASSAGE_CHARS)
    assert_words_kept(texts, passages, MAX_PASSAGE_CHARS)
    assert split_passages("art", texts) == passages


@settings(max_examples=100, deadline=None)
@given(texts=paragraphs)
@example(texts=[TEN_THOUSAND])
def test_sentences_within_the_limit_stay_whole_and_in_order(texts: list[str]) -> None:
    passages = split_passages("art", texts)
    whole = [s for s in sentences_of(texts) if len(s) <= MAX_PASSAGE_CHARS]
    assert_sentences_in_order(whole, passages)


@settings(max_examples=150, deadline=None)
@given(
    texts=st.lists(
        st.lists(st.one_of(st.sampled_from(WORDS), plain_word), min_size=1, max_size=60).map(
            " ".join
        ),
        max_size=6,
    ),
    limit=st.integers(min_value=20, max_value=MAX_PASSAGE_CHARS),
    data=st.data(),
)
def test_split_passages_with_other_limits(
    texts: list[str], limit: int, data: st.DataObject
) -> None:
    target = data.draw(st.integers(min_value=1, max_value=limit), label="target")
    passages = split_passages("x", texts, target=target, limit=limit)
    assert_well_formed("x", passages, limit)
    assert_words_kept(texts, passages, limit)


@settings(max_examples=100, deadline=None)
@given(text=paragraph)
@example(text=TEN_THOUSAND)
def test_split_sentences_loses_nothing(text: str) -> None:
    sentences = split_sentences(text)
    assert all(s and s == s.strip() for s in sentences)
    assert " ".join(sentences) == text
    assert split_sentences(text) == sentences
