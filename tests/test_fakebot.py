"""The fake Telegram server, driven by the real, unmodified python-telegram-bot client."""

import asyncio
import datetime as dt
import json
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest, Conflict, EndPointNotFound, InvalidToken
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
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


@pytest.fixture
async def bot(fake: FakeTelegram, tls_context: ssl.SSLContext) -> AsyncIterator[Bot]:
    # Bot's own default requests, except that they share one TLS context: building one per
    # client is most of the cost of a Bot, and the fake speaks plain HTTP anyway.
    shared = {"verify": tls_context}
    async with Bot(
        TOKEN,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=HTTPXRequest(httpx_kwargs=shared),
        get_updates_request=HTTPXRequest(connection_pool_size=1, httpx_kwargs=shared),
    ) as client:
        yield client


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
async def running_bot(fake: FakeTelegram) -> AsyncIterator[AnyApp]:
    """A real PTB Application polling the fake, shut down in PTB's documented order."""
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
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
