"""Measuring answers against known answers: the question file, ranks by story, the shares."""

from __future__ import annotations

from dataclasses import replace

import pytest

from index.evaluate import EvalQuestion, QuestionFileError, evaluate, gold_rank, read_questions
from index.models import Answer, Hit
from tests.test_answer import BASE


def hits(*ids: str, sentence: str | None = None) -> tuple[Hit, ...]:
    return tuple(
        replace(
            BASE,
            rank=rank,
            article_id=article,
            story_id=f"s-{article}",
            text=sentence or BASE.text,
            answer_sentence=sentence,
            confidence=1.0,
        )
        for rank, article in enumerate(ids, start=1)
    )


def test_question_files_take_article_or_passage_ids_and_optional_answers() -> None:
    lines = [
        '{"question": "Siapa?", "article_id": "a", "answer": "Budi"}\n',
        "\n",
        '{"qid": "x", "question": "Kapan?", "passage_id": "facqa-p1", "answer": "2019"}\n',
        '{"question": "Apa?", "article_id": "b"}\n',
    ]
    assert read_questions(lines, "q.jsonl") == [
        EvalQuestion("Siapa?", "a", "Budi"),
        EvalQuestion("Kapan?", "facqa-p1", "2019"),
        EvalQuestion("Apa?", "b", None),
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "line 2: not JSON"),
        ('{"question": "Siapa?"}', 'line 2: needs "question" and "article_id"'),
        ('["Siapa?", "a"]', 'line 2: needs "question" and "article_id"'),
    ],
)
def test_a_bad_question_line_is_named(line: str, reason: str) -> None:
    with pytest.raises(QuestionFileError, match=reason):
        read_questions(['{"question": "Siapa?", "article_id": "a"}', line], "q.jsonl")


def test_a_hit_from_the_gold_story_counts() -> None:
    answer = Answer("q", hits("x", "y", "a"))
    assert gold_rank(answer, "s-a") == 3
    assert gold_rank(answer, "s-z") is None


def test_the_report_counts_ranks_declines_and_answers_in_the_sentence() -> None:
    answers = {
        "first": Answer("first", hits("a", "b", sentence="Harganya Rp4.000 sekali\njalan.")),
        "third": Answer("third", hits("x", "y", "b", sentence="Tidak ada.")),
        "none": Answer("none", ()),
    }
    stories = {"a": "s-a", "b": "s-b"}
    questions = [
        EvalQuestion("first", "a", "Rp4.000  sekali jalan"),
        EvalQuestion("third", "b", "Rp5.000"),
        EvalQuestion("none", "a"),
        EvalQuestion("first", "missing"),
    ]
    report = evaluate(questions, answers.__getitem__, stories.get)
    assert report.questions == 4
    assert report.recall_at_1 == 1 / 4
    assert report.recall_at_5 == 2 / 4
    assert report.mrr_at_10 == pytest.approx((1 + 1 / 3) / 4)
    assert report.declined == 1 / 4
    assert report.with_answer == 2
    assert report.answer_in_sentence == 1 / 2
    assert report.answer_in_first_quote == 1 / 2


def test_an_answer_quoted_first_from_another_article_is_counted_apart() -> None:
    other = Answer("q", hits("b", sentence="Pemenangnya Budi."))
    report = evaluate([EvalQuestion("q", "a", "Budi")], lambda text: other, {"a": "s-a"}.get)
    assert (report.recall_at_1, report.answer_in_sentence) == (0.0, 1.0)
    assert report.answer_in_first_quote == 1.0


def test_a_report_of_no_questions_is_empty() -> None:
    report = evaluate([], lambda text: Answer(text, ()), lambda article: None)
    assert (report.questions, report.recall_at_1, report.answer_in_sentence) == (0, 0.0, None)


def test_unanswerable_questions_are_read_and_their_declines_counted() -> None:
    [unanswerable] = read_questions(['{"question": "Siapa?", "article_id": null}'], "q.jsonl")
    assert unanswerable == EvalQuestion("Siapa?", None)
    answers = {
        "answered": Answer("answered", hits("a")),
        "declined": Answer("declined", hits("b"), declined=True),
        "empty": Answer("empty", ()),
    }
    questions = [
        EvalQuestion("answered", None),
        EvalQuestion("declined", None),
        EvalQuestion("empty", None),
        EvalQuestion("answered", "a"),
    ]
    report = evaluate(questions, answers.__getitem__, {"a": "s-a"}.get)
    assert (report.questions, report.recall_at_1, report.declined) == (1, 1.0, 0.0)
    assert report.unanswerable == 3
    assert report.unanswerable_declined == 2 / 3
    assert (report.gold_left_out, report.gold_left_out_declined) == (0, None)


def test_a_declined_question_is_a_miss_even_with_the_gold_among_its_matches() -> None:
    declined = Answer("q", hits("a"), declined=True)
    report = evaluate([EvalQuestion("q", "a", "x")], lambda text: declined, {"a": "s-a"}.get)
    assert (report.recall_at_1, report.recall_at_5, report.declined) == (0.0, 0.0, 1.0)
    assert (report.answer_in_sentence, report.answer_in_first_quote) == (0.0, 0.0)


def test_answerable_questions_are_asked_again_without_their_gold_story() -> None:
    asked_without: list[tuple[str, str]] = []

    def ask_without(question: str, gold: str) -> Answer:
        asked_without.append((question, gold))
        return Answer(question, hits("x"), declined=gold == "a")

    questions = [EvalQuestion("first", "a"), EvalQuestion("second", "b"), EvalQuestion("no", None)]
    report = evaluate(
        questions,
        lambda text: Answer(text, hits("a", "b")),
        {"a": "s-a", "b": "s-b"}.get,
        ask_without,
    )
    assert asked_without == [("first", "a"), ("second", "b")]
    assert (report.gold_left_out, report.gold_left_out_declined) == (2, 1 / 2)
