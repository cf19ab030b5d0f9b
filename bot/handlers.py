"""Thin handlers: parse the update, call the service off the event loop, render, reply."""

from __future__ import annotations

import asyncio
import html
import logging
import time

from telegram import Message, Update
from telegram.constants import ChatAction, ChatType
from telegram.ext import ContextTypes

from bot import output
from bot.addressing import group_question
from bot.render import render_answer_html
from bot.services import ReindexRun, Services
from bot.texts import ASK_EXAMPLE, Texts, texts_for
from index.analysis import ENGLISH, detect_language
from index.errors import ReindexBusyError
from index.models import IndexReport

logger = logging.getLogger(__name__)

SERVICES_KEY = "services"
# Failures listed in the /reindex summary; the rest are counted, so the message stays short.
SHOWN_FAILURES = 10


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


async def send_html(message: Message, text: str) -> Message:
    """Reply with HTML; in groups as a reply to the question, so the thread stays readable."""
    return await output.send(message, text, quote=in_group(message))


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
    await message.chat.send_action(ChatAction.TYPING)
    started = time.perf_counter()
    answer = await asyncio.to_thread(services_of(context).archive.ask, question)
    logger.info(
        "question chars=%d hits=%d answered=%s seconds=%.3f",
        len(question),
        len(answer.hits),
        answer.answered,
        time.perf_counter() - started,
    )
    for part in render_answer_html(answer, texts):
        await send_html(message, part)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is None:
        return
    await help_command(update, context, greeting=True)


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
    await send_html(message, text)


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    await answer_question(update, context, " ".join(message.text.split()))


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await answer_question(update, context, " ".join(context.args or []))


async def group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    replied = message.reply_to_message
    replies_to_bot = bool(replied and replied.from_user and replied.from_user.id == context.bot.id)
    question = group_question(message.text, context.bot.username, replies_to_bot)
    if question is not None:
        await answer_question(update, context, question)


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
            await run_reindex(services, progress_message, texts)
    except ReindexBusyError:
        await send_html(message, html.escape(texts.reindex_busy))


async def edit_progress(message: Message, text: str) -> None:
    await output.edit(message, text)


async def run_reindex(services: Services, progress_message: Message, texts: Texts) -> None:
    run = ReindexRun()
    work = asyncio.ensure_future(asyncio.to_thread(services.reindex, run))
    shown = None
    while not work.done():
        await asyncio.wait({work}, timeout=services.progress_interval)
        if run.latest is not None and run.latest != shown and not work.done():
            shown = run.latest
            text = texts.reindex_progress.format(read=shown.articles_read)
            await edit_progress(progress_message, html.escape(text))
    try:
        report = work.result()
    except Exception as error:
        logger.exception("reindex failed")
        reason = html.escape(str(error) or type(error).__name__)
        await edit_progress(progress_message, texts.reindex_failed.format(reason=reason))
        return
    await edit_progress(progress_message, reindex_summary(report, texts))


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
