"""Buttons and inline results: what callback_data says, within Telegram's limits (pure)."""

from __future__ import annotations

import json
import secrets

import pytest
from telegram import InputTextMessageContent

from bot.markup import (
    PageTurn,
    Vote,
    all_results_link,
    answer_keyboard,
    group_keyboard,
    inline_not_found,
    inline_results,
    page_data,
    parse_button,
    vote_data,
)
from bot.texts import ENGLISH_TEXTS, INDONESIAN_TEXTS
from index.models import Answer
from tests.fakebot.entities import clean_and_trim, parse_html
from tests.test_render import hit

ANSWER_ID = secrets.token_urlsafe(6)


def callback_data(markup_rows: object) -> list[str]:
    rows = json.loads(json.dumps(markup_rows))
    return [button["callback_data"] for row in rows for button in row if "callback_data" in button]


def test_button_data_round_trips_within_64_bytes() -> None:
    for page in (0, 7, 99):
        assert parse_button(page_data(ANSWER_ID, page)) == PageTurn(ANSWER_ID, page)
        for helpful in (True, False):
            data = vote_data(ANSWER_ID, page, helpful)
            assert parse_button(data) == Vote(ANSWER_ID, page, helpful)
            assert len(data.encode()) <= 64


@pytest.mark.parametrize(
    "data", [None, "", "p", "p:abc", "p:abc:x", "v:abc:1", "v:abc:1:2", "x:abc:1", "p:a:1:1"]
)
def test_data_this_bot_never_made_is_ignored(data: str | None) -> None:
    assert parse_button(data) is None


def test_the_keyboard_pages_around_and_asks_for_a_vote() -> None:
    rows = answer_keyboard(ANSWER_ID, 0, 3).to_dict()["inline_keyboard"]
    assert [button["text"] for button in rows[0]] == ["◀", "1/3", "▶"]
    assert [button["text"] for button in rows[1]] == ["👍", "👎"]
    assert callback_data(rows[:1]) == [
        page_data(ANSWER_ID, 2),
        page_data(ANSWER_ID, 0),
        page_data(ANSWER_ID, 1),
    ]
    assert all(len(data.encode()) <= 64 for data in callback_data(rows))


def test_one_page_has_no_paging_row() -> None:
    rows = answer_keyboard(ANSWER_ID, 0, 1).to_dict()["inline_keyboard"]
    assert [[button["text"] for button in row] for row in rows] == [["👍", "👎"]]


def test_a_group_answer_links_to_every_result_in_a_private_chat() -> None:
    link = all_results_link("newsbot_test_bot", ANSWER_ID)
    assert link == f"https://t.me/newsbot_test_bot?start=r_{ANSWER_ID}"
    rows = group_keyboard(ANSWER_ID, 1, 2, link, ENGLISH_TEXTS).to_dict()["inline_keyboard"]
    assert rows[-1] == [{"text": ENGLISH_TEXTS.see_all_results, "url": link}]


def test_inline_results_carry_headline_date_sentence_and_the_quote() -> None:
    hits = (hit(1, "Harga cabai naik. Pedagang mengeluh.", answer_sentence="Harga cabai naik."),)
    answer = Answer("harga cabai", hits)
    [result] = inline_results(answer, 10, hits, INDONESIAN_TEXTS)
    assert result.id == "10"
    assert result.title == "Judul"
    assert result.description is not None
    assert result.description.startswith("ANTARA · 5 Desember 2023, 08.09 WIB\nHarga cabai naik.")
    content = result.input_message_content
    assert isinstance(content, InputTextMessageContent)
    parsed = clean_and_trim(parse_html(content.message_text))
    assert "Harga cabai naik. Pedagang mengeluh." in parsed.text


def test_an_inline_question_nothing_answers_says_so() -> None:
    result = inline_not_found(Answer("<siapa>?", (), declined=True), ENGLISH_TEXTS)
    content = result.input_message_content
    assert isinstance(content, InputTextMessageContent)
    assert content.message_text == "Nothing in the archive answers: &lt;siapa&gt;?"
