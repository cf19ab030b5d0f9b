"""From ranked passages to what a reader is shown (pure): one quote per story, each with the
sentence that answers marked and the other outlets that carried it, or, when the evidence is
weak, an honest "not found" with the nearest matches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from index.models import Answer, Hit
from index.rank import Evidence


def story_of(hit: Hit) -> str:
    """The story a hit belongs to: its article's own id until stories are grouped."""
    return hit.story_id or hit.article_id


def one_per_story(ranked: Iterable[tuple[Hit, Evidence]], k: int) -> list[Hit]:
    """The first ``k`` ranked hits of distinct stories, each with its answering sentence and
    confidence, ranks renumbered from 1: the other passages of a story say the same or less,
    and its other copies are listed by outlet (``also_published_by``), not quoted again."""
    quoted: set[str] = set()
    chosen: list[Hit] = []
    for hit, evidence in ranked:
        if len(chosen) == k:
            break
        if story_of(hit) in quoted:
            continue
        quoted.add(story_of(hit))
        chosen.append(
            dataclasses.replace(
                hit,
                rank=len(chosen) + 1,
                answer_sentence=evidence.sentence,
                confidence=confidence(evidence),
            )
        )
    return chosen


# How confidence weighs the share of the question's weight the passage (with its title)
# holds, and the share its best sentence holds; and the confidence below which the archive
# declines to answer. Fitted on FacQA: the question's weight found in the passage tells a
# passage that answers from the nearest one when the answer is missing.
_PASSAGE_SHARE = 0.8
CONFIDENT = 0.5


def confidence(evidence: Evidence) -> float:
    """How sure the archive is that the passage answers, from 0 to 1."""
    return _PASSAGE_SHARE * evidence.passage_coverage + (1 - _PASSAGE_SHARE) * evidence.coverage


# The hits a reader sees first; one of them must be strong for the archive to answer.
_FIRST_HITS = 3


def declines(hits: Sequence[Hit]) -> bool:
    """Whether the first hits are all too weak to be called an answer."""
    return not hits or max(hit.confidence for hit in hits[:_FIRST_HITS]) < CONFIDENT


def marked_sentence(answer: Answer, hit: Hit) -> str | None:
    """The sentence shown as the answer in a hit (bold in Telegram): only a confident hit's
    in an answered question; a nearest match, or a lower hit that barely touches the
    question, is quoted unmarked."""
    confident = answer.answered and hit.confidence >= CONFIDENT
    return hit.answer_sentence if confident else None


def also_published_by(hit: Hit, copies: Sequence[tuple[str, str | None]]) -> tuple[str, ...]:
    """The outlets of the story's other copies (``(article_id, outlet)`` pairs), each once, the
    hit's own outlet left out."""
    outlets = (
        outlet
        for article_id, outlet in copies
        if article_id != hit.article_id and outlet and outlet != hit.outlet
    )
    return tuple(dict.fromkeys(outlets))
