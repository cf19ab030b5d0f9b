"""What the bot remembers: answers until their buttons expire, votes, and question counts."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date, timedelta
from pathlib import Path

from index.conversations import Conversations, Usage, answer_of_record, answer_record
from index.models import Answer, DateWindow
from tests.test_render import hit

KEEP = timedelta(hours=24)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def full_answer() -> Answer:
    return Answer(
        question="Berapa harga cabai minggu lalu?",
        hits=(
            hit(1, "Harga cabai naik.", also_published_by=("Warta", "Kabar"), reporter="Ayu"),
            hit(2, "Pedagang mengeluh.", story_id="s-2", published_estimated=True),
        ),
        terms=("harga", "cabai"),
        declined=True,
        window=DateWindow(date(2026, 11, 1), date(2026, 11, 30), "bulan ini"),
        asked_window=DateWindow(date(2026, 11, 16), date(2026, 11, 22), "minggu lalu"),
        undated_articles=3,
    )


def test_an_answer_round_trips_through_its_record() -> None:
    answer = full_answer()
    assert answer_of_record(answer_record(answer)) == answer


def test_remembered_answers_are_recalled_until_they_expire(tmp_path: Path) -> None:
    clock = Clock()
    conversations = Conversations(tmp_path / "archive.db", clock)
    answer_id = conversations.remember(full_answer(), -100, 7, KEEP)
    assert len(answer_id) == 8
    stored = conversations.recall(answer_id, KEEP)
    assert stored is not None
    assert (stored.chat_id, stored.user_id, stored.answer) == (-100, 7, full_answer())
    assert conversations.recall("unknown1", KEEP) is None
    clock.now += KEEP.total_seconds() + 1
    assert conversations.recall(answer_id, KEEP) is None


def test_old_answers_are_deleted_when_new_ones_come(tmp_path: Path) -> None:
    clock = Clock()
    conversations = Conversations(tmp_path / "archive.db", clock)
    conversations.remember(full_answer(), 1, 1, KEEP)
    clock.now += KEEP.total_seconds() + 1
    conversations.remember(full_answer(), 1, 1, KEEP)
    conversations.flush()
    assert conversations._db.execute("SELECT count(*) FROM answers").fetchone()[0] == 1


def test_answers_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    before = Conversations(path)
    answer_id = before.remember(full_answer(), 1, 1, KEEP)
    before.close()
    assert Conversations(path).recall(answer_id, KEEP) is not None


def test_votes_and_questions_are_counted(tmp_path: Path) -> None:
    conversations = Conversations(tmp_path / "archive.db")
    answer = full_answer()
    stored = conversations.recall(conversations.remember(answer, 1, 1, KEEP), KEEP)
    assert stored is not None
    conversations.vote(stored, 5, helpful=True, shown=answer.hits[:1])
    conversations.vote(stored, 6, helpful=True, shown=answer.hits)
    # A second vote of one reader replaces the first.
    conversations.vote(stored, 6, helpful=False, shown=answer.hits)
    conversations.count_question("private", answer, 0.01)
    conversations.count_question("supergroup", Answer("q", answer.hits), 0.02)
    assert conversations.usage() == Usage(questions=2, answered=1, helpful=1, unhelpful=1)
    conversations.flush()
    question, passages = conversations._db.execute(
        "SELECT question, passages FROM feedback WHERE user_id = 6"
    ).fetchone()
    assert question == answer.question
    assert passages == '["a#1", "a#2"]'
    stored_questions = conversations._db.execute("SELECT * FROM questions").fetchall()
    assert all(answer.question not in map(str, row) for row in stored_questions)


def test_threads_share_one_store(tmp_path: Path) -> None:
    conversations = Conversations(tmp_path / "archive.db")
    answer = full_answer()

    def ask_many() -> None:
        for _ in range(20):
            conversations.count_question("private", answer, 0.0)
            conversations.remember(answer, 1, 1, KEEP)

    threads = [threading.Thread(target=ask_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert conversations.usage().questions == 80


def test_an_answer_waiting_for_the_indexer_is_recalled_and_written_after(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    conversations = Conversations(path)
    indexer = sqlite3.connect(path)
    indexer.execute("BEGIN IMMEDIATE")
    answer_id = conversations.remember(full_answer(), 1, 1, KEEP)
    conversations.count_question("private", full_answer(), 0.01)
    stored = conversations.recall(answer_id, KEEP)
    assert stored is not None
    assert stored.answer == full_answer()
    indexer.execute("COMMIT")
    conversations.flush()
    assert conversations._db.execute("SELECT answer_id FROM answers").fetchall() == [(answer_id,)]
    assert conversations.usage().questions == 1
    conversations.close()
