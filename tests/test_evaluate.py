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
            BASE, rank=rank, article_id=article, story_id=f"s-{article}", answer_sentence=sentence
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


def test_a_report_of_no_questions_is_empty() -> None:
    report = evaluate([], lambda text: Answer(text, ()), lambda article: None)
    assert (report.questions, report.recall_at_1, report.answer_in_sentence) == (0, 0.0, None)
