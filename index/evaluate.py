"""Answers measured against questions whose answer is known (``newsbot eval``; pure).

A question file holds one JSON object a line: ``question``, the id of the article that answers
it (``article_id``, or ``passage_id`` as in ../shared/dev/facqa, where a passage is one of our
articles) and, optionally, the ``answer`` text. ``"article_id": null`` marks a question the
archive cannot answer: the archive should decline it. A hit counts when its story is the gold
article's story (another outlet's copy of the gold article answers as well); a declined
question counts as a miss.

Questions the archive cannot answer can also be made from answerable ones: asked again with
the gold article's story left out of the index, each should be declined.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from index.answer import marked_sentence, story_of
from index.models import Answer

# Hits asked for per question: MRR is taken over the first ten.
DEPTH = 10


@dataclass(frozen=True)
class EvalQuestion:
    """A question and the article that answers it; ``None`` when no article does."""

    question: str
    article_id: str | None
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
    # The first quote of an answered question holds the answer, whichever article it is from: a
    # question set names one passage per question where others may answer it as well.
    answer_in_first_quote: float | None
    # Questions the archive cannot answer, and the share it declined: those marked so, and
    # the answerable ones asked again with their gold story left out of the index.
    unanswerable: int = 0
    unanswerable_declined: float | None = None
    gold_left_out: int = 0
    gold_left_out_declined: float | None = None


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
        if not isinstance(record, dict):
            record = {}
        named = "article_id" in record or "passage_id" in record
        gold = record.get("article_id", record.get("passage_id"))
        text = record.get("question")
        if not isinstance(text, str) or not named or not (gold is None or isinstance(gold, str)):
            raise QuestionFileError(
                f'{where}, line {number}: needs "question" and "article_id" (or'
                ' "passage_id") as strings; "article_id": null marks a question no article'
                " answers"
            )
        answer = record.get("answer")
        questions.append(EvalQuestion(text, gold, answer if isinstance(answer, str) else None))
    return questions


def gold_rank(answer: Answer, gold_story: str) -> int | None:
    """The rank of the first hit from the gold article's story, if any."""
    return next((hit.rank for hit in answer.hits if story_of(hit) == gold_story), None)


def folded(text: str) -> str:
    return " ".join(text.split())


def share(count: int, of: int) -> float | None:
    return count / of if of else None


def evaluate(
    questions: Sequence[EvalQuestion],
    ask: Callable[[str], Answer],
    story_of_article: Callable[[str], str | None],
    ask_without: Callable[[str, str], Answer] | None = None,
) -> EvalReport:
    """The report of ``ask`` (question -> answer with up to ``DEPTH`` hits) over the questions;
    ``story_of_article`` gives a gold article's story (``None`` when the archive lacks it).
    With ``ask_without`` ((question, gold article) -> the answer with the gold article's story
    left out of the index), every answerable question is asked that way too."""
    answerable = [question for question in questions if question.article_id is not None]
    ranks: list[int | None] = []
    declined = 0
    with_answer = 0
    answered_in_sentence = 0
    answered_in_first_quote = 0
    gold_left_out_declined = 0
    for question in answerable:
        gold = question.article_id or ""
        answer = ask(question.question)
        gold_story = story_of_article(gold)
        # A declined question is a miss: its hits are only "perhaps related".
        ranks.append(
            gold_rank(answer, gold_story) if answer.answered and gold_story is not None else None
        )
        declined += not answer.answered
        if question.answer is not None:
            with_answer += 1
            sentence = (marked_sentence(answer, answer.hits[0]) if answer.hits else None) or ""
            answered_in_sentence += bool(sentence) and folded(question.answer) in folded(sentence)
            answered_in_first_quote += (
                answer.answered
                and bool(answer.hits)
                and folded(question.answer) in folded(answer.hits[0].text)
            )
        if ask_without is not None:
            gold_left_out_declined += not ask_without(question.question, gold).answered
    unanswerable = [question.question for question in questions if question.article_id is None]
    unanswerable_declined = sum(not ask(question).answered for question in unanswerable)
    count = max(len(answerable), 1)
    left_out = len(answerable) if ask_without is not None else 0
    return EvalReport(
        questions=len(answerable),
        recall_at_1=sum(rank == 1 for rank in ranks) / count,
        recall_at_5=sum(rank is not None and rank <= 5 for rank in ranks) / count,
        mrr_at_10=sum(1 / rank for rank in ranks if rank is not None and rank <= DEPTH) / count,
        declined=declined / count,
        with_answer=with_answer,
        answer_in_sentence=share(answered_in_sentence, with_answer),
        answer_in_first_quote=share(answered_in_first_quote, with_answer),
        unanswerable=len(unanswerable),
        unanswerable_declined=share(unanswerable_declined, len(unanswerable)),
        gold_left_out=left_out,
        gold_left_out_declined=share(gold_left_out_declined, left_out),
    )
