"""Log hygiene: neither the bot token nor a message text reaches a log record, whichever logger
makes it and whichever handler receives it."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from telegram import Chat as TelegramChat
from telegram import Message as TelegramMessage
from telegram import Update
from telegram.ext import ContextTypes

from bot.config import BotSettings
from bot.logs import (
    LOG_FORMAT,
    REDACTED,
    RedactingRecordFactory,
    configure_logging,
    install_redaction,
    parse_level,
)
from bot.services import Services
from bot.texts import INDONESIAN_TEXTS
from index.archive import DEFAULT_K, Archive
from index.conversations import Conversations
from index.ingest import index_sources
from index.models import Answer
from tests.conftest import bot_environment
from tests.fakebot import FakeTelegram, Message
from tests.polling import polling_bot

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "index" / "sample"
SECRET = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TOKEN = f"987654:{SECRET}"
BOT = "newsbot_logs_bot"
ADMIN_ID = 1001
# The loggers the acceptance criterion names, and newsbot's own.
LOGGERS = ("httpx", "httpcore", "telegram", "apscheduler", "bot", "index")


@pytest.fixture
def logging_state() -> Iterator[None]:
    """Restores what configure_logging changes: the record factory, and the level, filters
    and handlers of the root and of every named logger."""
    factory = logging.getLogRecordFactory()
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in LOGGERS)]
    saved = [(lg, lg.level, list(lg.filters), list(lg.handlers)) for lg in loggers]
    yield
    logging.setLogRecordFactory(factory)
    for lg, level, filters, handlers in saved:
        lg.setLevel(level)
        lg.filters[:] = filters
        lg.handlers[:] = handlers


@pytest.fixture
def redacted(logging_state: None) -> None:
    install_redaction([TOKEN])


def texts_of(record: logging.LogRecord) -> list[str]:
    """Everything a handler could print from a record: the message with its arguments, the
    exception and the stack."""
    texts = [record.getMessage(), record.exc_text or "", record.stack_info or ""]
    if record.exc_info:
        texts.append(logging.Formatter().formatException(record.exc_info))
    return texts


def test_parse_level() -> None:
    assert parse_level("debug") == logging.DEBUG
    assert parse_level(" WARNING ") == logging.WARNING
    assert parse_level("15") == 15
    assert parse_level(logging.ERROR) == logging.ERROR
    with pytest.raises(ValueError, match="unknown log level 'loud'"):
        parse_level("loud")


def test_token_in_the_httpx_url_line_is_redacted(
    redacted: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = httpx.URL(f"http://127.0.0.1:8081/bot{TOKEN}/getUpdates")
    logging.getLogger("httpx").info(
        'HTTP Request: %s %s "%s %d %s"', "POST", url, "HTTP/1.1", 200, "OK"
    )
    [record] = caplog.records
    assert record.getMessage() == (
        f'HTTP Request: POST http://127.0.0.1:8081/bot{REDACTED}/getUpdates "HTTP/1.1 200 OK"'
    )
    assert TOKEN not in caplog.text


@pytest.mark.parametrize(
    "leak",
    [TOKEN, SECRET, "987654%3A" + SECRET, f"{{'token': '{TOKEN}'}}"],
    ids=["token", "secret part", "url-quoted", "inside a repr"],
)
def test_every_form_of_the_token_is_redacted_in_any_logger(
    redacted: None, caplog: pytest.LogCaptureFixture, leak: str
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("some.library").debug("saw %s here", leak)
    message = caplog.records[0].getMessage()
    assert SECRET not in message
    assert REDACTED in message


def test_token_in_an_exception_traceback_is_redacted(
    redacted: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        logging.getLogger("telegram.ext.Updater").exception("Invalid token. Aborting.")
    [record] = caplog.records
    assert record.exc_text is not None
    assert f"RuntimeError: The token `{REDACTED}` was rejected" in record.exc_text
    # The exception object is gone, so no formatter can render its message again.
    assert record.exc_info is None
    for text in [*texts_of(record), caplog.text]:
        assert SECRET not in text
    # A handler with the standard formatter still prints the (redacted) traceback.
    formatted = logging.Formatter(LOG_FORMAT).format(record)
    assert "Traceback (most recent call last)" in formatted
    assert SECRET not in formatted


def test_ptb_api_calls_keep_the_endpoint_and_name_the_parameters_only(
    redacted: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bot_logger = logging.getLogger("telegram.ext.ExtBot")
    text = "Tarif bus listrik Rp4.000 sekali jalan"
    bot_logger.debug(
        "Calling Bot API endpoint `%s` with parameters `%s`",
        "sendMessage",
        {"chat_id": 2, "text": text, "parse_mode": "HTML"},
    )
    bot_logger.debug(
        "Call to Bot API endpoint `%s` finished with return value `%s`",
        "sendMessage",
        {"message_id": 7, "chat": {"id": 2, "type": "private"}, "text": text},
    )
    updates = [
        {"update_id": 5, "message": {"message_id": 1, "text": "berapa tarif bus?"}},
        {"update_id": 6, "edited_message": {"message_id": 1, "text": "berapa tarif kereta?"}},
        {"update_id": 7, "message": {"message_id": 2, "text": "dan ojek?"}},
    ]
    bot_logger.debug(
        "Call to Bot API endpoint `%s` finished with return value `%s`", "getUpdates", updates
    )
    bot_logger.debug(
        "Call to Bot API endpoint `%s` finished with return value `%s`", "getUpdates", []
    )
    bot_logger.debug("Getting updates: %s", [5, 6, 7])
    bot_logger.critical("Error while parsing updates! Received data was %r", updates)
    logging.getLogger("telegram.request.BaseRequest").error(
        'Can not load invalid JSON data: "%s"', '{"text": "berapa tarif bus?"'
    )
    update = Update(
        5,
        message=TelegramMessage(
            1,
            dt.datetime(2025, 6, 2, tzinfo=dt.UTC),
            TelegramChat(2, "private"),
            text="berapa tarif bus?",
        ),
    )
    logging.getLogger("telegram.ext.Application").debug("Processing update %s", update)
    assert [record.getMessage() for record in caplog.records] == [
        "Calling Bot API endpoint `sendMessage` with parameters `{chat_id, text, parse_mode}`",
        "Call to Bot API endpoint `sendMessage` finished with return value "
        "`{message_id, chat, text}`",
        "Call to Bot API endpoint `getUpdates` finished with return value "
        "`<3 updates: 2 message, 1 edited_message>`",
        "Call to Bot API endpoint `getUpdates` finished with return value `[]`",
        "Getting updates: [5, 6, 7]",
        "Error while parsing updates! Received data was "
        "'<3 updates: 2 message, 1 edited_message>'",
        'Can not load invalid JSON data: "<28 chars>"',
        "Processing update #5 (message)",
    ]


def test_other_loggers_keep_their_arguments(
    redacted: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("bot.handlers").info("chars=%d sources %s", 12, ["a.txt", "b.txt"])
    assert caplog.records[0].getMessage() == "chars=12 sources ['a.txt', 'b.txt']"


def test_configure_logging_sets_levels_handler_and_redaction(logging_state: None) -> None:
    root = logging.getLogger()
    root.handlers[:] = []
    configure_logging("info", secrets=[TOKEN])
    configure_logging("INFO", secrets=["111:other-secret"])
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    factory = logging.getLogRecordFactory()
    assert isinstance(factory, RedactingRecordFactory)
    # Installed once, and a second call adds its secrets to the first's.
    assert not isinstance(factory.previous, RedactingRecordFactory)
    assert factory.redact(f"{TOKEN} 111:other-secret") == f"{REDACTED} {REDACTED}"
    assert root.level == logging.INFO
    assert logging.getLogger("telegram").level == logging.INFO
    for name in ("httpx", "httpcore", "apscheduler"):
        assert logging.getLogger(name).level == logging.WARNING
    configure_logging("DEBUG")
    for name in ("", "httpx", "httpcore", "apscheduler", "telegram"):
        assert logging.getLogger(name).level == logging.DEBUG
    configure_logging(logging.ERROR)
    for name in ("", "httpx", "httpcore", "apscheduler", "telegram"):
        assert logging.getLogger(name).level == logging.ERROR


# -- end to end ---------------------------------------------------------------------------------

PRIVATE_QUESTION = "Berapa tarif bus listrik di Semarang menurut Wirasaba?"
GROUP_QUESTION = "berapa tarif bus listrik Semarang bagi Kalimasada?"
REPLY_QUESTION = "berapa jarak tempuh baterai bus untuk Pranawengkara?"
FAILING_QUESTION = "tarif bus listrik Semarang Gagalwijaya"
INLINE_QUESTION = "tarif bus listrik Semarang kata Sukmajaya"
QUESTIONS = (PRIVATE_QUESTION, GROUP_QUESTION, REPLY_QUESTION, FAILING_QUESTION, INLINE_QUESTION)
# A passage of the answers the bot sends: replies are message content too.
ANSWER_TEXT = "Rp4.000 sekali jalan"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram(TOKEN, bot_username=BOT) as server:
        yield server


class FailingArchive(Archive):
    """The archive, except that one question fails with the token in its error."""

    def ask(self, question: str, k: int = DEFAULT_K, leave_out: Sequence[str] = ()) -> Answer:
        if question == FAILING_QUESTION:
            raise RuntimeError(f"the archive saw {TOKEN}")
        return super().ask(question, k, leave_out)


async def test_logs_at_debug_hold_neither_token_nor_question_texts(
    logging_state: None,
    caplog: pytest.LogCaptureFixture,
    fake: FakeTelegram,
    archive: Archive,
    sources: Path,
) -> None:
    # The entry point's setup, with every logger at DEBUG and caplog capturing all of it.
    configure_logging("DEBUG", secrets=(TOKEN,))
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    settings = BotSettings(
        token=TOKEN,
        db_path=archive.path,
        base_url=fake.base_url,
        admin_ids=frozenset({ADMIN_ID}),
        sources=(sources,),
        group_cooldown=dt.timedelta(milliseconds=100),
    )
    services = Services(
        settings=settings,
        archive=FailingArchive(archive.path),
        conversations=Conversations(archive.path),
        progress_interval=0.01,
    )
    reader = fake.user(2002, "Budi")
    admin = fake.user(ADMIN_ID, "Ayu")

    async def reply_to(question: Message) -> Message:
        def answer() -> Message | None:
            sent = fake.sent_to(question.chat)
            return next((m for m in sent if m.message_id > question.message_id), None)

        return await fake.wait_for(answer, what=f"a reply to message {question.message_id}")

    async with polling_bot(fake, services) as application:
        private = fake.private_chat(reader)
        answer = await reply_to(fake.send(private, reader, PRIVATE_QUESTION))
        assert ANSWER_TEXT in answer.text

        group = fake.group(-100444, "Warga Semarang", privacy=True)
        asked = fake.send(group, reader, f"/ask@{BOT} {GROUP_QUESTION}")
        group_answer = await reply_to(asked)
        assert ANSWER_TEXT in group_answer.text
        follow_up = fake.send(group, reader, REPLY_QUESTION, reply_to=group_answer)
        assert "250 kilometer" in (await reply_to(follow_up)).text

        admin_chat = fake.private_chat(admin)
        progress = await reply_to(fake.send(admin_chat, admin, "/reindex"))
        summary = INDONESIAN_TEXTS.reindex_done.format(added=0, updated=0, unchanged=12, failed=0)

        def reindexed() -> bool:
            current = fake.message(admin_chat, progress.message_id)
            return current is not None and current.text == summary

        await fake.wait_for(reindexed, what="the reindex summary")

        # A button and an inline query carry the question and the answer too.
        button = answer.inline_keyboard[-1][0]["callback_data"]
        fake.press(private, reader, answer.message_id, button)
        await fake.wait_for(
            lambda: fake.calls_of("answerCallbackQuery"), what="the answer to the button"
        )
        query_id = fake.inline_query(reader, INLINE_QUESTION)
        await fake.wait_for(lambda: fake.inline_answer(query_id), what="the inline answer")

        help_reply = await reply_to(fake.send(private, reader, "/help"))
        assert help_reply.raw_text == INDONESIAN_TEXTS.help_private

        sorry = await reply_to(fake.send(private, reader, FAILING_QUESTION))
        assert sorry.text == INDONESIAN_TEXTS.sorry

        # A job through the job queue, so apscheduler logs a run as the feed job's would.
        ran = asyncio.Event()

        async def job(context: ContextTypes.DEFAULT_TYPE) -> None:
            ran.set()

        assert application.job_queue is not None
        application.job_queue.run_once(job, 0)
        await asyncio.wait_for(ran.wait(), timeout=5)

    records = caplog.records
    forbidden = [TOKEN, SECRET, *QUESTIONS, "Wirasaba", "Kalimasada", "Sukmajaya", ANSWER_TEXT]
    leaks = [
        (record.name, word)
        for record in records
        for text in texts_of(record)
        for word in forbidden
        if word in text
    ]
    assert leaks == []
    assert not any(word in caplog.text for word in forbidden)

    messages = [record.getMessage() for record in records]
    # Logs were captured, from every library, with the token redacted where it was.
    assert sum(message.startswith("question chars=") for message in messages) == 3
    assert f"question chars={len(PRIVATE_QUESTION)} " in "\n".join(messages)
    assert any(f"/bot{REDACTED}/getUpdates" in message for message in messages)
    assert any(
        message.startswith("Calling Bot API endpoint `sendMessage` with parameters `{chat_id")
        for message in messages
    )
    assert any(" 1 message>`" in message for message in messages)
    failure = next(record for record in records if record.getMessage() == "update failed")
    assert failure.exc_text is not None
    assert f"RuntimeError: the archive saw {REDACTED}" in failure.exc_text
    names = {record.name.split(".")[0] for record in records}
    assert names >= {"httpx", "httpcore", "telegram", "apscheduler", "bot"}


def test_a_rejected_token_stops_the_bot_without_printing_it(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    index_sources(db_path, [SAMPLE])
    with FakeTelegram("987654:the-token-telegram-knows") as fake:
        environment = bot_environment(fake, TOKEN, db_path)
        result = subprocess.run(
            [sys.executable, "-m", "bot"],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in output
    assert SECRET not in output
