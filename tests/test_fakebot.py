"""The fake Telegram server, driven by the real, unmodified python-telegram-bot client."""

import asyncio
import datetime as dt
import json
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultPhoto,
    InputTextMessageContent,
    ReplyParameters,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    ContextTypes,
    ExtBot,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.fakebot import Chat, FakeTelegram, User
from tests.fakebot.netguard import NetworkAccessError

TOKEN = "123456:TEST"
AnyApp = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram(TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


@asynccontextmanager
async def client(fake: FakeTelegram, tls_context: ssl.SSLContext) -> AsyncIterator[Bot]:
    # Bot's own default requests, except that they share one TLS context: building one per
    # client is most of the cost of a Bot, and the fake speaks plain HTTP anyway.
    shared = {"verify": tls_context}
    async with Bot(
        TOKEN,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=HTTPXRequest(httpx_kwargs=shared),
        get_updates_request=HTTPXRequest(connection_pool_size=1, httpx_kwargs=shared),
    ) as connected:
        yield connected


@pytest.fixture
async def bot(fake: FakeTelegram, tls_context: ssl.SSLContext) -> AsyncIterator[Bot]:
    async with client(fake, tls_context) as connected:
        yield connected


@pytest.fixture
def alice(fake: FakeTelegram) -> User:
    return fake.user(1001, "Alice", username="alice")


@pytest.fixture
def dm(fake: FakeTelegram, alice: User) -> Chat:
    return fake.private_chat(alice)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(f"echo: {message.text}")


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(f"pressed {query.data}")
    await query.edit_message_text(f"chosen: {query.data}")


@asynccontextmanager
async def running_bot(
    fake: FakeTelegram, first: Sequence[BaseHandler[Any, Any, Any]] = ()
) -> AsyncIterator[AnyApp]:
    """A real PTB Application polling the fake, shut down in PTB's documented order.

    ``first`` are handlers run before the echo and button handlers (in an earlier group).
    """
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    app.add_handlers(list(first), group=-1)
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(on_press))
    assert app.updater is not None
    async with app:  # initialize() now, shutdown() last
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=dt.timedelta(seconds=5))
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


def keyboard(*callback_data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(f"button {data}", callback_data=data) for data in callback_data]]
    )


async def test_get_me_describes_the_bot(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (123456, "newsbot_test_bot", True)
    assert me.can_read_all_group_messages is False
    assert me.can_join_groups is True
    assert me.supports_inline_queries is True
    # Bot.initialize() asks getMe first.
    assert [call.method for call in fake.calls] == ["getMe", "getMe"]
    fake.assert_no_errors()


async def test_private_message_is_delivered_and_answered(
    fake: FakeTelegram, alice: User, dm: Chat
) -> None:
    async with running_bot(fake):
        sent = fake.send(dm, alice, "halo, ada berita apa?")
        replies = await fake.wait_for_bot_messages(dm, 1)

    assert sent.delivered
    assert sent.message_id == 1
    assert [m.text for m in replies] == ["echo: halo, ada berita apa?"]
    assert replies[0].message_id == 2
    assert replies[0].sender == fake.bot_user
    assert [m.message_id for m in fake.messages_in(dm)] == [1, 2]
    # A clean shutdown: PTB's cancelled long poll and its final confirming poll cause no 409.
    fake.assert_no_errors()
    assert fake.pending_polls == 0


async def test_group_with_privacy_on_delivers_only_commands_and_replies(
    fake: FakeTelegram, alice: User
) -> None:
    group = fake.group(-100123, "Newsroom", privacy=True)
    async with running_bot(fake):
        first = fake.send(group, alice, "/ask@newsbot_test_bot siapa menteri keuangan?")
        (answer,) = await fake.wait_for_bot_messages(group, 1)
        outcomes = {
            text: fake.send(group, alice, text).delivered
            for text in (
                "@newsbot_test_bot apa kabar?",
                "/ask@other_bot x",
                "obrolan biasa",
                "tanya /ask di tengah",
                "/ask tanpa nama bot",
                "/ASK@NewsBot_Test_Bot huruf besar",
            )
        }
        reply = fake.send(group, alice, "balasan ke bot", reply_to=answer)
        sentinel = fake.send(group, alice, "/done")
        await fake.wait_for(lambda: len(fake.sent_to(group)) == 5, what="four more answers")

    assert first.delivered
    assert first.entities == ({"type": "bot_command", "offset": 0, "length": 21},)
    assert answer.reply_to is not None
    assert answer.reply_to.message_id == first.message_id
    assert outcomes == {
        "@newsbot_test_bot apa kabar?": False,
        "/ask@other_bot x": False,
        "obrolan biasa": False,
        "tanya /ask di tengah": False,
        "/ask tanpa nama bot": True,
        "/ASK@NewsBot_Test_Bot huruf besar": True,
    }
    assert reply.delivered
    assert sentinel.delivered
    # Updates are handled in order, so the answers to the sentinel prove nothing else came in.
    assert [m.text for m in fake.sent_to(group)] == [
        "echo: /ask@newsbot_test_bot siapa menteri keuangan?",
        "echo: /ask tanpa nama bot",
        "echo: /ASK@NewsBot_Test_Bot huruf besar",
        "echo: balasan ke bot",
        "echo: /done",
    ]
    fake.assert_no_errors()


async def test_group_with_privacy_off_delivers_everything(fake: FakeTelegram, alice: User) -> None:
    group = fake.group(-100456, "Open newsroom", privacy=False)
    async with running_bot(fake):
        mention = fake.send(group, alice, "@newsbot_test_bot apa kabar?")
        other = fake.send(group, alice, "/ask@other_bot x")
        await fake.wait_for_bot_messages(group, 2)

    assert mention.delivered
    assert mention.entities == ({"type": "mention", "offset": 0, "length": 17},)
    assert other.delivered
    assert [m.text for m in fake.sent_to(group)] == [
        "echo: @newsbot_test_bot apa kabar?",
        "echo: /ask@other_bot x",
    ]
    fake.assert_no_errors()


async def test_valid_html_is_stored_as_text_and_entities(
    fake: FakeTelegram, bot: Bot, dm: Chat
) -> None:
    html = (
        "<b>Berita <i>terkini</i></b>\n"
        "<blockquote>Harga beras naik 5% &amp; stok aman.</blockquote>\n"
        '<a href="https://example.com/search?q=beras&amp;page=2">sumber</a> '
        '<pre><code class="language-python">x &lt; 1</code></pre>'
    )
    sent = await bot.send_message(dm.id, html, parse_mode="HTML")

    (stored,) = fake.sent_to(dm)
    assert stored.raw_text == html
    assert stored.parse_mode == "HTML"
    assert stored.text == ("Berita terkini\nHarga beras naik 5% & stok aman.\nsumber x < 1")
    assert list(stored.entities) == [
        {"type": "bold", "offset": 0, "length": 14},
        {"type": "italic", "offset": 7, "length": 7},
        {"type": "blockquote", "offset": 15, "length": 32},
        {
            "type": "text_link",
            "offset": 48,
            "length": 6,
            "url": "https://example.com/search?q=beras&page=2",
        },
        {"type": "pre", "offset": 55, "length": 5, "language": "python"},
    ]
    # PTB parsed the fake's answer back into the same message.
    assert sent.text == stored.text
    assert sent.entities[3].url == "https://example.com/search?q=beras&page=2"
    fake.assert_no_errors()


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        ("<b>tidak ditutup", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<script>alert(1)</script>", 'Unsupported start tag "script" at byte offset 0'),
        ("harga < 5 ribu", 'Unsupported start tag "" at byte offset 6'),
        ("Tom & Jerry", 'Unescaped "&" at byte offset 4'),
        ("&nbsp;spasi", 'Unsupported HTML entity "&nbsp;"'),
        ("<b><i>silang</b></i>", 'expected "</i>", found "</b>"'),
        ('<a href="https://x.id" target="_blank">x</a>', 'Unsupported attribute "target"'),
        ("<code><b>x</b></code>", 'Tag "b" can\'t be nested in the tag "code"'),
        ("<br>", 'Unsupported start tag "br"'),
    ],
)
async def test_invalid_html_is_rejected(
    fake: FakeTelegram, bot: Bot, dm: Chat, html: str, problem: str
) -> None:
    with (
        fake.expect_error("Bad Request: can't parse entities: ", method="sendMessage") as caught,
        pytest.raises(BadRequest, match=r"(?i)can't parse entities"),
    ):
        await bot.send_message(dm.id, html, parse_mode="HTML")

    # PTB recases Telegram's description, so the exact text is checked where the fake kept it.
    (rejected,) = caught.matched
    assert problem in str(rejected.description)
    assert fake.sent_to(dm) == []
    fake.assert_no_errors()


async def test_text_limit_counts_utf16_units(fake: FakeTelegram, bot: Bot, dm: Chat) -> None:
    exactly = "😀" * 2048  # 2048 characters, 4096 UTF-16 code units
    await bot.send_message(dm.id, exactly)

    with (
        fake.expect_error("message is too long"),
        pytest.raises(BadRequest, match="Message is too long"),
    ):
        await bot.send_message(dm.id, exactly + "a")
    # Markup does not count: the limit applies to the text after entity parsing.
    await bot.send_message(dm.id, f"<b>{'😀' * 2048}</b>", parse_mode="HTML")

    assert [len(m.text) for m in fake.sent_to(dm)] == [2048, 2048]
    fake.assert_no_errors()


async def test_empty_and_whitespace_text_is_rejected(
    fake: FakeTelegram, bot: Bot, dm: Chat
) -> None:
    with fake.expect_error("message text is empty"), pytest.raises(BadRequest):
        await bot.send_message(dm.id, " \n ")
    with fake.expect_error("message text is empty"), pytest.raises(BadRequest):
        await bot.send_message(dm.id, "<b></b>", parse_mode="HTML")


async def test_edit_with_identical_content_is_not_modified(
    fake: FakeTelegram, bot: Bot, dm: Chat
) -> None:
    sent = await bot.send_message(
        dm.id, "<b>draft</b>", parse_mode="HTML", reply_markup=keyboard("a")
    )

    with (
        fake.expect_error("message is not modified", method="editMessageText"),
        pytest.raises(BadRequest, match="Message is not modified"),
    ):
        await bot.edit_message_text(
            "<b>draft</b>", dm.id, sent.message_id, parse_mode="HTML", reply_markup=keyboard("a")
        )
    # Same text, but an edit that does not repeat the keyboard removes it: a real change.
    await bot.edit_message_text("<b>draft</b>", dm.id, sent.message_id, parse_mode="HTML")
    await bot.edit_message_text("final", dm.id, sent.message_id)

    edits = fake.edits_of(dm, sent.message_id)
    assert [(m.text, m.reply_markup) for m in edits] == [("draft", None), ("final", None)]
    current = fake.message(dm, sent.message_id)
    assert current is not None
    assert (current.text, current.entities, current.edit_date is not None) == ("final", (), True)
    fake.assert_no_errors()


async def test_edits_only_of_the_bots_own_existing_messages(
    fake: FakeTelegram, bot: Bot, alice: User, dm: Chat
) -> None:
    users_message = fake.send(dm, alice, "halo")

    with fake.expect_error("message to edit not found"), pytest.raises(BadRequest):
        await bot.edit_message_text("x", dm.id, 99)
    with fake.expect_error("message can't be edited"), pytest.raises(BadRequest):
        await bot.edit_message_text("x", dm.id, users_message.message_id)
    fake.assert_no_errors()


async def test_callback_data_is_limited_to_64_bytes(
    fake: FakeTelegram, bot: Bot, dm: Chat
) -> None:
    await bot.send_message(dm.id, "ok", reply_markup=keyboard("é" * 32))  # 64 bytes in UTF-8

    with (
        fake.expect_error("BUTTON_DATA_INVALID"),
        pytest.raises(BadRequest, match="Button_data_invalid"),
    ):
        await bot.send_message(dm.id, "too long", reply_markup=keyboard("é" * 32 + "a"))

    assert [m.text for m in fake.sent_to(dm)] == ["ok"]
    fake.assert_no_errors()


async def test_reply_to_a_missing_message_is_rejected(
    fake: FakeTelegram, bot: Bot, dm: Chat
) -> None:
    with (
        fake.expect_error("message to be replied not found"),
        pytest.raises(BadRequest, match="Message to be replied not found"),
    ):
        await bot.send_message(dm.id, "x", reply_parameters=ReplyParameters(99))
    sent = await bot.send_message(
        dm.id, "y", reply_parameters=ReplyParameters(99, allow_sending_without_reply=True)
    )

    assert sent.reply_to_message is None
    fake.assert_no_errors()


async def test_unknown_chat_and_unknown_method(fake: FakeTelegram, bot: Bot) -> None:
    with fake.expect_error("chat not found"), pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "halo")
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("send_pigeon")

    rejected = fake.errors[-1]
    assert (rejected.method, rejected.status, rejected.description) == (
        "sendPigeon",
        404,
        "Not Found",
    )
    with pytest.raises(AssertionError, match="sendPigeon"):
        fake.assert_no_errors()


def test_method_names_are_case_insensitive_and_the_token_is_checked(
    fake: FakeTelegram,
) -> None:
    def post(path: str) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(f"http://127.0.0.1:{fake.port}{path}", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read())

    assert post(f"/bot{TOKEN}/GETME")[1]["result"]["username"] == "newsbot_test_bot"
    assert post(f"/bot{TOKEN}/getme")[0] == 200
    assert post("/bot654321:WRONG/getMe") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )


async def test_wrong_token_is_unauthorized(fake: FakeTelegram) -> None:
    with fake.expect_error("Unauthorized"), pytest.raises(InvalidToken):
        async with Bot("654321:WRONG", base_url=fake.base_url):
            pass


async def test_get_updates_offsets_and_long_polling(
    fake: FakeTelegram, bot: Bot, alice: User, dm: Chat
) -> None:
    for text in ("satu", "dua"):
        fake.send(dm, alice, text)
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["satu", "dua"]
    # Without confirmation Telegram hands out the same updates again.
    assert len(await bot.get_updates(timeout=0)) == 2
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()

    poll = asyncio.create_task(bot.get_updates(offset=updates[-1].update_id + 1, timeout=30))
    await fake.wait_for(lambda: fake.pending_polls == 1, what="the long poll")
    fake.send(dm, alice, "tiga")
    # The poll asked to wait 30 s: getting the update well before that shows it was answered
    # as the update arrived.
    (update,) = await asyncio.wait_for(poll, timeout=10)

    assert update.message is not None
    assert update.message.text == "tiga"
    fake.assert_no_errors()


async def test_two_concurrent_pollers_conflict(fake: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await fake.wait_for(lambda: fake.pending_polls == 1, what="the first long poll")
    async with Bot(TOKEN, base_url=fake.base_url) as second_instance:
        with fake.expect_error("terminated by other getUpdates request"):
            second = asyncio.create_task(second_instance.get_updates(timeout=10))
            with pytest.raises(Conflict):
                await first
        fake.stop()
        assert await second == ()


async def test_stop_returns_promptly_during_a_long_poll(fake: FakeTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await fake.wait_for(lambda: fake.pending_polls == 1, what="the long poll")

    fake.stop()

    # The poll asked to wait 30 s; stop() answers it at once.
    assert await asyncio.wait_for(poll, timeout=10) == ()


async def test_pressing_a_button_reaches_the_bot(
    fake: FakeTelegram, bot: Bot, alice: User, dm: Chat
) -> None:
    menu = await bot.send_message(
        dm.id, "pilih topik", reply_markup=keyboard("ekonomi", "olahraga")
    )
    with pytest.raises(ValueError, match="no button"):
        fake.press(dm, alice, menu.message_id, "politik")

    async with running_bot(fake):
        fake.press(dm, alice, menu.message_id, "ekonomi")
        await fake.wait_for(lambda: fake.edits_of(dm, menu.message_id), what="the edit")

    (answer,) = fake.calls_of("answerCallbackQuery")
    assert answer.ok
    assert answer.params["text"] == "pressed ekonomi"
    edited = fake.message(dm, menu.message_id)
    assert edited is not None
    assert (edited.text, edited.inline_keyboard) == ("chosen: ekonomi", [])
    with fake.expect_error("query is too old"), pytest.raises(BadRequest):
        await bot.answer_callback_query(answer.params["callback_query_id"])
    fake.assert_no_errors()


async def test_commands_are_stored_per_scope_and_language(fake: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("ask", "Tanya berita")])
    await bot.set_my_commands(
        [BotCommand("ask", "Ask about the news")],
        scope=BotCommandScopeAllGroupChats(),
        language_code="en",
    )

    assert [c.command for c in await bot.get_my_commands()] == ["ask"]
    assert fake.commands() == [{"command": "ask", "description": "Tanya berita"}]
    assert fake.commands({"type": "all_group_chats"}, "en") == [
        {"command": "ask", "description": "Ask about the news"}
    ]
    assert fake.commands({"type": "all_group_chats"}) is None
    with fake.expect_error("BOT_COMMAND_INVALID"), pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Ask", "uppercase is not allowed")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    fake.assert_no_errors()


async def test_chat_action_delete_and_get_chat(
    fake: FakeTelegram, bot: Bot, alice: User, dm: Chat
) -> None:
    await bot.send_chat_action(dm.id, "typing")
    sent = await bot.send_message(dm.id, "sementara")
    assert await bot.delete_message(dm.id, sent.message_id)
    chat = await bot.get_chat(dm.id)

    assert fake.sent_to(dm) == []
    assert (chat.id, chat.type, chat.first_name) == (alice.id, "private", "Alice")
    with fake.expect_error("wrong parameter action"), pytest.raises(BadRequest):
        await bot.send_chat_action(dm.id, "dancing")
    with fake.expect_error("message to delete not found"), pytest.raises(BadRequest):
        await bot.delete_message(dm.id, sent.message_id)
    fake.assert_no_errors()


async def test_markdown_is_not_emulated(fake: FakeTelegram, bot: Bot, dm: Chat) -> None:
    with fake.expect_error("does not emulate parse_mode"), pytest.raises(BadRequest):
        await bot.send_message(dm.id, "*bold*", parse_mode="MarkdownV2")


async def test_wait_for_fails_fast_and_clearly(fake: FakeTelegram, bot: Bot, dm: Chat) -> None:
    await bot.send_message(dm.id, "satu")
    with pytest.raises(
        AssertionError, match=r"timed out after 0.05s waiting for nothing(.|\n)*#2 sendMessage"
    ):
        await fake.wait_for(lambda: False, 0.05, what="nothing")

    failing = asyncio.create_task(fake.wait_for(lambda: False, 30, what="an answer"))
    with pytest.raises(BadRequest):
        await bot.send_message(dm.id, "<b>", parse_mode="HTML")
    with pytest.raises(AssertionError, match="the fake rejected a call"):
        await failing
    with (
        pytest.raises(AssertionError, match="expected a rejected call"),
        fake.expect_error("never happens"),
    ):
        await bot.send_message(dm.id, "dua")


def test_network_guard_blocks_everything_but_loopback(tmp_path: Path) -> None:
    with pytest.raises(NetworkAccessError, match=r"203\.0\.113\.7"):
        socket.create_connection(("203.0.113.7", 443), timeout=1)
    with pytest.raises(NetworkAccessError, match=r"api\.telegram\.org"):
        socket.getaddrinfo("api.telegram.org", 443)
    with socket.socket() as sock, pytest.raises(NetworkAccessError):
        sock.connect_ex(("8.8.8.8", 53))
    with socket.socket(socket.AF_INET6) as sock, pytest.raises(NetworkAccessError):
        sock.connect(("2001:db8::1", 443))

    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass
        with socket.create_connection(("localhost", port), timeout=1):
            pass
    with socket.socket(socket.AF_UNIX) as listener, socket.socket(socket.AF_UNIX) as client:
        path = str(tmp_path / "guard.sock")
        listener.bind(path)
        listener.listen()
        client.connect(path)


# -- helpers for the raw Bot API, webhooks and flood control -----------------------------------


def call_raw(fake: FakeTelegram, method: str, **params: str) -> tuple[int, dict[str, Any]]:
    """One form-encoded request, as PTB sends them; returns the status and the JSON answer."""
    request = urllib.request.Request(
        f"{fake.base_url}{TOKEN}/{method}",
        data=urllib.parse.urlencode(params).encode(),
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


class ManualClock:
    """A clock for flood control that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    update: dict[str, Any]


class WebhookListener:
    """The bot's side of a webhook on 127.0.0.1: records every POST and answers it with the next
    scripted status (200 when the script is used up), or 403 when ``secret`` is set and the
    request's secret-token header differs, as PTB's webhook handler does."""

    def __init__(
        self,
        statuses: Sequence[int] = (),
        secret: str | None = None,
        on_update: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.statuses = list(statuses)
        self.secret = secret
        self.on_update = on_update
        self.received: list[Received] = []
        self._lock = threading.Lock()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                update = json.loads(body)
                with listener._lock:
                    listener.received.append(Received(self.path, dict(self.headers), update))
                    scripted = listener.statuses.pop(0) if listener.statuses else 200
                token = self.headers.get("X-Telegram-Bot-Api-Secret-Token")
                status = 403 if listener.secret is not None and token != listener.secret else 200
                status = scripted if status == 200 else status
                if status == 200 and listener.on_update is not None:
                    listener.on_update(update)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "WebhookListener":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/telegram-hook"


@pytest.fixture
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns whenever it builds a RetryAfter unless PTB_TIMEDELTA opts in to its coming
    timedelta attributes, and warnings are errors here."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


def deliveries_of(fake: FakeTelegram) -> list[tuple[int, int, int]]:
    return [(d.update_id, d.status, d.attempt) for d in fake.webhook_deliveries]


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- getMe settings -----------------------------------------------------------------------------


async def test_get_me_reports_the_bots_settings(tls_context: ssl.SSLContext) -> None:
    with FakeTelegram(TOKEN, reads_all_group_messages=True, supports_inline_queries=False) as fake:
        async with client(fake, tls_context) as bot:
            me = await bot.get_me()
        alice = fake.user(1001, "Alice")
        with pytest.raises(ValueError, match="does not support inline queries"):
            fake.inline_query(alice, "beras")

    assert (me.can_join_groups, me.can_read_all_group_messages, me.supports_inline_queries) == (
        True,
        True,
        False,
    )
    fake.assert_no_errors()


# -- inline mode ---------------------------------------------------------------------------------


def article(
    result_id: str,
    text: str,
    *,
    title: str = "Berita",
    parse_mode: str | None = "HTML",
    reply_markup: InlineKeyboardMarkup | None = None,
) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        result_id,
        title,
        InputTextMessageContent(text, parse_mode=parse_mode),
        reply_markup=reply_markup,
        description="ringkasan",
    )


async def answer_news(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.inline_query
    assert query is not None
    await query.answer(
        [
            article("harga-1", f"<b>Harga {query.query}</b> naik 5%", reply_markup=keyboard("a")),
            article("harga-2", "Stok aman", parse_mode=None),
        ],
        cache_time=0,
        is_personal=True,
        next_offset="2",
    )


async def test_inline_query_is_answered_and_a_result_posted_via_the_bot(
    fake: FakeTelegram, alice: User, dm: Chat
) -> None:
    seen_via: list[str | None] = []

    async def note_via_bot(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        seen_via.append(message.via_bot.username if message.via_bot else None)

    handlers = [InlineQueryHandler(answer_news), MessageHandler(filters.VIA_BOT, note_via_bot)]
    async with running_bot(fake, handlers):
        query_id = fake.inline_query(alice, "beras", chat_type="sender")
        answer = await fake.wait_for(lambda: fake.inline_answer(query_id), what="the answer")
        chosen = fake.choose_inline_result(alice, query_id, "harga-1", dm)
        (echoed,) = await fake.wait_for_bot_messages(dm, 1)

    assert answer.result_ids == ["harga-1", "harga-2"]
    assert answer.results[0]["input_message_content"] == {
        "message_text": "<b>Harga beras</b> naik 5%",
        "parse_mode": "HTML",
    }
    assert (answer.next_offset, answer.is_personal, answer.cache_time) == ("2", True, 0)
    assert chosen.sender == alice
    assert chosen.via_bot == fake.bot_user
    assert chosen.delivered
    assert (chosen.text, chosen.raw_text) == ("Harga beras naik 5%", "<b>Harga beras</b> naik 5%")
    assert chosen.entities == ({"type": "bold", "offset": 0, "length": 11},)
    assert chosen.inline_keyboard == [[{"text": "button a", "callback_data": "a"}]]
    assert chosen.to_api()["via_bot"]["username"] == "newsbot_test_bot"
    assert seen_via == ["newsbot_test_bot"]
    assert echoed.text == "echo: Harga beras naik 5%"
    with fake.expect_error("query is too old"), pytest.raises(BadRequest):
        async with Bot(TOKEN, base_url=fake.base_url) as late:
            await late.answer_inline_query(query_id, [article("x", "terlambat")])
    fake.assert_no_errors()


async def test_a_result_via_the_bot_passes_privacy_mode(
    fake: FakeTelegram, bot: Bot, alice: User
) -> None:
    group = fake.group(-100777, "Newsroom", privacy=True)
    query_id = fake.inline_query(alice, "beras", offset="2", chat_type="supergroup")
    await bot.answer_inline_query(query_id, [article("1", "Harga beras naik")])

    chatter = fake.send(group, alice, "Harga beras naik")
    chosen = fake.choose_inline_result(alice, query_id, "1", group)

    assert not chatter.delivered
    assert chosen.delivered
    inline, update = await bot.get_updates(timeout=0)
    assert inline.inline_query is not None
    assert (inline.inline_query.id, inline.inline_query.from_user.id) == (query_id, alice.id)
    assert (inline.inline_query.query, inline.inline_query.offset) == ("beras", "2")
    assert inline.inline_query.chat_type == "supergroup"
    assert update.message is not None
    assert update.message.via_bot is not None
    assert update.message.via_bot.id == fake.bot_user.id
    fake.assert_no_errors()


@pytest.mark.parametrize(
    ("results", "next_offset", "problem"),
    [
        ([article(str(n), "x") for n in range(51)], None, "RESULTS_TOO_MUCH"),
        ([article("1", "x"), article("1", "y")], None, "RESULT_ID_DUPLICATE"),
        ([article("é" * 32 + "a", "x")], None, "RESULT_ID_INVALID"),  # 65 bytes
        ([article("", "x")], None, "RESULT_ID_INVALID"),
        ([article("1", "x", title="")], None, 'Field "title" must be a non-empty String'),
        (
            [article("1", "<b>x")],
            None,
            "can't parse inline query result: Can't parse entities: Can't find end tag",
        ),
        ([article("1", "a" * 4097, parse_mode=None)], None, "MESSAGE_TOO_LONG"),
        ([article("1", "<b> </b>")], None, "MESSAGE_EMPTY"),
        ([article("1", "x", reply_markup=keyboard("é" * 33))], None, "BUTTON_DATA_INVALID"),
        ([article("1", "x")], "o" * 65, "NEXT_OFFSET_INVALID"),
        (
            [InlineQueryResultPhoto("1", "https://x.id/a.jpg", "https://x.id/t.jpg")],
            None,
            "does not emulate inline query results of type photo",
        ),
    ],
)
async def test_inline_answers_are_checked_like_telegram(
    fake: FakeTelegram,
    bot: Bot,
    alice: User,
    results: list[Any],
    next_offset: str | None,
    problem: str,
) -> None:
    query_id = fake.inline_query(alice, "beras")
    with (
        fake.expect_error(problem, method="answerInlineQuery"),
        pytest.raises(BadRequest),
    ):
        await bot.answer_inline_query(query_id, results, next_offset=next_offset)

    # A rejected answer leaves the query open.
    assert fake.inline_answer(query_id) is None
    assert await bot.answer_inline_query(query_id, [article("1", "ok")])
    fake.assert_no_errors()


async def test_inline_answers_need_an_open_query(
    fake: FakeTelegram, bot: Bot, alice: User, dm: Chat
) -> None:
    bob = fake.user(1002, "Bob")
    query_id = fake.inline_query(alice, "")
    with fake.expect_error("query is too old"), pytest.raises(BadRequest):
        await bot.answer_inline_query("999", [article("1", "x")])
    with pytest.raises(ValueError, match="has not answered"):
        fake.choose_inline_result(alice, query_id, "1", dm)
    await bot.answer_inline_query(query_id, [])
    with fake.expect_error("query is too old"), pytest.raises(BadRequest):
        await bot.answer_inline_query(query_id, [article("1", "x")])

    with pytest.raises(ValueError, match="no result '1'"):
        fake.choose_inline_result(alice, query_id, "1", dm)
    with pytest.raises(ValueError, match="Alice's, not Bob's"):
        fake.choose_inline_result(bob, query_id, "1", dm)
    with pytest.raises(ValueError, match="chat_type"):
        fake.inline_query(alice, "x", chat_type="secret")
    answer = fake.inline_answer(query_id)
    assert answer is not None
    assert answer.results == ()
    fake.assert_no_errors()


# -- deep links ----------------------------------------------------------------------------------


async def test_a_start_link_opens_the_private_chat(fake: FakeTelegram) -> None:
    bob = fake.user(1002, "Bob")
    async with running_bot(fake):
        start = fake.open_start_link(bob, "ref_42-x")
        (answer,) = await fake.wait_for_bot_messages(bob.id, 1)

    assert (start.chat.id, start.chat.type, start.text) == (bob.id, "private", "/start ref_42-x")
    assert start.entities == ({"type": "bot_command", "offset": 0, "length": 6},)
    assert start.delivered
    assert answer.text == "echo: /start ref_42-x"
    # The chat exists now; opening the link again sends /start into it once more.
    assert fake.open_start_link(bob.id, "again").message_id == 3
    for payload in ("", "a b", "x" * 65, "é"):
        with pytest.raises(ValueError, match="start payload"):
            fake.open_start_link(bob, payload)
    fake.assert_no_errors()


# -- timing ------------------------------------------------------------------------------------


async def test_messages_carry_the_time_they_were_stored(fake: FakeTelegram, alice: User) -> None:
    # reply_text quotes the message it answers in groups (in private chats PTB does not quote).
    group = fake.group(-100456, "Open newsroom", privacy=False)
    before = time.monotonic()
    async with running_bot(fake) as app:
        question = fake.send(group, alice, "halo")
        (reply,) = await fake.wait_for_bot_messages(group, 1)
        other = fake.send(group, alice, "lagi")
        await fake.wait_for(lambda: fake.replies_to(group, other), what="the second reply")
        menu = await app.bot.send_message(group.id, "menu", reply_markup=keyboard("a"))
        fake.press(group, alice, menu.message_id, "a")
        await fake.wait_for(lambda: fake.edits_of(group, menu.message_id), what="the edit")

    assert fake.replies_to(group, question) == [reply]
    assert [m.text for m in fake.replies_to(group, other.message_id)] == ["echo: lagi"]
    assert before <= question.at <= reply.at <= other.at
    (edited,) = fake.edits_of(group, menu.message_id)
    stored_menu = fake.message(group, menu.message_id)
    assert stored_menu is not None
    assert edited.at == stored_menu.at
    assert edited.edited_at is not None
    assert edited.edited_at >= edited.at
    assert reply.edited_at is None
    fake.assert_no_errors()


# -- webhooks ------------------------------------------------------------------------------------


async def test_set_webhook_is_checked_and_stops_get_updates(
    fake: FakeTelegram, bot: Bot, alice: User, dm: Chat
) -> None:
    bad = [
        ("http://bot.example/hook", None, "An HTTPS URL must be provided for webhook"),
        ("https://bot.example:8080/hook", None, "only on ports 80, 88, 443 or 8443"),
        ("https://bot.example/hook", "no spaces", "secret token contains unallowed characters"),
        ("https://bot.example/hook", "x" * 257, "secret token contains unallowed characters"),
    ]
    for url, secret, problem in bad:
        with fake.expect_error(problem, method="setWebhook"), pytest.raises(BadRequest):
            await bot.set_webhook(url, secret_token=secret)
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await fake.wait_for(lambda: fake.pending_polls == 1, what="the long poll")

    with fake.expect_error("can't use getUpdates method while webhook is active"):
        assert await bot.set_webhook(
            "https://bot.example:8443/hook",
            secret_token="A-z_09" * 40,
            allowed_updates=["message"],
            max_connections=5,
        )
        # A poll that was waiting ends with the conflict, and so does any new one.
        with pytest.raises(Conflict):
            await poll
        fake.send(dm, alice, "halo")
        with pytest.raises(Conflict, match="use deleteWebhook"):
            await bot.get_updates(timeout=0)

    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count, info.has_custom_certificate) == (
        "https://bot.example:8443/hook",
        1,
        False,
    )
    assert (info.max_connections, info.allowed_updates) == (5, ("message",))
    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    (update,) = await bot.get_updates(timeout=0)
    assert update.message is not None
    assert update.message.text == "halo"
    fake.assert_no_errors()


async def test_webhook_delivers_in_order_and_retries_failures(
    fake: FakeTelegram, bot: Bot, alice: User, dm: Chat
) -> None:
    with WebhookListener(statuses=[500, 502]) as listener:
        await bot.set_webhook("https://bot.example/hook", secret_token="s3cret")
        fake.deliver_webhooks_to(listener.url)
        first = fake.send(dm, alice, "satu")
        fake.send(dm, alice, "dua")
        await fake.wait_for(lambda: len(fake.webhook_deliveries) == 4, what="four deliveries")
        info = await bot.get_webhook_info()

    assert deliveries_of(fake) == [(1, 500, 1), (1, 502, 2), (1, 200, 3), (2, 200, 1)]
    times = [delivery.at for delivery in fake.webhook_deliveries]
    assert times[1] - times[0] >= 0.05
    assert times[2] - times[1] >= 0.1
    assert [r.update["update_id"] for r in listener.received] == [1, 1, 1, 2]
    assert listener.received[0].update["message"] == first.to_api()
    assert {r.path for r in listener.received} == {"/telegram-hook"}
    headers = listener.received[-1].headers
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret"
    assert headers["Content-Type"] == "application/json"
    assert info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 502 Bad Gateway"
    fake.assert_no_errors()


async def test_webhook_gives_an_update_up_after_failed_attempts(
    fake: FakeTelegram, bot: Bot, alice: User, dm: Chat
) -> None:
    await bot.set_webhook("https://bot.example/hook")
    fake.deliver_webhooks_to(f"http://127.0.0.1:{unused_port()}/hook")
    fake.send(dm, alice, "tidak sampai")
    await fake.wait_for(lambda: len(fake.webhook_deliveries) == 5, what="five attempts")
    info = await bot.get_webhook_info()

    assert deliveries_of(fake) == [(1, 0, n) for n in range(1, 6)]
    assert info.pending_update_count == 0
    assert info.last_error_message == "Connection refused"
    with pytest.raises(ValueError, match="local listener"):
        fake.deliver_webhooks_to("https://bot.example/hook")
    fake.assert_no_errors()


async def test_a_webhook_bot_answers_and_refuses_forged_updates(
    fake: FakeTelegram, alice: User, dm: Chat
) -> None:
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .updater(None)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    loop = asyncio.get_running_loop()

    def enqueue(data: dict[str, Any]) -> None:
        loop.call_soon_threadsafe(app.update_queue.put_nowait, Update.de_json(data, app.bot))

    webhook_threads = [t for t in threading.enumerate() if t.name == "fake-telegram-webhook"]
    with WebhookListener(secret="s3cret", on_update=enqueue) as listener:
        async with app:
            await app.start()
            await app.bot.set_webhook("https://bot.example/telegram", secret_token="s3cret")
            fake.deliver_webhooks_to(listener.url)
            question = fake.send(dm, alice, "halo")
            await fake.wait_for_bot_messages(dm, 1)
            forged = {"update_id": 99, "message": {**question.to_api(), "text": "palsu"}}
            wrong = await asyncio.to_thread(fake.post_update_to_webhook, forged, "wrong")
            missing = await asyncio.to_thread(fake.post_update_to_webhook, forged, None)
            fake.send(dm, alice, "lagi")
            await fake.wait_for_bot_messages(dm, 2)
            await app.stop()

    assert (wrong, missing) == (403, 403)
    assert [m.text for m in fake.sent_to(dm)] == ["echo: halo", "echo: lagi"]
    # The forged update never entered Telegram's queue: the next real one is update 2.
    assert deliveries_of(fake) == [(1, 200, 1), (2, 200, 1)]
    fake.assert_no_errors()
    assert webhook_threads
    fake.stop()
    assert all(not thread.is_alive() for thread in webhook_threads)


# -- flood control and injected failures ------------------------------------------------------


@pytest.mark.usefixtures("ptb_timedelta")
async def test_private_chat_allows_a_burst_of_three_then_one_a_second(
    tls_context: ssl.SSLContext,
) -> None:
    clock = ManualClock()
    with FakeTelegram(TOKEN, clock=clock) as fake:
        dm = fake.private_chat(fake.user(1001, "Alice"))
        async with client(fake, tls_context) as bot:
            sent = [await bot.send_message(dm.id, f"pesan {n}") for n in range(3)]
            with pytest.raises(RetryAfter):
                await bot.send_message(dm.id, "terlalu cepat")
            clock.advance(0.5)
            with pytest.raises(RetryAfter):
                await bot.send_message(dm.id, "masih terlalu cepat")
            clock.advance(0.5)
            await bot.send_message(dm.id, "satu detik kemudian")
            # Edits are not limited.
            for n in range(5):
                await bot.edit_message_text(f"ubah {n}", dm.id, sent[0].message_id)
            clock.advance(10)
            for n in range(3):
                await bot.send_message(dm.id, f"lagi {n}")
            status, answer = call_raw(fake, "sendMessage", chat_id=str(dm.id), text="x")

    assert (status, answer) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        },
    )
    assert len(fake.sent_to(dm)) == 7
    assert len(fake.unexpected_errors) == 3
    with pytest.raises(AssertionError, match="Too Many Requests: retry after 1"):
        fake.assert_no_errors()


@pytest.mark.usefixtures("ptb_timedelta")
async def test_group_allows_twenty_messages_a_minute(tls_context: ssl.SSLContext) -> None:
    clock = ManualClock()
    with FakeTelegram(TOKEN, clock=clock) as fake:
        group = fake.group(-100123, "Newsroom")
        async with client(fake, tls_context) as bot:
            for n in range(20):
                await bot.send_message(group.id, f"berita {n}")
                clock.advance(0.5)  # 10 s for all twenty: within the minute
            with fake.expect_error("Too Many Requests: retry after 50"), pytest.raises(RetryAfter):
                await bot.send_message(group.id, "kedua puluh satu")
            clock.advance(49)
            with fake.expect_error("Too Many Requests: retry after 1"), pytest.raises(RetryAfter):
                await bot.send_message(group.id, "masih terlalu cepat")
            clock.advance(1)  # the first message is a minute old: one more fits
            await bot.send_message(group.id, "boleh")
            with fake.expect_error("retry after 1"), pytest.raises(RetryAfter):
                await bot.send_message(group.id, "belum")

    assert len(fake.sent_to(group)) == 21
    fake.assert_no_errors()


@pytest.mark.usefixtures("ptb_timedelta")
async def test_thirty_messages_a_second_in_total(tls_context: ssl.SSLContext) -> None:
    clock = ManualClock()
    with FakeTelegram(TOKEN, clock=clock) as fake:
        chats = [fake.private_chat(fake.user(2000 + n, f"User {n}")) for n in range(31)]
        async with client(fake, tls_context) as bot:
            for chat in chats[:30]:
                await bot.send_message(chat.id, "pengumuman")
            with fake.expect_error("Too Many Requests: retry after 1"), pytest.raises(RetryAfter):
                await bot.send_message(chats[30].id, "pengumuman")
            clock.advance(1)
            await bot.send_message(chats[30].id, "pengumuman")
            fake.limits = False
            for _ in range(10):
                await bot.send_message(chats[0].id, "tanpa batas")
            assert not fake.limits

    assert sum(len(fake.sent_to(chat)) for chat in chats) == 41
    fake.assert_no_errors()


@pytest.mark.usefixtures("ptb_timedelta")
async def test_injected_failures_are_expected(fake: FakeTelegram, bot: Bot, dm: Chat) -> None:
    fake.inject_error("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    fake.inject_error("getChat", 502, "Bad Gateway", times=2)
    with pytest.raises(RetryAfter):
        await bot.send_message(dm.id, "x")
    await bot.send_message(dm.id, "y")
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.get_chat(dm.id)
    await bot.get_chat(dm.id)

    assert [(c.method, c.status, c.expected) for c in fake.errors] == [
        ("sendMessage", 429, True),
        ("getChat", 502, True),
        ("getChat", 502, True),
    ]
    assert [m.text for m in fake.sent_to(dm)] == ["y"]
    with pytest.raises(ValueError, match="does not serve"):
        fake.inject_error("sendPigeon", 500, "x")
    with pytest.raises(ValueError, match="error status"):
        fake.inject_error("getMe", 200, "x")
    fake.assert_no_errors()


@pytest.mark.usefixtures("ptb_timedelta")
async def test_a_bot_that_honours_retry_after_gets_through(fake: FakeTelegram, dm: Chat) -> None:
    fake.inject_error("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    async with ExtBot(
        TOKEN, base_url=fake.base_url, rate_limiter=AIORateLimiter(max_retries=1)
    ) as patient:
        started = time.monotonic()
        await patient.send_message(dm.id, "sabar")
        waited = time.monotonic() - started

    assert waited >= 1.0
    assert [c.status for c in fake.calls_of("sendMessage")] == [429, 200]
    assert [m.text for m in fake.sent_to(dm)] == ["sabar"]
    fake.assert_no_errors()
