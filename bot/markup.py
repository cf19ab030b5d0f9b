"""Buttons and inline results built from answers (pure): what a button's ``callback_data``
says, the keyboard under an answer, and the results of an inline query.

``callback_data`` holds at most 64 bytes: a kind, the stored answer's 8-character id and a page
(``p:Ab3_xY9-:2``, ``v:Ab3_xY9-:2:1``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
)
from telegram.constants import ParseMode

from bot.render import format_published, hit_block, shorten
from bot.texts import Texts
from index.answer import marked_sentence
from index.models import Answer, Hit

PAGE = "p"
VOTE = "v"
# A deep link's payload: t.me/<bot>?start=r_<answer id> shows every result in a private chat.
ALL_RESULTS = "r_"
INLINE_TITLE_CHARS = 120
INLINE_DESCRIPTION_CHARS = 200


@dataclass(frozen=True)
class PageTurn:
    answer_id: str
    page: int


@dataclass(frozen=True)
class Vote:
    answer_id: str
    page: int
    helpful: bool


def page_data(answer_id: str, page: int) -> str:
    return f"{PAGE}:{answer_id}:{page}"


def vote_data(answer_id: str, page: int, helpful: bool) -> str:
    return f"{VOTE}:{answer_id}:{page}:{int(helpful)}"


def parse_button(data: str | None) -> PageTurn | Vote | None:
    """What a pressed button asks for; ``None`` for data this bot never made."""
    parts = (data or "").split(":")
    if len(parts) < 3 or not parts[2].isdigit():
        return None
    kind, answer_id, page = parts[0], parts[1], int(parts[2])
    if kind == PAGE and len(parts) == 3:
        return PageTurn(answer_id, page)
    if kind == VOTE and len(parts) == 4 and parts[3] in ("0", "1"):
        return Vote(answer_id, page, parts[3] == "1")
    return None


def answer_keyboard(answer_id: str, page: int, pages: int) -> InlineKeyboardMarkup:
    """◀ 2/3 ▶ when there is more than one page (wrapping around), then 👍 👎."""
    rows: list[list[InlineKeyboardButton]] = []
    if pages > 1:
        rows.append(
            [
                InlineKeyboardButton("◀", callback_data=page_data(answer_id, (page - 1) % pages)),
                InlineKeyboardButton(
                    f"{page + 1}/{pages}", callback_data=page_data(answer_id, page)
                ),
                InlineKeyboardButton("▶", callback_data=page_data(answer_id, (page + 1) % pages)),
            ]
        )
    rows.append(
        [
            InlineKeyboardButton("👍", callback_data=vote_data(answer_id, page, True)),
            InlineKeyboardButton("👎", callback_data=vote_data(answer_id, page, False)),
        ]
    )
    return InlineKeyboardMarkup(rows)


def group_keyboard(
    answer_id: str, page: int, pages: int, all_results_url: str, texts: Texts
) -> InlineKeyboardMarkup:
    """The private keyboard plus a row that opens every result in a private chat."""
    rows = [list(row) for row in answer_keyboard(answer_id, page, pages).inline_keyboard]
    rows.append([InlineKeyboardButton(texts.see_all_results, url=all_results_url)])
    return InlineKeyboardMarkup(rows)


def all_results_link(bot_username: str, answer_id: str) -> str:
    return f"https://t.me/{bot_username}?start={ALL_RESULTS}{answer_id}"


def inline_description(answer: Answer, hit: Hit, texts: Texts) -> str:
    """Date and outlet, then the answering sentence (or the quote's start)."""
    published = format_published(hit.published, hit.copyright_year, texts)
    source = " · ".join(part for part in (hit.outlet, published) if part)
    if not answer.answered:
        source = " · ".join(filter(None, (texts.inline_related, source)))
    sentence = marked_sentence(answer, hit) or hit.text
    return shorten(f"{source}\n{sentence}" if source else sentence, INLINE_DESCRIPTION_CHARS)


def inline_results(
    answer: Answer, first: int, hits: tuple[Hit, ...], texts: Texts
) -> list[InlineQueryResultArticle]:
    """One result per hit, numbered from ``first`` (ids are unique across the pages of one
    query): its headline, date and answering sentence; choosing it posts the quote with its
    source."""
    return [
        InlineQueryResultArticle(
            id=str(number),
            title=shorten(hit.title or hit.text, INLINE_TITLE_CHARS),
            description=inline_description(answer, hit, texts),
            input_message_content=InputTextMessageContent(
                hit_block(hit, texts, marked_sentence(answer, hit)),
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ),
        )
        for number, hit in enumerate(hits, start=first)
    ]


def inline_not_found(answer: Answer, texts: Texts) -> InlineQueryResultArticle:
    """The one result of a question nothing answers: choosing it says so."""
    text = texts.inline_not_found.format(question=answer.question)
    return InlineQueryResultArticle(
        id="not-found",
        title=shorten(text, INLINE_TITLE_CHARS),
        input_message_content=InputTextMessageContent(
            html.escape(shorten(text, 1000)), parse_mode=ParseMode.HTML
        ),
    )
