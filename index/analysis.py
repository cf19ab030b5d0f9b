"""Text -> index terms, the same for passages and questions (pure; Sastrawi lives here).

Terms are casefolded word tokens without stopwords; Indonesian words are reduced to their
Sastrawi stem (computed by ``index.stemmer`` from Sastrawi's dictionary), and dropped when the
stem is a stopword. Numbers keep their decimal comma or thousands dot (``19,8``, ``1.000``) so a
figure in a question matches the same figure in a passage, and also give their parts; hyphenated
words stay whole, a reduplication (``anak-anak``) giving its single word as well.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

from Sastrawi.Stemmer.StemmerFactory import StemmerFactory
from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

from index.stemmer import Stemmer

INDONESIAN = "id"
ENGLISH = "en"

# Zero-width spaces and joiners, word joiner, byte order mark, soft hyphen, direction marks.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad\u202a-\u202e]")
# Words and numbers, hyphenated ones whole ("2016-2020", "covid-19", "anak-anak"); a number
# keeps its decimal comma or thousands dot ("19,8", "1.000").
_TOKEN = re.compile(r"[^\W_]+(?:[.,]\d+)*(?:-[^\W_]+(?:[.,]\d+)*)*")
_PART = re.compile(r"[^\W_]+")
_ALPHABETIC = re.compile(r"[a-z]+")

# Question words carry no evidence: every question has one and no answer does.
_QUESTION_WORDS = frozenset(
    "apa apakah siapa siapakah berapa berapakah kapan kapankah dimana dimanakah mana manakah "
    "mengapa kenapa bagaimana bagaimanakah gimana brp apaan"
    " what who whom whose which when where why how".split()
)

_ENGLISH_STOPWORDS = frozenset(
    "a an and are as at be been being but by did do does for from had has have he her his i "
    "in into is it its me my no not of on or our she so than that the their them then there "
    "these they this those to too us was we were will with would you your about after also "
    "any can could if many much more most should over said says such up".split()
)

# Function words that tell the two languages apart. A text is English only when these clearly
# dominate: Indonesian news quotes English names ("The Queen of Cancer Control") in passing.
_ENGLISH_MARKERS = frozenset(
    "the and of to is was were are in for that with on by from this have has what who how "
    "when where why which did does".split()
)
_INDONESIAN_MARKERS = frozenset(
    "yang dan di ke dari untuk dengan pada ini itu dalam tidak akan oleh adalah juga bahwa "
    "sebagai telah sudah tersebut atau karena saat kepada bagi ia mereka kami kita ada para "
    "apa apakah siapa siapakah berapa berapakah kapan kapankah dimana dimanakah mana manakah "
    "bagaimana mengapa kenapa nama tahun".split()
)

# How people write in chats -> the standard form (question words among them, so they are
# dropped as stopwords like their standard forms).
_INFORMAL = {
    "yg": "yang",
    "dgn": "dengan",
    "dg": "dengan",
    "tdk": "tidak",
    "gak": "tidak",
    "ga": "tidak",
    "nggak": "tidak",
    "enggak": "tidak",
    "udah": "sudah",
    "udh": "sudah",
    "sdh": "sudah",
    "blm": "belum",
    "brp": "berapa",
    "gmn": "bagaimana",
    "gimana": "bagaimana",
    "knp": "kenapa",
    "kpn": "kapan",
    "dmn": "dimana",
    "utk": "untuk",
    "krn": "karena",
    "karna": "karena",
    "dlm": "dalam",
    "dr": "dari",
    "tsb": "tersebut",
    "thn": "tahun",
    "bln": "bulan",
    "tgl": "tanggal",
    "org": "orang",
    "kmrn": "kemarin",
    "skrg": "sekarang",
    "skrng": "sekarang",
    "aja": "saja",
    "emang": "memang",
    "gitu": "begitu",
    "bgt": "banget",
    "dipake": "dipakai",
    "pake": "pakai",
    "bikin": "buat",
    "dibikin": "dibuat",
    "kalo": "kalau",
    "jd": "jadi",
    "jgn": "jangan",
}

# Place and common names that Sastrawi cuts into other words (bali -> bal, bekasi -> bekas).
_PROTECTED_WORDS = frozenset("bali bekasi relawan susi batam medan".split())

_INDONESIAN_STOPWORDS = frozenset(StopWordRemoverFactory().get_stop_words()) | _QUESTION_WORDS
# English stopwords apply to English text only: in Indonesian "AS" is the United States.
_STOPWORDS = {
    INDONESIAN: _INDONESIAN_STOPWORDS,
    ENGLISH: _INDONESIAN_STOPWORDS | _ENGLISH_STOPWORDS,
}
_STEMMER = Stemmer(StemmerFactory().get_words())


class _TermOfWord(dict[str, str]):
    """Indonesian content word -> its term: its stem, or "" when the stem is a stopword
    ("adanya", "sebagainya" are dropped like one: +0.6 R@1 on FacQA valid). Kept for the
    process: a corpus repeats its words, so each is stemmed once (an archive's vocabulary fits
    easily in memory)."""

    def __missing__(self, word: str) -> str:
        stem = compute_stem(word)
        term = self[word] = "" if stem in _INDONESIAN_STOPWORDS else stem
        return term


_TERM_OF_WORD = _TermOfWord()


def normalize(text: str) -> str:
    """NFKC, casefolded, with invisible characters that would split a word removed."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text).casefold())


class _PerChunk(dict[str, tuple[str, ...]]):
    """Chunk of raw text between whitespace -> its tokens.

    No token spans whitespace and normalising never joins two chunks, so a text's tokens are
    its chunks' tokens in order; and texts repeat their chunks ("Jakarta,", "pemerintah"), so
    each is analysed once per process. Bounded: past ``_CHUNKS_KEPT`` chunks, a new one is
    analysed each time it comes.
    """

    def __init__(self, analyse: Callable[[str], Iterable[str]]) -> None:
        super().__init__()
        self._analyse = analyse

    def __missing__(self, chunk: str) -> tuple[str, ...]:
        tokens = tuple(self._analyse(chunk))
        if len(self) < _CHUNKS_KEPT:
            self[chunk] = tokens
        return tokens

    def of(self, text: str) -> list[str]:
        return list(itertools.chain.from_iterable(map(self.__getitem__, text.split())))


_CHUNKS_KEPT = 200_000


def _chunk_words(chunk: str) -> list[str]:
    found: list[str] = []
    for token in _TOKEN.findall(normalize(chunk)):
        word = _INFORMAL.get(token, token)
        found.append(word)
        if "-" in word:
            # A reduplication is also its single word ("anak-anak" is found by "anak"); other
            # hyphenated words stay whole (their parts as well cost FacQA R@1).
            single, *rest = word.split("-")
            if all(part == single for part in rest):
                found.append(single)
        elif "," in word or "." in word:
            # A number is also its parts: a question writes 19.8 or 1000 where news has "19,8"
            # and "1.000".
            found.extend(_PART.findall(word))
    return found


_WORDS = _PerChunk(_chunk_words)


def _content_of_chunk(language: str, chunk: str) -> Iterable[str]:
    return itertools.filterfalse(_STOPWORDS[language].__contains__, _WORDS[chunk])


_CONTENT_TOKENS = {
    language: _PerChunk(functools.partial(_content_of_chunk, language)) for language in _STOPWORDS
}


def words(text: str) -> list[str]:
    """Casefolded word tokens, stopwords kept, chat spellings in their standard form."""
    return _WORDS.of(text)


def detect_language(text: str) -> str:
    """``"en"`` when English function words outnumber Indonesian ones twice, else ``"id"``."""
    tokens = words(text)
    english = sum(map(_ENGLISH_MARKERS.__contains__, tokens))
    indonesian = sum(map(_INDONESIAN_MARKERS.__contains__, tokens))
    return ENGLISH if english > 2 * indonesian else INDONESIAN


def compute_stem(word: str) -> str:
    """Sastrawi's stem of one word; names it breaks, numbers and codes stay as they are."""
    if word in _PROTECTED_WORDS or not _ALPHABETIC.fullmatch(word):
        return word
    return _STEMMER.stem(word)


def content_tokens(text: str, language: str = INDONESIAN) -> list[str]:
    """Word tokens without stopwords: the first half of analysis."""
    return _CONTENT_TOKENS[language].of(text)


def stemmed(tokens: list[str], language: str = INDONESIAN) -> list[str]:
    """Index terms from content tokens: the second half of analysis."""
    if language == ENGLISH:
        return tokens
    return list(filter(None, map(_TERM_OF_WORD.__getitem__, tokens)))


def _terms_of_chunk(language: str, chunk: str) -> Iterable[str]:
    # Straight from the chunk's words: the caches of words and content tokens are for their
    # own callers, and filling them for every chunk would triple the memory held.
    stopwords = _STOPWORDS[language]
    return stemmed([word for word in _chunk_words(chunk) if word not in stopwords], language)


_TERMS = {
    language: _PerChunk(functools.partial(_terms_of_chunk, language)) for language in _STOPWORDS
}


def chunk_analyzer(language: str = INDONESIAN) -> Callable[[str], Sequence[str]]:
    """``analyze`` for one chunk of text between whitespace, remembered per process. A text's
    terms are its chunks' terms in order, so a bulk builder (``engine.SegmentBuilder``) can
    analyse each distinct chunk once."""
    return _TERMS[language].__getitem__


def analyze(text: str, language: str = INDONESIAN) -> list[str]:
    """Index terms of ``text``, in order, repeats kept (BM25 counts them)."""
    return _TERMS[language].of(text)


def analyze_question(question: str) -> list[str]:
    """Index terms of a question, analysed in the language it is written in."""
    return analyze(question, detect_language(question))


# Words that only say the reader wants news ("berita banjir", "news about floods"): searched,
# they would find passages that mention news, not the news asked for.
_NEWS_WORDS = (
    "berita kabar warta artikel liputan news article articles story stories headline headlines"
)


@functools.cache
def _news_terms(language: str) -> frozenset[str]:
    return frozenset(analyze(_NEWS_WORDS, language))


def question_terms(question: str, language: str = INDONESIAN) -> list[str]:
    """Index terms of a question, less the words that only say it asks for news."""
    news = _news_terms(language)
    return [term for term in analyze(question, language) if term not in news]
