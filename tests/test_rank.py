"""Ranking beyond BM25: the answering sentence, the features, the combined order (pure)."""

from __future__ import annotations

import pytest

from index.analysis import INDONESIAN, analyze
from index.rank import (
    FEATURES,
    AnswerType,
    Question,
    RankingWeights,
    asked_type,
    evidence,
    rerank,
)
from tests.test_answer import PASSAGE, hit


def question(text: str, weight: float = 1.0, **heavier: float) -> Question:
    """The question with each term weighing ``weight``, or more for the words named."""
    terms = analyze(text)
    weights = dict.fromkeys(terms, weight)
    for word, value in heavier.items():
        (term,) = analyze(word)
        weights[term] = value
    return Question.of(text, terms, weights, INDONESIAN)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Berapa tarif bus listrik?", AnswerType.NUMBER),
        ("brp harga cabai", AnswerType.NUMBER),
        ("How many people died?", AnswerType.NUMBER),
        ("Kapan festival kopi digelar?", AnswerType.DATE),
        ("Tahun berapa jembatan itu dibangun?", AnswerType.DATE),
        ("When did the pipeline open?", AnswerType.DATE),
        ("Siapa wali kota Semarang?", AnswerType.NAME),
        ("Di mana maraton digelar?", AnswerType.NAME),
        ("Apa nama aplikasi itu?", AnswerType.NAME),
        ("Mengapa harga cabai naik?", None),
    ],
)
def test_the_kind_of_fact_a_question_asks_for(text: str, kind: AnswerType | None) -> None:
    assert asked_type(text) is kind


def test_the_sentence_with_the_heaviest_question_terms_answers() -> None:
    # "tarif" is the rare word: one sentence with it outweighs one with the two common ones.
    found = evidence(PASSAGE, question("tarif bus listrik", 0.5, tarif=3.0))
    assert found.sentence == "Tarif bus listrik ditetapkan Rp4.000 sekali jalan."
    assert found.coverage == 1.0
    assert found.passage_coverage == 1.0


def test_a_tie_goes_to_the_earlier_sentence() -> None:
    found = evidence(PASSAGE, question("bus listrik"))
    assert found.sentence == "Bus listrik mulai beroperasi di Semarang pada Senin."


def test_among_tied_sentences_the_one_with_the_asked_for_fact_answers() -> None:
    found = evidence(PASSAGE, question("Berapa tarif bus listrik?", tarif=0.0))
    assert found.sentence == "Tarif bus listrik ditetapkan Rp4.000 sekali jalan."
    assert found.answer_type


def test_a_figure_the_question_states_is_not_an_answer() -> None:
    text = "Rute sepanjang 18,6 kilometer itu memiliki 24 halte."
    assert not evidence(
        text, question("Berapa halte di rute 18,6 kilometer dan 24 halte?")
    ).answer_type
    assert evidence(text, question("Berapa halte di rute itu?")).answer_type


def test_a_passage_without_question_terms_has_no_evidence() -> None:
    found = evidence(PASSAGE, question("gempa bumi"))
    assert (found.sentence, found.coverage, found.passage_coverage) == (None, 0.0, 0.0)
    assert evidence("", question("bus")).sentence is None
    assert evidence(PASSAGE, Question.of("", [], {}, INDONESIAN)).sentence is None


def test_sentences_of_every_paragraph_are_considered() -> None:
    found = evidence(PASSAGE, question("halte"))
    assert found.sentence == "Rute sepanjang 18,6 kilometer itu memiliki 24 halte."


def test_the_title_counts_for_the_passage_not_for_a_sentence() -> None:
    asked = question("halte bus Semarang")
    without_title = evidence("Rute itu memiliki 24 halte.", asked)
    with_title = evidence("Rute itu memiliki 24 halte.", asked, heading="Bus listrik Semarang")
    assert with_title.coverage == without_title.coverage == pytest.approx(1 / 3)
    assert with_title.passage_coverage == 1.0


def test_question_terms_next_to_each_other_are_near() -> None:
    asked = question("bus listrik Semarang")
    together = evidence("Bus listrik di Semarang.", asked)
    apart = evidence("Bus baru. Warga kota senang dan tertib sekali. Listrik padam.", asked)
    assert together.proximity == pytest.approx(2 / 3)
    assert apart.proximity == 0.0


def test_reranking_prefers_the_passage_that_answers_in_one_sentence() -> None:
    asked = question("tarif bus listrik")
    scattered = hit(1, "a", score=10.0, text="Tarif naik. Bus baru. Listrik padam.")
    answering = hit(2, "b", score=9.0, text="Tarif bus listrik Rp4.000.")
    ranked = rerank([scattered, answering], asked, RankingWeights())
    assert [h.article_id for h, _ in ranked] == ["b", "a"]
    bm25_only = rerank([scattered, answering], asked, RankingWeights().without(*FEATURES))
    assert [h.article_id for h, _ in bm25_only] == ["a", "b"]


def test_equal_scores_go_to_the_newer_article_then_the_undated() -> None:
    asked = question("tarif")
    hits = [
        hit(1, "old", text="Tarif naik.", published="2024-01-02"),
        hit(2, "undated", text="Tarif naik."),
        hit(3, "new", text="Tarif naik.", published="2025-03-04T10:00:00+07:00"),
    ]
    assert [h.article_id for h, _ in rerank(hits, asked, RankingWeights())] == [
        "new",
        "old",
        "undated",
    ]
    assert rerank([], asked, RankingWeights()) == []


def test_an_unknown_feature_is_named() -> None:
    assert RankingWeights().without("proximity").proximity == 0.0
    with pytest.raises(ValueError, match="unknown ranking feature title; the features are"):
        RankingWeights().without("title")
