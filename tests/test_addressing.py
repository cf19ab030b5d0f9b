"""Which group messages are meant for the bot (pure)."""

from __future__ import annotations

import pytest

from bot.addressing import group_question, mentions

BOT = "newsbot_test_bot"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@newsbot_test_bot berapa tarif?", True),
        ("berapa tarif, @NewsBot_Test_Bot?", True),
        ("@newsbot_test_bot_two berapa?", False),
        ("mail me at x@newsbot_test_bot", False),
        ("@@newsbot_test_bot", False),
        ("berapa tarif?", False),
    ],
)
def test_mentions(text: str, expected: bool) -> None:
    assert mentions(text, BOT) is expected


def test_mention_is_stripped_from_the_question() -> None:
    assert group_question("@newsbot_test_bot  berapa\ntarif?", BOT, False) == "berapa tarif?"
    assert group_question("berapa tarif @newsbot_test_bot", BOT, False) == "berapa tarif"


def test_reply_to_the_bot_is_a_question() -> None:
    assert group_question("dan  jaraknya?", BOT, True) == "dan jaraknya?"


def test_other_messages_are_not_for_the_bot() -> None:
    assert group_question("selamat pagi semua", BOT, False) is None


def test_a_bare_mention_asks_nothing() -> None:
    assert group_question("@newsbot_test_bot", BOT, False) == ""
