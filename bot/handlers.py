"""Thin handlers: parse the update, call the service off the event loop, render, reply."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time
from datetime import UTC, datetime

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import output
from bot.addressing import group_question
from bot.markup import (
    ALL_RESULTS,
    Vote,
    all_results_link,
    answer_keyboard,
    group_keyboard,
    inline_not_found,
    inline_results,
    parse_button,
)
from bot.render import BotStatus, FeedStatus, Page, answer_pages, stats_html, status_html
from bot.services import ReindexCancelledError, ReindexRun, Services
from bot.texts import ASK_EXAMPLE, Texts, texts_for
from bot.turns import AskAgain
from index.analysis import ENGLISH, detect_language
from index.errors import ReindexBusyError
from index.models import Answer, IndexReport

logger = logging.getLogger(__name__)

SERVICES_KEY = "services"
# Failures listed in the /reindex summary; the rest are counted, so the message stays short.
SHOWN_FAILURES = 10
# Results an answer keeps for its pages; quotes per page in a private chat and in a group.
RESULTS = 9
PRIVATE_PAGE = 3
GROUP_PAGE = 1
# Inline mode: results per page of an inline query, and in all (Telegram allows 50).
INLINE_PAGE = 10
INLINE_RESULTS = 50
INLINE_CACHE_SECONDS = 60
# How often a running /reindex checks whether the bot is shutting down.
SHUTDOWN_CHECK_SECONDS = 0.5


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    services: Services = context.bot_data[SERVICES_KEY]
    return services


def texts_of(update: Update, question: str = "") -> Texts:
    """English for an English question or an English-speaking user, Indonesian otherwise."""
    if question and detect_language(question) == ENGLISH:
        return texts_for(ENGLISH)
    user = update.effective_user
    return texts_for(user.language_code if user else None)


def in_group(message: Message) -> bool:
    return message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


async def send_html(
    message: Message, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> Message:
    """Reply with HTML; in groups as a reply to the question, so the thread stays readable."""
    return await output.send(message, text, quote=in_group(message), reply_markup=reply_markup)


def pages_of(answer: Answer, texts: Texts, group: bool) -> list[Page]:
    return answer_pages(answer, texts, GROUP_PAGE if group else PRIVATE_PAGE)


def keyboard(
    answer_id: str, page: int, pages: int, texts: Texts, group_of_bot: str | None
) -> InlineKeyboardMarkup:
    """The buttons under a page; in a group (``group_of_bot`` is the bot's username), a link
    to every result in a private chat too."""
    if group_of_bot is None:
        return answer_keyboard(answer_id, page, pages)
    link = all_results_link(group_of_bot, answer_id)
    return group_keyboard(answer_id, page, pages, link, texts)


async def answer_question(
    update: Update, context: ContextTypes.DEFAULT_TYPE, question: str
) -> None:
    message = update.effective_message
    if message is None:
        return
    texts = texts_of(update, question)
    if not question:
        example = ASK_EXAMPLE[texts.language]
        await send_html(
            message,
            texts.ask_usage.format(bot=html.escape(context.bot.username), example=example),
        )
        return
    services = services_of(context)
    group = in_group(message)
    if group:
        turn = services.group_turns.take(message.chat.id)
        if isinstance(turn, AskAgain):
            await send_html(message, html.escape(texts.group_busy.format(seconds=turn.seconds)))
            return
        await asyncio.sleep(turn.wait)
    async with output.typing(message.chat):
        started = time.perf_counter()
        answer = await asyncio.to_thread(services.archive.ask, question, RESULTS)
        seconds = time.perf_counter() - started
    user = update.effective_user
    # Both are queued for the store's writer: the reply never waits for the database.
    conversations = services.conversations
    answer_id = conversations.remember(
        answer, message.chat.id, user.id if user else None, services.settings.results_ttl
    )
    conversations.count_question(message.chat.type, answer, seconds)
    pages = pages_of(answer, texts, group)
    username = context.bot.username if group else None
    await send_html(message, pages[0].text, keyboard(answer_id, 0, len(pages), texts, username))
    logger.info(
        "question chars=%d hits=%d answered=%s seconds=%.3f",
        len(question),
        len(answer.hits),
        answer.answered,
        seconds,
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: the greeting, or, from a group answer's link, every result of that answer."""
    message = update.effective_message
    if message is None:
        return
    payload = context.args[0] if context.args else ""
    if not payload.startswith(ALL_RESULTS):
        await help_command(update, context, greeting=True)
        return
    services = services_of(context)
    stored = await asyncio.to_thread(
        services.conversations.recall,
        payload.removeprefix(ALL_RESULTS),
        services.settings.results_ttl,
    )
    texts = texts_of(update, stored.answer.question if stored else "")
    if stored is None:
        await send_html(message, html.escape(texts.results_expired))
        return
    pages = pages_of(stored.answer, texts, group=False)
    markup = keyboard(stored.answer_id, 0, len(pages), texts, None)
    await send_html(message, pages[0].text, markup)


async def help_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, greeting: bool = False
) -> None:
    message = update.effective_message
    if message is None:
        return
    texts = texts_of(update)
    if in_group(message):
        text = texts.help_group.format(bot=html.escape(context.bot.username))
    else:
        text = texts.start if greeting else texts.help_private
        user = update.effective_user
        if services_of(context).is_admin(user.id if user else None):
            text += html.escape(texts.help_admin)
    await send_html(message, text)


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    if message.via_bot is not None and message.via_bot.id == context.bot.id:
        # A quote the reader posted from this bot's inline results: not a question.
        return
    await answer_question(update, context, " ".join(message.text.split()))


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await answer_question(update, context, " ".join(context.args or []))


async def group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.text is None or message.via_bot is not None:
        return
    replied = message.reply_to_message
    replies_to_bot = bool(replied and replied.from_user and replied.from_user.id == context.bot.id)
    question = group_question(message.text, context.bot.username, replies_to_bot)
    if question is not None:
        await answer_question(update, context, question)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """◀ ▶ turn the page by editing the message; 👍 👎 record the reader's vote."""
    query = update.callback_query
    if query is None:
        return
    request = parse_button(query.data)
    services = services_of(context)
    stored = None
    if request is not None:
        stored = await asyncio.to_thread(
            services.conversations.recall, request.answer_id, services.settings.results_ttl
        )
    texts = texts_of(update, stored.answer.question if stored else "")
    message = query.message if isinstance(query.message, Message) else None
    if request is None or stored is None or message is None:
        # Its results expired (or this archive never held them): say so, and take the
        # buttons away so nobody presses them again.
        await query.answer(texts.results_expired, show_alert=True)
        if message is not None:
            await output.drop_buttons(message)
        return
    group = in_group(message)
    pages = pages_of(stored.answer, texts, group)
    page = request.page % len(pages)
    if isinstance(request, Vote):
        services.conversations.vote(stored, query.from_user.id, request.helpful, pages[page].hits)
        await query.answer(texts.vote_thanks)
        return
    await query.answer()
    markup = keyboard(
        stored.answer_id, page, len(pages), texts, context.bot.username if group else None
    )
    await output.edit(message, pages[page].text, reply_markup=markup)


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``@bot question`` in any chat: up to ten results a page, more with ``next_offset``."""
    query = update.inline_query
    if query is None:
        return
    question = " ".join(query.query.split())
    first = int(query.offset) if query.offset.isdigit() else 0
    if not question or first >= INLINE_RESULTS:
        await query.answer([], cache_time=INLINE_CACHE_SECONDS)
        return
    texts = texts_of(update, question)
    wanted = min(first + INLINE_PAGE, INLINE_RESULTS)
    answer = await asyncio.to_thread(services_of(context).archive.ask, question, wanted)
    hits = answer.hits[first:wanted]
    if not answer.hits:
        results = [inline_not_found(answer, texts)]
    else:
        results = inline_results(answer, first, hits, texts)
    more = len(answer.hits) >= wanted and wanted < INLINE_RESULTS
    await query.answer(
        results, next_offset=str(wanted) if more else "", cache_time=INLINE_CACHE_SECONDS
    )
    logger.info(
        "inline question chars=%d hits=%d answered=%s", len(question), len(hits), answer.answered
    )


async def admin_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Services | None:
    """The services, when the sender is an admin; otherwise says the command is for admins."""
    services = services_of(context)
    user = update.effective_user
    if services.is_admin(user.id if user else None):
        return services
    message = update.effective_message
    if message is not None:
        await send_html(message, html.escape(texts_of(update).admin_only))
    return None


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    services = await admin_only(update, context)
    if message is None or services is None:
        return
    stats = await asyncio.to_thread(services.archive.stats)
    usage = await asyncio.to_thread(services.conversations.usage)
    await send_html(message, stats_html(stats, usage, texts_of(update)))


async def status_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    services = await admin_only(update, context)
    if message is None or services is None:
        return
    status = BotStatus(
        now=datetime.now(UTC),
        started=services.started,
        last_indexed=await asyncio.to_thread(services.archive.last_indexed),
        reindexing=services.reindexing,
        feeds=tuple(
            FeedStatus(feed, poll.polled if poll else None, poll.failed if poll else False)
            for feed in services.settings.feeds
            for poll in (services.feed_polls.get(feed),)
        ),
    )
    await send_html(message, status_html(status, texts_of(update)))


async def reindex_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    services = services_of(context)
    texts = texts_of(update)
    user = update.effective_user
    if not services.is_admin(user.id if user else None):
        await send_html(message, html.escape(texts.reindex_not_admin))
        return
    if not services.settings.sources:
        await send_html(message, html.escape(texts.reindex_no_sources))
        return
    try:
        async with services.reindex_slot():
            progress_message = await send_html(message, html.escape(texts.reindex_started))
            await run_reindex(context, services, progress_message, texts)
    except ReindexBusyError:
        await send_html(message, html.escape(texts.reindex_busy))


async def run_reindex(
    context: ContextTypes.DEFAULT_TYPE,
    services: Services,
    progress_message: Message,
    texts: Texts,
) -> None:
    """Index in a thread; edit the progress message at most every ``progress_interval``; stop
    the run when the bot shuts down (the index it had keeps serving)."""
    run = ReindexRun()
    work = asyncio.ensure_future(asyncio.to_thread(services.reindex, run))
    shown = None
    next_edit = services.clock() + services.progress_interval
    while not work.done():
        await asyncio.wait({work}, timeout=min(SHUTDOWN_CHECK_SECONDS, services.progress_interval))
        if not context.application.running:
            run.cancelled = True
        if services.clock() < next_edit or work.done():
            continue
        next_edit = services.clock() + services.progress_interval
        if run.latest is not None and run.latest != shown:
            shown = run.latest
            text = texts.reindex_progress.format(read=shown.articles_read)
            await output.edit(progress_message, html.escape(text))
    try:
        report = work.result()
    except ReindexCancelledError:
        logger.info("reindex stopped: the bot is shutting down; the previous index serves")
        with contextlib.suppress(Exception):
            await output.edit(progress_message, html.escape(texts.reindex_stopped))
        return
    except Exception as error:
        logger.exception("reindex failed")
        reason = html.escape(str(error) or type(error).__name__)
        await output.edit(progress_message, texts.reindex_failed.format(reason=reason))
        return
    await output.edit(progress_message, reindex_summary(report, texts))


def reindex_summary(report: IndexReport, texts: Texts) -> str:
    lines = [
        texts.reindex_done.format(
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
            failed=report.failed,
        )
    ]
    lines.extend(
        texts.reindex_failure_line.format(where=failure.where, reason=failure.reason)
        for failure in report.failures[:SHOWN_FAILURES]
    )
    if report.failed > SHOWN_FAILURES:
        lines.append(f"… (+{report.failed - SHOWN_FAILURES})")
    return html.escape("\n".join(lines))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log first, then apologise to the chat the failed update came from."""
    logger.error("update failed", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        texts = texts_of(update)
        await update.effective_message.reply_text(texts.sorry)
