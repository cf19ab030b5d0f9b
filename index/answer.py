"""From ranked hits to what a reader is shown: quotes from one copy of each story, each with the
sentence that answers the question marked (pure).

The answering sentence is the one whose distinct question terms weigh the most, a term weighing
its IDF (rare words carry the question: "Berapa nilai perdagangan ASEAN dan Rusia?" is answered
where "perdagangan", "ASEAN" and "Rusia" meet, not where "nilai" alone is); ties go to the
earlier sentence, as news puts the answer first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from index.analysis import analyze
from index.models import Hit
from index.split import PARAGRAPH_SEPARATOR, split_sentences


def answering_sentence(
    text: str, weights: Mapping[str, float], language: str
) -> tuple[str | None, float]:
    """The sentence of ``text`` that holds the heaviest set of question terms (``weights``,
    term -> weight, analysed in ``language``), and that weight; ``(None, 0.0)`` when no
    sentence holds any."""
    best: str | None = None
    best_weight = 0.0
    for paragraph in text.split(PARAGRAPH_SEPARATOR):
        for sentence in split_sentences(paragraph):
            weight = sum(weights.get(term, 0.0) for term in set(analyze(sentence, language)))
            if weight > best_weight:
                best, best_weight = sentence, weight
    return best, best_weight


def story_of(hit: Hit) -> str:
    """The story a hit belongs to: its article's own id until stories are grouped."""
    return hit.story_id or hit.article_id


def fold_copies(
    hits: Iterable[Hit], weights: Mapping[str, float], language: str, k: int
) -> list[Hit]:
    """At most ``k`` hits, in order, each with its answering sentence, and only from the first
    article of each story: other copies of a story say the same, so they are listed by outlet
    (``also_published_by``), not quoted again. Ranks are renumbered from 1.

    Several passages of one article stay: until ranking knows which of them answers, the
    best-scoring one may only mention the question's words where another holds the answer.
    """
    quoted: dict[str, str] = {}
    chosen: list[Hit] = []
    for hit in hits:
        if len(chosen) == k:
            break
        if quoted.setdefault(story_of(hit), hit.article_id) != hit.article_id:
            continue
        sentence, _ = answering_sentence(hit.text, weights, language)
        chosen.append(dataclasses.replace(hit, rank=len(chosen) + 1, answer_sentence=sentence))
    return chosen


def also_published_by(hit: Hit, copies: Sequence[tuple[str, str | None]]) -> tuple[str, ...]:
    """The outlets of the story's other copies (``(article_id, outlet)`` pairs), each once, the
    hit's own outlet left out."""
    outlets = (
        outlet
        for article_id, outlet in copies
        if article_id != hit.article_id and outlet and outlet != hit.outlet
    )
    return tuple(dict.fromkeys(outlets))
