"""The output layer through the real PTB bot and the fake Bot API server: every rendered answer
is accepted; a rejected message is retried once as plain text; edits that change nothing are
silent; the typing indicator runs while a block runs and stops with it."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Iterator
from datetime import date

import pytest
import telegram
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram.error import BadRequest
from telegram.request import HTTPXRequest

from bot import output
from bot.render import MAX_QUOTE_UNITS, MESSAGE_LIMIT, answer_pages, render_answer_html, shorten
from bot.texts import ENGLISH_TEXTS, INDONESIAN_TEXTS, Texts
from index.models import Answer, DateWindow, Hit
from tests.fakebot import Chat, FakeTelegram, User
from tests.fakebot.entities import FormattedText, clean_and_trim, utf16_len

TOKEN = "123456:TEST"
LONG_PARAGRAPH = 10_000

HTML_LIKE = (
    "<b>",
    "</i>",
    "<a href=x>",
    '<a href="javascript:alert(1)">',
    "</a>",
    "<blockquote>",
    "<tg-spoiler>",
    "<br/>",
    "<!-- x -->",
    "&amp;",
    "&#x1F600;",
    "&#128512;",
    "&nbsp;",
    "&lt;",
    "&",
    "&amp",
    "<<",
    ">",
    "<",
    '"',
    "'",
)
EMOJI = (
    "😀",
    "👩\u200d👩\u200d👧\u200d👦",  # a family: four astral emoji joined by ZWJ
    "🏳️\u200d🌈",
    "🧑🏿\u200d🚀",
    "👍🏽",
    "🇮🇩",
    "❤️",
    "1️⃣",
    "𝔸𝕓𝕔",  # mathematical letters, astral
    "𠜎",  # CJK extension B, astral
)
RIGHT_TO_LEFT = (
    "مرحبا بالعالم",
    "الأخبار اليوم",
    "שלום עולם",
    "\u200f",  # right-to-left mark
    "\u200e",  # left-to-right mark
    "\u202e",  # right-to-left override
    "\u202b",  # right-to-left embedding
    "\u2067",  # right-to-left isolate
    "\u2069",  # pop directional isolate
)
INVISIBLE = (
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u2028",
    "\u2029",
    "\u0333",
    "\r",
    "\t",
    "\x00",
    "\x1b",
)
WORDS = (
    "Harga",
    "cabai",
    "naik.",
    "Jakarta",
    "the price rose.",
    "Rp4.000",
    "19,8",
    "@username",
    "/start",
    "#tag",
    "https://example.com/a?b=1&c=2",
    " ",
    "  ",
    "\n",
    "\n\n",
)

word = st.sampled_from(WORDS[:10])
fragment = st.one_of(
    st.sampled_from(HTML_LIKE + EMOJI + RIGHT_TO_LEFT + INVISIBLE + WORDS),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12),
)
fragments = st.lists(fragment, max_size=25).map("".join)
emoji_run = st.lists(st.sampled_from(EMOJI), min_size=10, max_size=40).map(" ".join)


@st.composite
def paragraphs(draw: st.DrawFn) -> str:
    """Mixed text around at least one word (a passage always holds some), sometimes repeated
    to a 10,000-character paragraph, which may be mostly emoji (two UTF-16 units each)."""
    text: str = draw(fragments) + draw(word) + draw(fragments)
    if draw(st.integers(0, 4)) == 0:
        if draw(st.booleans()):
            text = f"{draw(emoji_run)} {text}"
        text = ((text + " ") * (LONG_PARAGRAPH // (len(text) + 1) + 1))[:LONG_PARAGRAPH]
    return text


names = st.one_of(st.none(), fragments.filter(str.strip), paragraphs())
urls = st.one_of(
    st.none(),
    st.just("https://example.com/berita?id=1&x=<2>"),
    fragments.map(lambda tail: f"https://example.com/{tail}"),
    fragments,
    st.sampled_from(
        (
            "javascript:alert(1)",
            "example.com/berita",
            "/berita/1",
            "http://[::1",
            "https://",
            "https://example.com/a b",
            "https://example.com/\u202ex",
            "https://مثال.example/خبر",
            "tg://resolve?domain=x",
        )
    ),
)
published = st.sampled_from((None, "2023-12-05T08:09:00+07:00", "2016-09-04"))


@st.composite
def hits(draw: st.DrawFn, rank: int) -> Hit:
    text = draw(paragraphs())
    sentence = None
    if draw(st.booleans()):
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, min(len(text), start + 400)))
        sentence = text[start:end]
    return Hit(
        rank=rank,
        score=1.0,
        passage_id=f"a{rank}#1",
        text=text,
        article_id=f"a{rank}",
        title=draw(names),
        outlet=draw(names),
        url=draw(urls),
        published=draw(published),
        city=draw(st.one_of(st.none(), fragments.filter(str.strip))),
        reporter=draw(names),
        copyright_year=draw(st.one_of(st.none(), st.just(2019))),
        published_estimated=draw(st.booleans()),
        answer_sentence=sentence,
        also_published_by=tuple(draw(st.lists(fragments.filter(str.strip), max_size=3))),
        confidence=draw(st.sampled_from((1.0, 0.2))),
    )


@st.composite
def answers(draw: st.DrawFn) -> Answer:
    count = draw(st.integers(0, 6))
    week = st.builds(
        DateWindow, st.just(date(2026, 11, 16)), st.just(date(2026, 11, 22)), fragments
    )
    return Answer(
        question="q",
        hits=tuple(draw(hits(rank)) for rank in range(1, count + 1)),
        terms=tuple(draw(st.lists(st.one_of(fragments, paragraphs()), max_size=6))),
        declined=draw(st.booleans()),
        window=draw(st.one_of(st.none(), week)),
        asked_window=draw(st.one_of(st.none(), week)),
        undated_articles=draw(st.integers(0, 3)),
    )


def shown_as(text: str) -> str:
    """How Telegram shows ``text`` inside a message: cleaned of what it removes, trimmed."""
    return clean_and_trim(FormattedText(text, ())).text


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    # The test sends straight through a Bot, without the rate limiter the application has.
    with FakeTelegram(TOKEN, limits=False) as server:
        yield server
        server.assert_no_errors()


@pytest.fixture(scope="module")
def tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


@pytest.fixture
async def bot(fake: FakeTelegram, tls_context: ssl.SSLContext) -> AsyncIterator[telegram.Bot]:
    # One TLS context for every client: building one is most of the cost of a Bot.
    shared = {"verify": tls_context}
    async with telegram.Bot(
        TOKEN,
        base_url=fake.base_url,
        request=HTTPXRequest(httpx_kwargs=shared),
        get_updates_request=HTTPXRequest(connection_pool_size=1, httpx_kwargs=shared),
    ) as client:
        yield client


@pytest.fixture
def reader(fake: FakeTelegram) -> User:
    return fake.user(2002, "Budi")


@pytest.fixture
def chat(fake: FakeTelegram, reader: User) -> Chat:
    return fake.private_chat(reader)


def question(
    fake: FakeTelegram, bot: telegram.Bot, chat: Chat, reader: User, text: str = "q"
) -> telegram.Message:
    """A reader's message as the bot receives it."""
    return telegram.Message.de_json(fake.send(chat, reader, text).to_api(), bot)


@pytest.mark.parametrize("texts", [INDONESIAN_TEXTS, ENGLISH_TEXTS], ids=["id", "en"])
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    # One fake server and one bot serve every example; each example checks its own calls.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(answer=answers())
async def test_telegram_accepts_every_rendered_message(
    fake: FakeTelegram,
    bot: telegram.Bot,
    chat: Chat,
    reader: User,
    texts: Texts,
    answer: Answer,
) -> None:
    message = question(fake, bot, chat, reader)
    # The whole answer as the terminal's twin sends it, and the pages a reader turns in a
    # private chat (three quotes) and in a group (one).
    renderings = [
        render_answer_html(answer, texts),
        *([page.text for page in answer_pages(answer, texts, size)] for size in (3, 1)),
    ]
    for messages in renderings:
        before = len(fake.calls)
        sent = [await output.send(message, part, quote=True) for part in messages]
        # Only this example's calls: the fake serves them all, and shrinking replays failures.
        rejected = [str(call) for call in fake.calls[before:] if not call.ok]
        assert rejected == []
        shown = [reply.text or "" for reply in sent]
        for hit in answer.hits:
            quoted = shown_as(shorten(hit.text, MAX_QUOTE_UNITS))
            assert any(quoted in text for text in shown), f"passage {hit.rank} is not shown whole"


async def test_quotes_beyond_100_entities_go_to_the_next_message(
    fake: FakeTelegram, bot: telegram.Bot, chat: Chat, reader: User
) -> None:
    # Thirty short quotes of five entities each: short enough for one message, too many
    # entities for it.
    quotes = tuple(
        Hit(
            rank=rank,
            score=1.0,
            passage_id=f"a{rank}#1",
            text=f"Kutipan {rank}.",
            article_id=f"a{rank}",
            title=f"Judul {rank}",
            outlet="Warta",
            url=f"https://example.com/{rank}",
            published=None,
            answer_sentence=f"Kutipan {rank}.",
            also_published_by=("Kabar",),
            confidence=1.0,
        )
        for rank in range(1, 31)
    )
    parts = render_answer_html(Answer("q", quotes), INDONESIAN_TEXTS)
    message = question(fake, bot, chat, reader)
    sent = [await output.send(message, part, quote=False) for part in parts]
    assert len(sent) == 2
    assert [len(reply.entities) for reply in sent] == [100, 50]
    assert sum((reply.text or "").count("Kutipan") for reply in sent) == 30


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.output" and r.levelno >= logging.INFO]


async def test_a_rejected_message_is_sent_again_as_plain_text(
    fake: FakeTelegram,
    bot: telegram.Bot,
    chat: Chat,
    reader: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = '<b>Harga cabai & <i>bawang</b> naik 😀 <a href="https://example.com/x">Baca</a>'
    with fake.expect_error("can't parse entities", method="sendMessage"):
        sent = await output.send(question(fake, bot, chat, reader), broken, quote=True)
    assert sent.text == "Harga cabai & bawang naik 😀 Baca (https://example.com/x)"
    assert sent.reply_to_message is not None
    attempts = fake.calls_of("sendMessage")
    assert [call.params.get("parse_mode") for call in attempts] == ["HTML", None]
    [warning] = warnings_of(caplog)
    assert warning.levelno == logging.WARNING
    logged = warning.getMessage()
    assert "can't parse entities" in logged.lower()
    assert f"html_chars={len(broken)} " in logged
    assert "cabai" not in logged
    fake.assert_no_errors()


async def test_a_message_too_long_is_cut_to_fit_as_plain_text(
    fake: FakeTelegram, bot: telegram.Bot, chat: Chat, reader: User
) -> None:
    too_long = "<b>Berita</b> " + "😀 kata " * 1000
    with fake.expect_error("message is too long"):
        sent = await output.send(question(fake, bot, chat, reader), too_long, quote=False)
    assert sent.text is not None
    assert sent.text.startswith("Berita 😀 kata")
    assert sent.text.endswith("…")
    assert MESSAGE_LIMIT - 10 < utf16_len(sent.text) <= MESSAGE_LIMIT
    assert sent.reply_to_message is None


async def test_a_second_rejection_propagates(
    fake: FakeTelegram, bot: telegram.Bot, chat: Chat, reader: User
) -> None:
    message = question(fake, bot, chat, reader)
    elsewhere = Chat(4242, "private", first_name="Nobody")
    lost = telegram.Message.de_json({**message.to_dict(), "chat": elsewhere.to_api()}, bot)
    with fake.expect_error("chat not found") as rejected, pytest.raises(BadRequest):
        await output.send(lost, "<b>halo</b>", quote=False)
    assert len(rejected.matched) == 2


async def test_an_edit_that_changes_nothing_is_silent(
    fake: FakeTelegram,
    bot: telegram.Bot,
    chat: Chat,
    reader: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent = await output.send(question(fake, bot, chat, reader), "<i>Memuat…</i>", quote=False)
    await output.edit(sent, "<i>Memuat…</i> <b>50%</b>")
    with fake.expect_error("message is not modified"):
        await output.edit(sent, "<i>Memuat…</i> <b>50%</b>")
    edited = fake.message(chat, sent.message_id)
    assert edited is not None
    assert edited.text == "Memuat… 50%"
    assert warnings_of(caplog) == []


async def test_a_rejected_edit_is_made_again_as_plain_text(
    fake: FakeTelegram,
    bot: telegram.Bot,
    chat: Chat,
    reader: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent = await output.send(question(fake, bot, chat, reader), "Memuat…", quote=False)
    broken = "Selesai: <b>3 &amp; 4</i>"
    with fake.expect_error("can't parse entities", method="editMessageText"):
        await output.edit(sent, broken)
    edited = fake.message(chat, sent.message_id)
    assert edited is not None
    assert (edited.text, edited.parse_mode) == ("Selesai: 3 & 4", None)
    assert len(warnings_of(caplog)) == 1
    # The same broken edit again: its plain text is already shown, which is no error either.
    with (
        fake.expect_error("can't parse entities", method="editMessageText"),
        fake.expect_error("message is not modified"),
    ):
        await output.edit(sent, broken)
    assert len(warnings_of(caplog)) == 2


async def test_typing_is_shown_at_once_and_repeated_until_the_block_ends(
    fake: FakeTelegram,
    bot: telegram.Bot,
    chat: Chat,
    reader: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = question(fake, bot, chat, reader)
    async with output.typing(message.chat):
        pass
    assert [call.params["action"] for call in fake.calls_of("sendChatAction")] == ["typing"]

    monkeypatch.setattr(output, "TYPING_INTERVAL", 0.01)
    async with output.typing(message.chat):
        await fake.wait_for(lambda: len(fake.calls_of("sendChatAction")) >= 4, what="3 more")
    assert [task for task in asyncio.all_tasks() if task is not asyncio.current_task()] == []
    fake.assert_no_errors()


async def test_a_failed_typing_action_never_breaks_the_answer(
    fake: FakeTelegram,
    bot: telegram.Bot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.output")
    nowhere = telegram.Chat(4242, "private")
    nowhere.set_bot(bot)
    with fake.expect_error("chat not found", method="sendChatAction"):
        async with output.typing(nowhere):
            answer = 42
    assert answer == 42
    assert warnings_of(caplog) == []
    assert any("typing action not sent" in record.getMessage() for record in caplog.records)


async def test_typing_stops_when_the_block_is_cancelled(
    fake: FakeTelegram, bot: telegram.Bot, chat: Chat, reader: User
) -> None:
    message = question(fake, bot, chat, reader)
    entered = asyncio.Event()

    async def search() -> None:
        async with output.typing(message.chat):
            entered.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(search())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
