"""Ranking beyond BM25: the passages BM25 finds, re-ordered by how they answer (pure).

BM25 sees a passage as a bag of words. A reader wants the passage where the question's words
meet in one sentence, next to each other as the question puts them, beside the kind of fact
asked for (a figure for "berapa", a date for "kapan", a name for "siapa"). Each candidate gets
its BM25 score relative to the best candidate's, plus, weighted:

- **coverage**: the share of the question's weight (term IDFs) held by its best sentence;
- **answer type**: whether that sentence holds a fact of the asked-for kind the question does
  not already state;
- **proximity**: the share of the question's weight in consecutive question terms that stand
  within ``_NEAR`` terms of each other in the passage.

The weights were fitted on the FacQA train questions and checked on the valid ones
(``newsbot eval --without FEATURE`` shows each feature's share); pseudo-relevance feedback was
tried the same way, gained nothing on train and cost valid, so it is not here.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from index.analysis import analyze, words
from index.models import Hit
from index.split import PARAGRAPH_SEPARATOR, split_sentences
from index.when import MONTHS, WEEKDAYS

# Candidates re-ordered per question: BM25 puts the passage that answers in its first 30 for
# 95-96% of FacQA questions.
CANDIDATES = 30
# Terms apart (stopwords not counted) for two question terms to stand together.
_NEAR = 2


@dataclass(frozen=True)
class RankingWeights:
    """The features' weights; a weight of 0 switches its feature off. ``spelling``, on or off,
    reads a question term no passage holds as the known term it likely misspells (see
    index.spelling)."""

    coverage: float = 0.8
    answer_type: float = 0.3
    proximity: float = 0.2
    spelling: float = 1.0

    def without(self, *features: str) -> RankingWeights:
        """These weights with the named features switched off."""
        unknown = set(features) - set(FEATURES)
        if unknown:
            raise ValueError(
                f"unknown ranking feature {', '.join(sorted(unknown))}; the features are"
                f" {', '.join(FEATURES)}"
            )
        return dataclasses.replace(self, **dict.fromkeys(features, 0.0))


FEATURES = tuple(field.name for field in dataclasses.fields(RankingWeights))


class AnswerType(enum.Enum):
    NUMBER = "number"
    DATE = "date"
    NAME = "name"


@dataclass(frozen=True)
class Evidence:
    """How a passage answers a question: its best sentence and the features that rank it.
    Coverages are shares of the question's weight: held by the best sentence, and by the
    passage with its article's title."""

    sentence: str | None
    coverage: float
    answer_type: bool
    proximity: float
    passage_coverage: float


_NO_EVIDENCE = Evidence(None, 0.0, False, 0.0, 0.0)


_NUMBER_WORDS = frozenset(
    "satu dua tiga empat lima enam tujuh delapan sembilan sepuluh sebelas belas puluh ratus"
    " ribu juta miliar triliun seratus seribu setengah separuh persen"
    " one two three four five six seven eight nine ten hundred thousand million billion"
    " percent".split()
)
_DATE_NUMBER = re.compile(r"(?:1[89]|20)\d\d|\d{1,2}/\d{1,2}(?:/\d{2,4})?")
# A written word as it stands in the text, capital letters kept.
_WRITTEN_WORD = re.compile(r"[^\W_][\w'’-]*")
# Question phrases that ask for a date, then a figure, then a name; the first that matches
# tells the type ("tahun berapa" asks for a date, though "berapa" alone asks for a figure).
_ASKS_FOR = (
    (AnswerType.DATE, re.compile(r"\b(?:kapan\w*|when|(?:tahun|tanggal|bulan|hari) berapa\w*)\b")),
    (AnswerType.NUMBER, re.compile(r"\b(?:berapa\w*|brp|how (?:many|much|long|far|old))\b")),
    (AnswerType.NAME, re.compile(r"\b(?:siapa\w*|who|whom|di ?mana\w*|where|nama)\b")),
)


def asked_type(question: str) -> AnswerType | None:
    """The kind of fact a question asks for, when its words say so."""
    text = " ".join(words(question))
    return next((kind for kind, pattern in _ASKS_FOR if pattern.search(text)), None)


def _holds(sentence: str, kind: AnswerType, stated: frozenset[str]) -> bool:
    """Whether the sentence holds a fact of this kind that the question does not state."""
    if kind is AnswerType.NAME:
        # A capitalised word past the first, which the question does not have.
        return any(
            word[0].isupper() and word.casefold() not in stated
            for word in _WRITTEN_WORD.findall(sentence)[1:]
        )
    for word in words(sentence):
        if word in stated:
            continue
        if kind is AnswerType.NUMBER and (word in _NUMBER_WORDS or any(map(str.isdigit, word))):
            return True
        if kind is AnswerType.DATE and (
            word in MONTHS or word in WEEKDAYS or _DATE_NUMBER.fullmatch(word)
        ):
            return True
    return False


@dataclass(frozen=True)
class Question:
    """What ranking needs of a question: its terms' weights (term -> IDF times occurrences; a
    term no passage holds weighs as the rarest would), their order, its language, the fact it
    asks for and the words it states."""

    weights: Mapping[str, float]
    order: tuple[str, ...]
    language: str
    asks_for: AnswerType | None
    stated: frozenset[str]

    @classmethod
    def of(
        cls, text: str, terms: Sequence[str], weights: Mapping[str, float], language: str
    ) -> Question:
        return cls(
            weights=weights,
            order=tuple(term for term in dict.fromkeys(terms) if term in weights),
            language=language,
            asks_for=asked_type(text),
            stated=frozenset(words(text)),
        )

    @property
    def total(self) -> float:
        return sum(self.weights.values())


def evidence(text: str, question: Question, heading: str = "") -> Evidence:
    """How the passage ``text`` (from an article titled ``heading``) answers the question."""
    total = question.total
    if not total:
        return _NO_EVIDENCE
    sentences = [
        sentence
        for paragraph in text.split(PARAGRAPH_SEPARATOR)
        for sentence in split_sentences(paragraph)
    ]
    terms = [analyze(sentence, question.language) for sentence in sentences]
    weights = question.weights
    covered = [sum(weights.get(term, 0.0) for term in set(found)) for found in terms]
    best = max(covered, default=0.0)
    if not best:
        return _NO_EVIDENCE
    kind = question.asks_for
    # Ties go to the earlier sentence, as news puts the answer first; among the sentences that
    # hold the most, the first with a fact of the asked-for kind.
    tied = [
        sentence for sentence, weight in zip(sentences, covered, strict=True) if weight == best
    ]
    typed = [sentence for sentence in tied if kind and _holds(sentence, kind, question.stated)]
    in_passage = [term for found in terms for term in found]
    held = set(in_passage).union(analyze(heading, question.language))
    return Evidence(
        sentence=(typed or tied)[0],
        coverage=best / total,
        answer_type=bool(typed),
        proximity=_proximity(in_passage, question) / total,
        passage_coverage=sum(weights[term] for term in held if term in weights) / total,
    )


def _proximity(terms: Sequence[str], question: Question) -> float:
    positions: dict[str, list[int]] = {}
    for position, term in enumerate(terms):
        if term in question.weights:
            positions.setdefault(term, []).append(position)
    near = 0.0
    for first, second in itertools.pairwise(question.order):
        if any(
            abs(one - other) <= _NEAR
            for one in positions.get(first, ())
            for other in positions.get(second, ())
        ):
            near += min(question.weights[first], question.weights[second])
    return near


def heading(hit: Hit) -> str:
    """What an article's passages share: its title and dateline city (indexed with each)."""
    return " ".join(filter(None, (hit.title, hit.city)))


def rerank(
    hits: Sequence[Hit], question: Question, weights: RankingWeights
) -> list[tuple[Hit, Evidence]]:
    """The hits (best BM25 first) in the order of their combined score, each with its
    evidence; of equal scores the newer article goes first (then BM25's order)."""
    if not hits:
        return []
    top = hits[0].score or 1.0
    found = [(hit, evidence(hit.text, question, heading(hit))) for hit in hits]

    def combined(pair: tuple[Hit, Evidence]) -> tuple[float, str]:
        hit, seen = pair
        score = (
            hit.score / top
            + weights.coverage * seen.coverage
            + weights.answer_type * seen.answer_type
            + weights.proximity * seen.proximity
        )
        # ISO 8601 dates order as text; an undated article loses a tie.
        return score, hit.published or ""

    return sorted(found, key=combined, reverse=True)
