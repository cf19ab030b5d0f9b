"""Tests of index.analysis: tokens, stopwords, stems, normalisation and language detection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

from index.analysis import (
    ENGLISH,
    INDONESIAN,
    analyze,
    analyze_question,
    chunk_analyzer,
    detect_language,
    normalize,
    words,
)
from index.analysis import _chunk_words as words_of_one_chunk

# The stopwords a term must never be: Sastrawi's list and the question words; English function
# words too when the text is English (in Indonesian "as" is AS, the United States).
QUESTION_WORDS = frozenset(
    "apa apakah siapa siapakah berapa berapakah kapan mengapa kenapa bagaimana "
    "what who whom whose which when where why how".split()
)
ENGLISH_STOPWORDS = frozenset("a an and are is was were the of to in for that with on by".split())
INDONESIAN_STOPWORDS = frozenset(StopWordRemoverFactory().get_stop_words()) | QUESTION_WORDS
ALL_STOPWORDS = INDONESIAN_STOPWORDS | ENGLISH_STOPWORDS

SEED_LEAD = (
    "Kemitraan strategis antara ASEAN dan Rusia sebagai salah satu negara mitra wicara telah "
    "menunjukkan perkembangan hubungan yang baik, salah satunya di bidang perdagangan yang "
    "nilainya meningkat menjadi 19,8 miliar dolar AS atau setara Rp267 triliun pada 2018."
)


# --- tokens ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("meningkat menjadi 19,8 miliar dolar", "19,8"),
        ("sebanyak 1.000 orang hadir", "1.000"),
        ("setara Rp267 triliun", "rp267"),
        ("inflasi 3,5 persen.", "3,5"),
        ("harga Rp1.250.000,50 per unit", "rp1.250.000,50"),
    ],
)
def test_numbers_keep_decimal_commas_and_thousands_dots(text: str, token: str) -> None:
    assert token in words(text)
    assert token in analyze(text)


def test_seed_lead_terms() -> None:
    terms = analyze(SEED_LEAD)
    assert "19,8" in terms
    assert "rp267" in terms
    assert "dagang" in terms  # perdagangan
    assert "2018" in terms
    # A figure is also found by its parts (a question may write 19.8); Rp267 is one token.
    assert "19" in terms
    assert "8" in terms
    assert "267" not in terms


def test_rp_amount_is_one_token() -> None:
    assert words("Rp267") == ["rp267"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pada 2018.", ["pada", "2018"]),
        ("naik 3,5, lalu", ["naik", "3,5", "3", "5", "lalu"]),
        ("akhir 1.000.", ["akhir", "1.000", "1", "000"]),
    ],
)
def test_sentence_punctuation_after_a_number_is_not_part_of_it(
    text: str, expected: list[str]
) -> None:
    assert words(text) == expected


def test_underscore_separates_words() -> None:
    assert words("kata_lain") == ["kata", "lain"]


# --- stopwords ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word", ["berapa", "siapa", "apa", "apakah", "kapan", "what", "how", "who", "yang", "dan"]
)
@pytest.mark.parametrize("language", [INDONESIAN, ENGLISH])
def test_stopwords_and_question_words_are_removed(word: str, language: str) -> None:
    assert analyze(word, language) == []
    assert analyze(word.upper(), language) == []


@pytest.mark.parametrize("word", ["the", "of", "is", "and"])
def test_english_stopwords_are_removed_from_english(word: str) -> None:
    assert analyze(word, ENGLISH) == []


def test_english_stopwords_are_kept_in_indonesian() -> None:
    # "AS" is Amerika Serikat, not the English "as".
    assert analyze("19,8 miliar dolar AS") == ["19,8", "19", "8", "miliar", "dolar", "as"]


@pytest.mark.parametrize(
    "question",
    [
        "Siapa dia?",
        "Apakah itu?",
        "Berapa banyak?",
        "Apa yang ada di sana?",
        "What is it?",
        "How much is it?",
        "",
        "?!...",
    ],
)
def test_question_of_only_stopwords_gives_no_terms(question: str) -> None:
    assert analyze_question(question) == []


def test_question_terms() -> None:
    assert analyze_question("Berapa nilai perdagangan ASEAN dan Rusia?") == [
        "nilai",
        "dagang",
        "asean",
        "rusia",
    ]


# --- stems ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("perdagangan", "dagang"),
        ("meningkat", "tingkat"),
        ("kemitraan", "mitra"),
        ("pertemuan", "temu"),
        ("Perdagangan", "dagang"),
    ],
)
def test_indonesian_words_are_stemmed(word: str, stem: str) -> None:
    assert analyze(word) == [stem]


def test_english_words_are_not_stemmed() -> None:
    assert analyze("trading values", ENGLISH) == ["trading", "values"]


@pytest.mark.parametrize("word", ["bali", "bekasi", "relawan", "susi", "batam", "medan"])
def test_protected_words_are_kept(word: str) -> None:
    assert analyze(word) == [word]
    assert analyze(word.capitalize()) == [word]


def test_numbers_and_mixed_tokens_are_not_stemmed() -> None:
    assert analyze("2018 rp267 19,8 covid19") == ["2018", "rp267", "19,8", "19", "8", "covid19"]


# --- normalisation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＰＥＲＤＡＧＡＮＧＡＮ", "perdagangan"),  # fullwidth letters (NFKC)
        ("ＡＳＥＡＮ", "asean"),
        ("Straße", "strasse"),  # casefold, not lower
        ("STRASSE", "strasse"),
        ("ﬁnal", "final"),  # ligature (NFKC)
        ("per\u200bdagangan", "perdagangan"),  # zero width space
        ("per\u200cdagangan", "perdagangan"),  # zero width non-joiner
        ("per\u200ddagangan", "perdagangan"),  # zero width joiner
        ("cafe\u0301", "café"),  # combining accent composed (NFKC)
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "text", ["per\u200bdagangan", "per\u200cdagangan", "per\u200ddagangan", "PER\u200bDAGANGAN"]
)
def test_zero_width_characters_do_not_split_words(text: str) -> None:
    assert words(text) == ["perdagangan"]
    assert analyze(text) == ["dagang"]


@pytest.mark.parametrize("character", ["\u2060", "\ufeff"])
def test_other_zero_width_characters_do_not_split_words(character: str) -> None:
    assert words(f"per{character}dagangan") == ["perdagangan"]


def test_fullwidth_digits_match_ascii_digits() -> None:
    assert analyze("１９,８ miliar") == analyze("19,8 miliar")


# --- language -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        SEED_LEAD,
        "Menteri Luar Negeri RI Retno Marsudi bersama Menteri Luar Negeri Rusia Sergey Lavrov "
        "memimpin pertemuan tersebut.",
        "Berapa nilai perdagangan ASEAN dan Rusia pada 2018?",
        "Siapa yang memimpin pertemuan itu?",
        "",
        "19,8 Rp267",
    ],
)
def test_detect_language_indonesian(text: str) -> None:
    assert detect_language(text) == INDONESIAN


@pytest.mark.parametrize(
    "text",
    [
        "The trade between ASEAN and Russia grew by 18 percent in 2018.",
        "What is the value of the trade with Russia?",
        "Who was the minister in charge of the meeting in Bangkok?",
    ],
)
def test_detect_language_english(text: str) -> None:
    assert detect_language(text) == ENGLISH


def test_english_question_is_analysed_without_stemming() -> None:
    assert analyze_question("What is the trading value between ASEAN and Russia?") == [
        "trading",
        "value",
        "between",
        "asean",
        "russia",
    ]


# --- properties -----------------------------------------------------------------------------

VOCABULARY = [
    "perdagangan",
    "meningkat",
    "kemitraan",
    "bali",
    "Bekasi",
    "relawan",
    "ASEAN",
    "Rusia",
    "19,8",
    "1.000",
    "Rp267",
    "2018",
    "yang",
    "dan",
    "di",
    "berapa",
    "siapa",
    "apa",
    "what",
    "how",
    "the",
    "of",
    "trade",
    "perdagangan,",
    "“naik",
    "kelas”",
    "ke-8",
    "2016-2020",
    "ＡＳＥＡＮ",
    "per\u200bdagangan",
    "Straße",
    "menteri",
    "kata_lain",
]
# A zero-width space between two words glues them ("di\u200byang" -> "diyang", stem "yang"),
# so here it only follows a space.
SEPARATORS = [" ", ", ", ". ", "? ", "! ", "\n\n", " - ", "\t", " \u200b"]

vocabulary_text = st.lists(
    st.tuples(st.sampled_from(VOCABULARY), st.sampled_from(SEPARATORS)), max_size=40
).map(lambda pairs: "".join(word + separator for word, separator in pairs))
any_text = st.one_of(vocabulary_text, st.text(max_size=200))


@settings(max_examples=200, deadline=None)
@given(text=any_text, language=st.sampled_from([INDONESIAN, ENGLISH]))
def test_analyze_is_deterministic_and_never_returns_empty_terms(text: str, language: str) -> None:
    first = analyze(text, language)
    assert analyze(text, language) == first
    assert all(term for term in first)
    assert not any(character.isspace() for term in first for character in term)
    assert len(first) <= len(words(text))


@settings(max_examples=200, deadline=None)
@given(text=any_text)
def test_english_analysis_never_returns_stopwords(text: str) -> None:
    assert not ALL_STOPWORDS.intersection(analyze(text, ENGLISH))


@settings(max_examples=150, deadline=None)
@given(text=vocabulary_text)
def test_indonesian_analysis_of_vocabulary_never_returns_stopwords(text: str) -> None:
    # Stopwords go before stemming (kepentingan stays a term though its stem is a stopword),
    # so the vocabulary holds no word whose Sastrawi stem is a stopword.
    assert not INDONESIAN_STOPWORDS.intersection(analyze(text, INDONESIAN))
    assert not INDONESIAN_STOPWORDS.intersection(analyze_question(text))


# --- chat spellings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chat", "standard"),
    [
        ("brp harga tiket yg dipake?", "berapa harga tiket yang dipakai?"),
        ("gimana banjir di jakarta kmrn", "bagaimana banjir di jakarta kemarin"),
        ("knp harga beras udah naik", "kenapa harga beras sudah naik"),
        ("tgl berapa pemilu thn ini", "tanggal berapa pemilu tahun ini"),
    ],
)
def test_chat_spellings_are_read_as_their_standard_forms(chat: str, standard: str) -> None:
    assert analyze_question(chat) == analyze_question(standard)
    assert analyze(chat) == analyze(standard)


def test_reduplication_is_found_by_its_single_form() -> None:
    assert analyze("anak-anak") == ["anak-anak", "anak"]
    assert analyze("Covid-19 pada 2016-2020") == ["covid-19", "2016-2020"]


def test_a_word_whose_stem_is_a_stopword_is_dropped() -> None:
    assert analyze("adanya") == []


# Characters where chunking could go wrong: every kind of whitespace, the invisible ones that
# are removed, combining marks, compatibility forms whose NFKC holds a space, decimal marks.
TRICKY = st.sampled_from(
    list(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2007\u200a")
    + list("\u2028\u2029\u202f\u205f\u3000")
    + list("\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad\u202a\u202e")
    + list("\u0301\u0308\u00a8\u00b4\u02dc\ufe49\u2474\u33c2\uff0c")
    + list("aAeé19.,-_$'\"()ß")
)


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(st.text(TRICKY, max_size=40), st.text(max_size=60), vocabulary_text))
def test_words_are_those_of_the_whole_normalised_text(text: str) -> None:
    # words() analyses each whitespace-separated chunk once and keeps it: the same tokens as
    # analysing the whole text as one chunk, asked twice (the second time from the cache).
    whole = words_of_one_chunk(text)
    assert words(text) == whole
    assert words(text) == whole


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(st.text(TRICKY, max_size=40), st.text(max_size=60), vocabulary_text),
    language=st.sampled_from([INDONESIAN, ENGLISH]),
)
def test_a_text_is_analysed_as_its_chunks_are(text: str, language: str) -> None:
    # What engine.SegmentBuilder relies on: each chunk between whitespace analysed on its
    # own gives the text's terms, and so does a text given whole as one chunk.
    terms_of_chunk = chunk_analyzer(language)
    expected = analyze(text, language)
    assert [term for chunk in text.split() for term in terms_of_chunk(chunk)] == expected
    assert list(terms_of_chunk(text)) == expected
