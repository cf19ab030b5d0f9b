"""The application factory: ``build_application`` wires handlers without running anything, so
tests drive the same application against a fake Bot API server."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    Update,
)
from telegram.error import BadRequest, InvalidToken
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot import feeds, handlers
from bot.config import BotSettings, Webhook
from bot.logs import configure_logging
from bot.services import Services
from bot.texts import ENGLISH_TEXTS, INDONESIAN_TEXTS, Texts
from index.archive import Archive
from index.conversations import Conversations
from index.errors import NewsbotError

logger = logging.getLogger(__name__)

BotApplication = Application[Any, Any, Any, Any, Any, Any]


def private_commands(texts: Texts) -> list[BotCommand]:
    return [BotCommand("help", texts.command_help)]


def group_commands(texts: Texts) -> list[BotCommand]:
    return [BotCommand("ask", texts.command_ask), BotCommand("help", texts.command_help)]


def admin_commands(texts: Texts) -> list[BotCommand]:
    return [
        *private_commands(texts),
        BotCommand("reindex", texts.command_reindex),
        BotCommand("stats", texts.command_stats),
        BotCommand("status", texts.command_status),
    ]


async def announce_commands(application: BotApplication) -> None:
    """Command menus per scope (private chats, groups, each admin's private chat), Indonesian
    by default and English for English clients."""
    bot = application.bot
    admins = application.bot_data[handlers.SERVICES_KEY].settings.admin_ids
    for texts, language in ((INDONESIAN_TEXTS, None), (ENGLISH_TEXTS, "en")):
        await bot.set_my_commands(
            private_commands(texts), scope=BotCommandScopeAllPrivateChats(), language_code=language
        )
        await bot.set_my_commands(
            group_commands(texts), scope=BotCommandScopeAllGroupChats(), language_code=language
        )
        for admin in sorted(admins):
            try:
                await bot.set_my_commands(
                    admin_commands(texts), scope=BotCommandScopeChat(admin), language_code=language
                )
            except BadRequest as error:
                # Telegram knows an admin's chat only once they have started the bot.
                if language is None:
                    logger.warning(
                        "admin %d has no admin command menu yet (%s): they should send /start"
                        " to the bot, then restart it",
                        admin,
                        error.message,
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
            CommandHandler("stats", handlers.stats_command),
            CommandHandler("status", handlers.status_command),
            CallbackQueryHandler(handlers.button),
            InlineQueryHandler(handlers.inline_query),
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


def run(settings: BotSettings, archive: Archive, conversations: Conversations) -> None:
    """Serve until SIGINT or SIGTERM: long polling, or a webhook when one is configured. On
    the way out, answers in progress are finished and a running reindex is stopped."""
    # Before the application exists: PTB logs its API URL, token included, as it builds the bot.
    configure_logging(settings.log_level, secrets=(settings.token,))
    services = Services(settings=settings, archive=archive, conversations=conversations)
    application = build_application(services)
    try:
        serve(application, settings.webhook)
    except InvalidToken:
        # PTB's message quotes the token; the traceback would print it.
        raise NewsbotError(
            "Telegram rejected TELEGRAM_BOT_TOKEN: copy the bot's current token from @BotFather"
        ) from None
    finally:
        conversations.close()


def serve(application: BotApplication, webhook: Webhook | None) -> None:
    if webhook is None:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
        return
    application.run_webhook(**webhook_arguments(webhook))


def webhook_arguments(webhook: Webhook) -> dict[str, Any]:
    """PTB's webhook server settings: listen locally behind the proxy, on the public URL's path
    (the proxy forwards it unchanged), and refuse requests without the secret."""
    host, port = webhook.listen
    return {
        "listen": host,
        "port": port,
        "url_path": urlsplit(webhook.url).path.lstrip("/"),
        "webhook_url": webhook.url,
        "secret_token": webhook.secret,
        "allowed_updates": Update.ALL_TYPES,
    }
