"""The application factory: ``build_application`` wires handlers without running anything, so
tests drive the same application against a fake Bot API server."""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.error import InvalidToken
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import feeds, handlers
from bot.config import BotSettings
from bot.logs import configure_logging
from bot.services import Services
from bot.texts import ENGLISH_TEXTS, INDONESIAN_TEXTS, Texts
from index.archive import Archive
from index.errors import NewsbotError

logger = logging.getLogger(__name__)

BotApplication = Application[Any, Any, Any, Any, Any, Any]


def private_commands(texts: Texts) -> list[BotCommand]:
    return [BotCommand("help", texts.command_help), BotCommand("reindex", texts.command_reindex)]


def group_commands(texts: Texts) -> list[BotCommand]:
    return [BotCommand("ask", texts.command_ask), BotCommand("help", texts.command_help)]


async def announce_commands(application: BotApplication) -> None:
    """Command menus per scope, Indonesian by default and English for English clients."""
    bot = application.bot
    for texts, language in ((INDONESIAN_TEXTS, None), (ENGLISH_TEXTS, "en")):
        await bot.set_my_commands(
            private_commands(texts), scope=BotCommandScopeAllPrivateChats(), language_code=language
        )
        await bot.set_my_commands(
            group_commands(texts), scope=BotCommandScopeAllGroupChats(), language_code=language
        )
    logger.info(
        "started as @%s; sees plain @mentions in groups: %s",
        bot.username,
        "yes" if bot.can_read_all_group_messages else "no (privacy mode on)",
    )


def build_application(services: Services) -> BotApplication:
    """The bot, ready to initialise and poll; handlers in the order they are tried."""
    settings = services.settings
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        # PTB's limiter retries nothing by default (max_retries=0): on RetryAfter it waits the
        # time Telegram asks, holding every other request, then tries again, up to 3 times.
        .rate_limiter(AIORateLimiter(max_retries=3))
        # Answers and a running /reindex must not wait for each other.
        .concurrent_updates(True)
        .post_init(announce_commands)
    )
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
    application = builder.build()
    application.bot_data[handlers.SERVICES_KEY] = services
    application.add_handlers(
        [
            # Commands first: PTB's CommandHandler ignores /cmd@other_bot by itself.
            CommandHandler("start", handlers.start),
            CommandHandler("help", handlers.help_command),
            CommandHandler("ask", handlers.ask_command),
            CommandHandler("reindex", handlers.reindex_command),
            # Any plain text in a private chat is a question.
            MessageHandler(
                filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, handlers.private_text
            ),
            # In groups only messages that mention the bot or reply to it; the rest is ignored.
            MessageHandler(
                filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND, handlers.group_text
            ),
        ]
    )
    application.add_error_handler(handlers.on_error)
    if settings.feeds:
        # The job queue comes with PTB's job-queue extra, one of newsbot's dependencies.
        if application.job_queue is None:
            raise NewsbotError("polling feeds needs python-telegram-bot[job-queue]; reinstall")
        application.job_queue.run_repeating(
            feeds.poll_feeds,
            interval=settings.feed_interval,
            first=feeds.FIRST_POLL,
            name=feeds.FEED_JOB,
        )
    return application


def run_polling(settings: BotSettings, archive: Archive, log_level: str | int = "INFO") -> None:
    # Before the application exists: PTB logs its API URL, token included, as it builds the bot.
    configure_logging(log_level, secrets=(settings.token,))
    application = build_application(Services(settings=settings, archive=archive))
    try:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        # PTB's message quotes the token; the traceback would print it.
        raise NewsbotError(
            "Telegram rejected TELEGRAM_BOT_TOKEN: copy the bot's current token from @BotFather"
        ) from None
