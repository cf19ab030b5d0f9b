"""Answers measured against questions whose answer is known (``newsbot eval``; pure).

A question file holds one JSON object a line: ``question``, the id of the article that answers
it (``article_id``, or ``passage_id`` as in ../shared/dev/facqa, where a passage is one of our
articles) and, optionally, the ``answer`` text. A hit counts when its story is the gold
article's story (another outlet's copy of the gold article answers as well); a question with
no hits is declined and counts as a miss.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from index.answer import story_of
from index.models import Answer

# Hits asked for per question: MRR is taken over the first ten.
DEPTH = 10


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    article_id: str
    answer: str | None = None


@dataclass(frozen=True)
class EvalReport:
    """Shares of the questions, from 0 to 1."""

    questions: int
    recall_at_1: float
    recall_at_5: float
    mrr_at_10: float
    declined: float
    # Among the questions that give their answer: the first hit's answering sentence holds it.
    with_answer: int
    answer_in_sentence: float | None


class QuestionFileError(ValueError):
    """A line of a question file that is not a question; the message says which and why."""


def read_questions(lines: Iterable[str], where: str) -> list[EvalQuestion]:
    questions: list[EvalQuestion] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise QuestionFileError(f"{where}, line {number}: not JSON ({error.msg})") from None
        gold = (
            record.get("article_id", record.get("passage_id"))
            if isinstance(record, dict)
            else None
        )
        text = record.get("question") if isinstance(record, dict) else None
        if not isinstance(text, str) or not isinstance(gold, str):
            raise QuestionFileError(
                f'{where}, line {number}: needs "question" and "article_id" (or'
                ' "passage_id") as strings'
            )
        answer = record.get("answer")
        questions.append(EvalQuestion(text, gold, answer if isinstance(answer, str) else None))
    return questions


def gold_rank(answer: Answer, gold_story: str) -> int | None:
    """The rank of the first hit from the gold article's story, if any."""
    return next((hit.rank for hit in answer.hits if story_of(hit) == gold_story), None)


def folded(text: str) -> str:
    return " ".join(text.split())


def evaluate(
    questions: Sequence[EvalQuestion],
    ask: Callable[[str], Answer],
    story_of_article: Callable[[str], str | None],
) -> EvalReport:
    """The report of ``ask`` (question -> answer with up to ``DEPTH`` hits) over the questions;
    ``story_of_article`` gives a gold article's story (``None`` when the archive lacks it)."""
    ranks: list[int | None] = []
    declined = 0
    with_answer = 0
    answered_in_sentence = 0
    for question in questions:
        answer = ask(question.question)
        gold_story = story_of_article(question.article_id)
        rank = gold_rank(answer, gold_story) if gold_story is not None else None
        ranks.append(rank)
        declined += not answer.answered
        if question.answer is not None:
            with_answer += 1
            sentence = answer.hits[0].answer_sentence if answer.hits else None
            answered_in_sentence += bool(sentence) and folded(question.answer) in folded(
                sentence or ""
            )
    count = max(len(questions), 1)
    return EvalReport(
        questions=len(questions),
        recall_at_1=sum(rank == 1 for rank in ranks) / count,
        recall_at_5=sum(rank is not None and rank <= 5 for rank in ranks) / count,
        mrr_at_10=sum(1 / rank for rank in ranks if rank is not None and rank <= DEPTH) / count,
        declined=declined / count,
        with_answer=with_answer,
        answer_in_sentence=answered_in_sentence / with_answer if with_answer else None,
    )
