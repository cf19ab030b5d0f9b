"""Group turns: one answer per cooldown in each group, the rest wait or are told when to ask."""

from __future__ import annotations

from datetime import timedelta

from bot.turns import AskAgain, GroupTurns, Turn


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_questions_in_one_group_wait_their_turn() -> None:
    clock = Clock()
    turns = GroupTurns(timedelta(seconds=10), clock, max_waiting=2)
    assert turns.take(-1) == Turn(0.0)
    assert turns.take(-1) == Turn(10.0)
    assert turns.take(-1) == Turn(20.0)
    # Two wait already: the next asker is told when a turn frees up.
    assert turns.take(-1) == AskAgain(10)
    clock.now += 15
    assert turns.take(-1) == Turn(15.0)


def test_groups_do_not_wait_for_each_other() -> None:
    turns = GroupTurns(timedelta(seconds=10), Clock())
    assert turns.take(-1) == Turn(0.0)
    assert turns.take(-2) == Turn(0.0)


def test_a_quiet_group_answers_at_once_again() -> None:
    clock = Clock()
    turns = GroupTurns(timedelta(seconds=10), clock)
    turns.take(-1)
    clock.now += 30
    assert turns.take(-1) == Turn(0.0)


def test_idle_groups_are_forgotten() -> None:
    clock = Clock()
    turns = GroupTurns(timedelta(seconds=1), clock)
    for chat in range(1, 1100):
        turns.take(-chat)
    clock.now += 5
    assert turns.take(-5000) == Turn(0.0)
    assert len(turns._next_free) < 1024
