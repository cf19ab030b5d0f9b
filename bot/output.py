"""Every message the bot sends or edits goes through here.

Messages go out as Telegram HTML with link previews off. When Telegram rejects one
(``BadRequest``: markup it cannot parse, text too long, too many entities), a WARNING line names
the error and the length, never the text, and the message is sent once more as plain text; a
second rejection propagates. An edit that changes nothing is no error. ``RetryAfter`` is handled
below this module, by the application's rate limiter (see bot.app).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from telegram import Chat, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError

from bot.render import html_to_plain, plain_length

logger = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# Telegram shows a chat action for 5 seconds, or until the bot's next message arrives.
TYPING_INTERVAL = 4.5
# How long the end of a ``typing`` block waits for an action already on its way.
TYPING_GRACE = 2.0


def _not_modified(error: BadRequest) -> bool:
    """Telegram's answer to an edit that would leave the message as it is."""
    return "message is not modified" in error.message.lower()


def _log_rejected(action: str, error: BadRequest, html_text: str) -> None:
    logger.warning(
        "Telegram rejected the HTML of %s, retrying once as plain text: %s "
        "(html_chars=%d text_units=%d)",
        action,
        error.message,
        len(html_text),
        plain_length(html_text),
    )


async def send(
    message: Message,
    html_text: str,
    *,
    quote: bool,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> Message:
    """Replies to ``message`` in its chat, as a quoted reply when ``quote``; the message sent."""
    try:
        return await message.reply_html(
            html_text,
            do_quote=quote,
            reply_markup=reply_markup,
            link_preview_options=NO_PREVIEW,
        )
    except BadRequest as error:
        _log_rejected("a message", error, html_text)
    return await message.reply_text(
        html_to_plain(html_text),
        parse_mode=None,
        do_quote=quote,
        reply_markup=reply_markup,
        link_preview_options=NO_PREVIEW,
    )


async def edit(
    message: Message, html_text: str, *, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replaces the text of the bot's ``message`` (a callback query's message too); an
    edit that changes nothing is ignored."""
    try:
        await message.edit_text(
            html_text,
            parse_mode=ParseMode.HTML,
            reply_markup=reply_markup,
            link_preview_options=NO_PREVIEW,
        )
        return
    except BadRequest as error:
        if _not_modified(error):
            logger.debug("edit left message %d as it was", message.message_id)
            return
        _log_rejected("an edit", error, html_text)
    try:
        await message.edit_text(
            html_to_plain(html_text),
            parse_mode=None,
            reply_markup=reply_markup,
            link_preview_options=NO_PREVIEW,
        )
    except BadRequest as error:
        # The message may already show this plain text, from an earlier fallback.
        if not _not_modified(error):
            raise


async def _keep_typing(chat: Chat, stop: asyncio.Event) -> None:
    while True:
        try:
            await chat.send_action(ChatAction.TYPING)
        except TelegramError as error:
            logger.debug("typing action not sent to chat %d: %s", chat.id, error)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), TYPING_INTERVAL)
            return


@contextlib.asynccontextmanager
async def typing(chat: Chat) -> AsyncIterator[None]:
    """Shows "typing…" in ``chat`` from the start of the block to its end.

    The action is sent at once and every TYPING_INTERVAL seconds; a failure to send it is logged
    at DEBUG and nothing more. On leaving, an action already on its way gets TYPING_GRACE
    seconds to arrive before it is cancelled: arriving after the answer, it would show "typing…"
    under the answer for five seconds.
    """
    stop = asyncio.Event()
    task = asyncio.create_task(_keep_typing(chat, stop), name=f"typing in chat {chat.id}")
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, TYPING_GRACE)
        except TimeoutError:
            logger.debug("typing action to chat %d cancelled after %.1fs", chat.id, TYPING_GRACE)


async def drop_buttons(message: Message) -> None:
    """Takes the inline keyboard off the bot's ``message``; one without any is no error."""
    try:
        await message.edit_reply_markup(reply_markup=None)
    except BadRequest as error:
        if not _not_modified(error):
            raise
