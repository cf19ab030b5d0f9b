"""From ranked hits to quotes: the answering sentence, copies of a story folded (pure)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from index.analysis import INDONESIAN, analyze
from index.answer import also_published_by, answering_sentence, fold_copies, story_of
from index.models import Hit

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


def weights_of(text: str, weight: float = 1.0, **heavier: float) -> dict[str, float]:
    weights = dict.fromkeys(analyze(text), weight)
    for word, value in heavier.items():
        (term,) = analyze(word)
        weights[term] = value
    return weights


def test_the_sentence_with_the_heaviest_question_terms_answers() -> None:
    # "tarif" is the rare word: one sentence with it outweighs one with the two common ones.
    weights = weights_of("tarif bus listrik", 0.5, tarif=3.0)
    sentence, weight = answering_sentence(PASSAGE, weights, INDONESIAN)
    assert sentence == "Tarif bus listrik ditetapkan Rp4.000 sekali jalan."
    assert weight == 4.0


def test_a_tie_goes_to_the_earlier_sentence() -> None:
    sentence, _ = answering_sentence(PASSAGE, weights_of("bus listrik"), INDONESIAN)
    assert sentence == "Bus listrik mulai beroperasi di Semarang pada Senin."


def test_a_passage_without_question_terms_has_no_answering_sentence() -> None:
    assert answering_sentence(PASSAGE, weights_of("gempa bumi"), INDONESIAN) == (None, 0.0)
    assert answering_sentence("", weights_of("bus"), INDONESIAN) == (None, 0.0)


def test_sentences_of_every_paragraph_are_considered() -> None:
    sentence, _ = answering_sentence(PASSAGE, weights_of("halte"), INDONESIAN)
    assert sentence == "Rute sepanjang 18,6 kilometer itu memiliki 24 halte."


def test_copies_of_a_story_fold_into_the_first_article_quoted() -> None:
    hits = [
        hit(1, "a", story_id="s", text=PASSAGE),
        hit(2, "b", story_id="s", text=PASSAGE),
        hit(3, "a", story_id="s", text="Rute baru itu ramai."),
        hit(4, "c", text="Tarif kereta naik."),
    ]
    folded = fold_copies(hits, weights_of("tarif"), INDONESIAN, k=3)
    assert [(h.rank, h.article_id, h.passage_id) for h in folded] == [
        (1, "a", "a#1"),
        (2, "a", "a#3"),
        (3, "c", "c#4"),
    ]
    assert folded[0].answer_sentence == "Tarif bus listrik ditetapkan Rp4.000 sekali jalan."
    assert folded[1].answer_sentence is None
    assert fold_copies(hits, weights_of("tarif"), INDONESIAN, k=1) == folded[:1]


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
