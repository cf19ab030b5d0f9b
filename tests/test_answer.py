"""From ranked hits to quotes: one per story, their confidence, the gate (pure)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from index.answer import (
    CONFIDENT,
    also_published_by,
    confidence,
    declines,
    marked_sentence,
    one_per_story,
    story_of,
)
from index.models import Answer, Hit
from index.rank import Evidence

BASE = Hit(
    rank=1,
    score=1.0,
    passage_id="a#1",
    text="",
    article_id="a",
    title=None,
    outlet="Warta Contoh",
    url=None,
    published=None,
)

PASSAGE = (
    "Bus listrik mulai beroperasi di Semarang pada Senin. Tarif bus listrik ditetapkan"
    " Rp4.000 sekali jalan.\n\nRute sepanjang 18,6 kilometer itu memiliki 24 halte."
)


def hit(rank: int, article_id: str, **fields: Any) -> Hit:
    return replace(
        BASE, rank=rank, passage_id=f"{article_id}#{rank}", article_id=article_id, **fields
    )


def evidence(sentence: str | None, passage: float, sentence_share: float) -> Evidence:
    return Evidence(sentence, sentence_share, False, 0.0, passage)


def test_one_quote_per_story_the_best_ranked_one() -> None:
    ranked = [
        (hit(1, "a", story_id="s", text=PASSAGE), evidence("Tarif bus.", 1.0, 1.0)),
        (hit(2, "b", story_id="s"), evidence("Salinan.", 1.0, 1.0)),
        (hit(3, "a", story_id="s"), evidence(None, 0.2, 0.0)),
        (hit(4, "c"), evidence("Tarif kereta naik.", 0.5, 0.5)),
    ]
    quoted = one_per_story(ranked, k=3)
    assert [(h.rank, h.article_id, h.passage_id) for h in quoted] == [
        (1, "a", "a#1"),
        (2, "c", "c#4"),
    ]
    assert [h.answer_sentence for h in quoted] == ["Tarif bus.", "Tarif kereta naik."]
    assert [h.confidence for h in quoted] == [1.0, 0.5]
    assert one_per_story(ranked, k=1) == quoted[:1]
    assert one_per_story([], k=3) == []


def test_confidence_weighs_the_passage_more_than_its_best_sentence() -> None:
    assert confidence(evidence(None, 0.0, 0.0)) == 0.0
    assert confidence(evidence("x", 1.0, 1.0)) == pytest.approx(1.0)
    whole_passage = confidence(evidence("x", 1.0, 0.5))
    one_sentence = confidence(evidence("x", 0.5, 1.0))
    assert 0 < one_sentence < whole_passage < 1


@pytest.mark.parametrize(
    ("confidences", "declined"),
    [
        ((1.0, 0.0), False),
        ((CONFIDENT, 0.0), False),
        ((CONFIDENT - 0.01, 0.0), True),
        ((0.0, 0.0, 0.9), False),
        ((0.0, 0.0, 0.0, 0.9), True),
    ],
)
def test_the_gate_declines_when_the_first_hits_are_weak(
    confidences: tuple[float, ...], declined: bool
) -> None:
    hits = [hit(rank, f"a{rank}", confidence=value) for rank, value in enumerate(confidences, 1)]
    assert declines(hits) is declined


def test_the_gate_declines_without_hits() -> None:
    assert declines([])


def test_an_article_without_a_story_is_its_own() -> None:
    assert story_of(hit(1, "a")) == "a"
    assert story_of(hit(1, "a", story_id="s")) == "s"


def test_other_copies_are_listed_by_outlet_once_without_the_quoted_one() -> None:
    quoted = hit(1, "a", outlet="Warta Contoh")
    copies = [
        ("a", "Warta Contoh"),
        ("b", "Kabar Lain"),
        ("c", "Warta Contoh"),
        ("d", None),
        ("e", "Kabar Lain"),
        ("f", "Suara Timur"),
    ]
    assert also_published_by(quoted, copies) == ("Kabar Lain", "Suara Timur")
    assert also_published_by(quoted, [("a", "Warta Contoh")]) == ()


def test_only_a_confident_hit_of_an_answered_question_has_its_sentence_marked() -> None:
    strong = hit(1, "a", answer_sentence="Tarif Rp4.000.", confidence=0.9)
    weak = hit(2, "b", answer_sentence="Listrik padam.", confidence=0.2)
    answered = Answer("q", (strong, weak))
    assert marked_sentence(answered, strong) == "Tarif Rp4.000."
    assert marked_sentence(answered, weak) is None
    declined = Answer("q", (strong, weak), declined=True)
    assert marked_sentence(declined, strong) is None
