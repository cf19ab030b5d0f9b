"""The bot end to end: the unmodified application polling the fake Bot API server."""

from __future__ import annotations

import asyncio
import dataclasses
import html
import itertools
import json
import logging
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from click.testing import CliRunner

from bot.app import BotApplication, announce_commands, build_application, webhook_arguments
from bot.cli import main
from bot.config import BotSettings, Webhook
from bot.services import Services
from bot.texts import ENGLISH_TEXTS, INDONESIAN_TEXTS
from bot.turns import AskAgain, GroupTurns, Turn
from index.answer import CONFIDENT
from index.archive import Archive
from index.conversations import Conversations
from index.ingest import IndexProgress, Progress, index_sources
from index.models import IndexReport
from index.sources import ReadOptions
from tests.fakebot import Chat, FakeTelegram, Message, User
from tests.polling import polling_bot

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "index" / "sample"
TOKEN = "123456:TEST"
BOT = "newsbot_test_bot"
ADMIN_ID = 1001


@dataclass
class HeldIndex:
    """An index function that stops at a barrier after its first progress report."""

    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)

    def __call__(
        self,
        db_path: Path,
        sources: Iterable[Path],
        progress: Progress | None,
        options: ReadOptions | None,
    ) -> IndexReport:
        if progress is not None:
            progress(IndexProgress(files_done=0, files_total=1, articles_read=0))
        self.reached.set()
        if not self.release.wait(timeout=10):
            raise TimeoutError("the test never released the reindex")
        report = index_sources(db_path, sources, progress, options)
        self.finished.set()
        return report


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram(TOKEN, bot_username=BOT) as server:
        yield server


@pytest.fixture
def services(fake: FakeTelegram, archive: Archive, sources: Path) -> Services:
    settings = BotSettings(
        token=TOKEN,
        db_path=archive.path,
        base_url=fake.base_url,
        admin_ids=frozenset({ADMIN_ID}),
        sources=(sources,),
        # Short, so a test can ask one group several questions.
        group_cooldown=timedelta(milliseconds=100),
    )
    return Services(
        settings=settings,
        archive=archive,
        conversations=Conversations(archive.path),
        progress_interval=0.01,
    )


@pytest.fixture
async def app(fake: FakeTelegram, services: Services) -> AsyncIterator[BotApplication]:
    async with polling_bot(fake, services) as application:
        yield application


@pytest.fixture
def admin(fake: FakeTelegram) -> User:
    return fake.user(ADMIN_ID, "Ayu")


@pytest.fixture
def reader(fake: FakeTelegram) -> User:
    return fake.user(2002, "Budi")


@pytest.fixture
def english_reader(fake: FakeTelegram) -> User:
    return fake.user(3003, "Emma", language_code="en")


async def reply_to(fake: FakeTelegram, chat: Chat, question: Message) -> Message:
    """The bot's first message sent after ``question``."""

    def answer() -> Message | None:
        return next((m for m in fake.sent_to(chat) if m.message_id > question.message_id), None)

    return await fake.wait_for(answer, what=f"a reply to {question.text!r}")


async def assert_silent(
    fake: FakeTelegram, app: BotApplication, chat: Chat, message: Message
) -> None:
    """Nothing is sent for ``message``: checked after a later private question is answered,
    since the bot handles updates in order of arrival."""
    probe_user = fake.user(9009, "Probe")
    probe_chat = fake.private_chat(probe_user)
    probe = fake.send(probe_chat, probe_user, "tarif bus listrik")
    await reply_to(fake, probe_chat, probe)
    await asyncio.sleep(0)
    assert [m for m in fake.sent_to(chat) if m.message_id > message.message_id] == []


async def test_start_and_help_in_private_default_to_indonesian(
    fake: FakeTelegram, app: BotApplication, reader: User
) -> None:
    chat = fake.private_chat(reader)
    start = await reply_to(fake, chat, fake.send(chat, reader, "/start"))
    assert start.raw_text == INDONESIAN_TEXTS.start
    help_reply = await reply_to(fake, chat, fake.send(chat, reader, "/help"))
    assert help_reply.raw_text == INDONESIAN_TEXTS.help_private


async def test_english_speaker_gets_english_interface(
    fake: FakeTelegram, app: BotApplication, english_reader: User
) -> None:
    chat = fake.private_chat(english_reader)
    start = await reply_to(fake, chat, fake.send(chat, english_reader, "/start"))
    assert start.raw_text == ENGLISH_TEXTS.start


async def test_private_question_is_answered_with_quotes_and_sources(
    fake: FakeTelegram, app: BotApplication, reader: User
) -> None:
    chat = fake.private_chat(reader)
    question = fake.send(chat, reader, "Berapa tarif bus listrik di Semarang?")
    answer = await reply_to(fake, chat, question)
    assert answer.raw_text.startswith("<blockquote>")
    assert "Rp4.000 sekali jalan" in answer.text
    # The sentence that answers is bold in its quote.
    assert "<b>Direktur Utama PT Semarang Mobilitas Hijau, Bayu Adinegoro" in answer.raw_text
    assert "Warta Contoh · Semarang · sekitar 2 Juni 2025" in answer.text
    # One quote per story: the sample holds two that mention the question's words.
    assert answer.raw_text.count("<blockquote>") == 2
    assert len(answer.text) <= 4096
    actions = fake.calls_of("sendChatAction")
    assert actions
    assert actions[-1].params["action"] == "typing"


async def test_english_question_over_english_article(
    fake: FakeTelegram, app: BotApplication, reader: User
) -> None:
    chat = fake.private_chat(reader)
    question = fake.send(chat, reader, "How many olive ridley hatchlings were released?")
    answer = await reply_to(fake, chat, question)
    assert "3,412 olive ridley hatchlings" in answer.text


async def test_nothing_found_is_said_plainly(
    fake: FakeTelegram, app: BotApplication, reader: User
) -> None:
    chat = fake.private_chat(reader)
    answer = await reply_to(fake, chat, fake.send(chat, reader, "kuantumxyz zeppelinqq"))
    assert answer.text.startswith(INDONESIAN_TEXTS.not_found)
    assert "<blockquote>" not in answer.raw_text


async def test_article_text_is_escaped(
    fake: FakeTelegram,
    app: BotApplication,
    services: Services,
    sources: Path,
    reader: User,
) -> None:
    (sources / "html.txt").write_text(
        "Jakarta (Warta Contoh) - Kode <script>alert(1)</script> & tag <b> muncul di"
        " situs kelurahan Zambrut.\n",
        encoding="utf-8",
    )
    index_sources(services.settings.db_path, [sources])
    services.archive.reload()
    chat = fake.private_chat(reader)
    answer = await reply_to(fake, chat, fake.send(chat, reader, "situs kelurahan Zambrut"))
    assert "<script>alert(1)</script> & tag <b>" in answer.text
    assert "&lt;script&gt;" in answer.raw_text


async def test_group_with_privacy_on(
    fake: FakeTelegram, app: BotApplication, reader: User
) -> None:
    group = fake.group(-100111, "Warga Semarang", privacy=True)
    mention = fake.send(group, reader, f"@{BOT} berapa tarif bus listrik?")
    assert not mention.delivered
    other_bot = fake.send(group, reader, "/ask@some_other_bot berapa tarif bus listrik?")
    assert not other_bot.delivered

    asked = fake.send(group, reader, f"/ask@{BOT} berapa tarif bus listrik di Semarang?")
    assert asked.delivered
    answer = await reply_to(fake, group, asked)
    assert "Rp4.000 sekali jalan" in answer.text
    assert answer.reply_to is not None
    assert answer.reply_to.message_id == asked.message_id

    follow_up = fake.send(group, reader, "berapa jarak tempuh baterai bus?", reply_to=answer)
    assert follow_up.delivered
    second = await reply_to(fake, group, follow_up)
    assert "250 kilometer" in second.text
    assert second.reply_to is not None
    assert second.reply_to.message_id == follow_up.message_id


async def test_group_with_privacy_off_answers_mentions_only(
    fake: FakeTelegram, app: BotApplication, reader: User
) -> None:
    group = fake.group(-100222, "Petani Brebes", privacy=False)
    chatter = fake.send(group, reader, "hasil panen bawang merah bagus tahun ini")
    assert chatter.delivered
    await assert_silent(fake, app, group, chatter)

    mention = fake.send(group, reader, f"@{BOT} berapa hasil panen bawang merah per hektare?")
    answer = await reply_to(fake, group, mention)
    assert "14,2 ton per hektare" in answer.text
    assert answer.reply_to is not None
    assert answer.reply_to.message_id == mention.message_id


async def test_group_ask_without_question_explains_usage(
    fake: FakeTelegram, app: BotApplication, reader: User
) -> None:
    group = fake.group(-100333, "Umum", privacy=True)
    usage = await reply_to(fake, group, fake.send(group, reader, f"/ask@{BOT}"))
    assert f"/ask@{BOT}" in usage.text
    help_reply = await reply_to(fake, group, fake.send(group, reader, f"/help@{BOT}"))
    assert help_reply.raw_text == INDONESIAN_TEXTS.help_group.format(bot=BOT)


async def test_command_menus_are_set_per_scope_and_language(
    fake: FakeTelegram, app: BotApplication
) -> None:
    await announce_commands(app)
    private = fake.commands({"type": "all_private_chats"})
    groups = fake.commands({"type": "all_group_chats"}, "en")
    assert private is not None
    assert groups is not None
    assert [c["command"] for c in private] == ["help"]
    assert [c["command"] for c in groups] == ["ask", "help"]
    for language in ("", "en"):
        admin_menu = fake.commands({"type": "chat", "chat_id": ADMIN_ID}, language)
        assert admin_menu is not None
        assert [c["command"] for c in admin_menu] == ["help", "reindex", "stats", "status"]


async def test_reindex_is_for_admins_only(
    fake: FakeTelegram, app: BotApplication, reader: User
) -> None:
    chat = fake.private_chat(reader)
    refusal = await reply_to(fake, chat, fake.send(chat, reader, "/reindex"))
    assert refusal.text == INDONESIAN_TEXTS.reindex_not_admin


async def test_reindex_runs_in_background_and_reports(
    fake: FakeTelegram,
    app: BotApplication,
    services: Services,
    sources: Path,
    admin: User,
    reader: User,
) -> None:
    held = HeldIndex()
    services.index_function = held
    (sources / "new.txt").write_text(
        "Ambon (Warta Contoh) - Festival kapal layar Teluk Ambon diikuti 37 kapal.\n",
        encoding="utf-8",
    )
    admin_chat = fake.private_chat(admin)
    command = fake.send(admin_chat, admin, "/reindex")
    progress = await reply_to(fake, admin_chat, command)
    assert progress.text == INDONESIAN_TEXTS.reindex_started
    await fake.wait_for(
        lambda: fake.edits_of(admin_chat, progress.message_id), what="a progress edit"
    )
    assert await asyncio.to_thread(held.reached.wait, 5)

    second = await reply_to(fake, admin_chat, fake.send(admin_chat, admin, "/reindex"))
    assert second.text == INDONESIAN_TEXTS.reindex_busy

    reader_chat = fake.private_chat(reader)
    answer = await reply_to(fake, reader_chat, fake.send(reader_chat, reader, "tarif bus listrik"))
    assert "Rp4.000" in answer.text
    assert not held.finished.is_set()

    held.release.set()
    summary = INDONESIAN_TEXTS.reindex_done.format(added=1, updated=0, unchanged=12, failed=0)

    def finished() -> bool:
        current = fake.message(admin_chat, progress.message_id)
        return current is not None and current.text == summary

    await fake.wait_for(finished, what="the reindex summary")
    assert len(fake.edits_of(admin_chat, progress.message_id)) >= 2
    assert len([m for m in fake.sent_to(admin_chat) if m.message_id > command.message_id]) == 2

    news = await reply_to(fake, reader_chat, fake.send(reader_chat, reader, "kapal layar Ambon"))
    assert "37 kapal" in news.text


async def test_failed_reindex_keeps_the_old_index_serving(
    fake: FakeTelegram, app: BotApplication, services: Services, admin: User
) -> None:
    def broken(
        db_path: Path,
        sources: Iterable[Path],
        progress: Progress | None,
        options: ReadOptions | None,
    ) -> IndexReport:
        raise OSError("disk full")

    services.index_function = broken
    chat = fake.private_chat(admin)
    progress = await reply_to(fake, chat, fake.send(chat, admin, "/reindex"))
    failed = INDONESIAN_TEXTS.reindex_failed.format(reason="disk full")

    def reported() -> bool:
        current = fake.message(chat, progress.message_id)
        return current is not None and current.text == failed

    await fake.wait_for(reported, what="the failure report")
    answer = await reply_to(fake, chat, fake.send(chat, admin, "tarif bus listrik Semarang"))
    assert "Rp4.000" in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "Berapa tarif bus listrik di Semarang?",  # answered
        "Siapa juara catur dunia tahun 1972?",  # declined, with the nearest matches
        "berita festival kopi minggu ini",  # a time named, widened
    ],
)
async def test_the_bot_and_newsbot_ask_show_the_same_answer(
    fake: FakeTelegram, app: BotApplication, reader: User, archive: Archive, question: str
) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["ask", "--db", str(archive.path), "--json", question])
    assert result.exit_code == 0, result.output
    expected = json.loads(result.output)
    chat = fake.private_chat(reader)
    reply = await reply_to(fake, chat, fake.send(chat, reader, question))
    if not expected["answered"]:
        assert reply.text.startswith(INDONESIAN_TEXTS.not_found)
    for hit in expected["hits"]:
        assert hit["text"] in reply.text
        if hit["answer_sentence"] and hit["confidence"] >= CONFIDENT:
            assert f"<b>{html.escape(hit['answer_sentence'], quote=False)}</b>" in reply.raw_text
    assert reply.raw_text.count("<blockquote>") == len(expected["hits"])
    if expected["asked_window"]:
        assert expected["asked_window"]["phrase"] in reply.text


def keyboard_texts(message: Message) -> list[list[str]]:
    return [[button["text"] for button in row] for row in message.inline_keyboard]


def button_data(message: Message, text: str) -> str:
    data: str = next(
        button["callback_data"]
        for row in message.inline_keyboard
        for button in row
        if button["text"] == text
    )
    return data


async def callback_answer(fake: FakeTelegram, query_id: str) -> dict[str, str]:
    def answered() -> dict[str, str] | None:
        return next(
            (
                call.params
                for call in fake.calls_of("answerCallbackQuery")
                if call.params.get("callback_query_id") == query_id
            ),
            None,
        )

    return await fake.wait_for(answered, what=f"the answer to callback query {query_id}")


async def edited(fake: FakeTelegram, chat: Chat, message: Message, count: int) -> Message:
    def enough() -> Message | None:
        edits = fake.edits_of(chat, message.message_id)
        return edits[-1] if len(edits) >= count else None

    return await fake.wait_for(enough, what=f"edit {count} of message {message.message_id}")


PAGED_QUESTION = "warga kota"


async def test_an_answer_pages_through_its_results_in_one_message(
    fake: FakeTelegram, app: BotApplication, reader: User
) -> None:
    chat = fake.private_chat(reader)
    first = await reply_to(fake, chat, fake.send(chat, reader, PAGED_QUESTION))
    rows = keyboard_texts(first)
    assert rows[-1] == ["👍", "👎"]
    assert rows[0][0] == "◀"
    assert rows[0][2] == "▶"
    pages = int(rows[0][1].split("/")[1])
    assert rows[0][1] == f"1/{pages}"
    assert pages >= 2
    fake.press(chat, reader, first.message_id, button_data(first, "▶"))
    second = await edited(fake, chat, first, 1)
    assert keyboard_texts(second)[0][1] == f"2/{pages}"
    assert second.text != first.text
    # ◀ from the first page wraps around to the last.
    fake.press(chat, reader, first.message_id, button_data(second, "◀"))
    back = await edited(fake, chat, first, 2)
    assert back.text == first.text
    # The counter itself shows the same page again: "not modified", silently ignored.
    with fake.expect_error("message is not modified"):
        query = fake.press(chat, reader, first.message_id, button_data(back, f"1/{pages}"))
        await callback_answer(fake, query)
        await fake.wait_for(lambda: len(fake.errors) > 0, what="the edit Telegram refuses")
    assert len(fake.sent_to(chat)) == 1


async def test_votes_are_stored_with_the_question_and_the_passages_shown(
    fake: FakeTelegram, app: BotApplication, services: Services, reader: User
) -> None:
    chat = fake.private_chat(reader)
    answer = await reply_to(fake, chat, fake.send(chat, reader, PAGED_QUESTION))
    query = fake.press(chat, reader, answer.message_id, button_data(answer, "👎"))
    assert (await callback_answer(fake, query))["text"] == INDONESIAN_TEXTS.vote_thanks
    services.conversations.flush()
    question, passages, user_id, helpful = services.conversations._db.execute(
        "SELECT question, passages, user_id, helpful FROM feedback"
    ).fetchone()
    assert (question, user_id, helpful) == (PAGED_QUESTION, reader.id, 0)
    assert len(json.loads(passages)) == 3
    assert services.conversations.usage().unhelpful == 1


async def test_a_button_of_expired_results_explains_and_goes_away(
    fake: FakeTelegram, app: BotApplication, services: Services, english_reader: User
) -> None:
    chat = fake.private_chat(english_reader)
    answer = await reply_to(fake, chat, fake.send(chat, english_reader, "electric bus fare"))
    services.conversations.flush()
    services.conversations._db.execute("DELETE FROM answers")
    query = fake.press(chat, english_reader, answer.message_id, button_data(answer, "👍"))
    reply = await callback_answer(fake, query)
    assert reply["text"] == ENGLISH_TEXTS.results_expired
    cleared = await edited(fake, chat, answer, 1)
    assert cleared.inline_keyboard == []
    assert cleared.text == answer.text


async def test_a_group_gets_one_quote_and_a_link_to_all_results(
    fake: FakeTelegram, app: BotApplication, reader: User
) -> None:
    group = fake.group(-100444, "Warga Semarang", privacy=True)
    asked = fake.send(group, reader, f"/ask@{BOT} {PAGED_QUESTION}")
    answer = await reply_to(fake, group, asked)
    assert answer.reply_to is not None
    assert answer.reply_to.message_id == asked.message_id
    assert answer.raw_text.count("<blockquote>") == 1
    link = answer.inline_keyboard[-1][0]
    assert link["text"] == INDONESIAN_TEXTS.see_all_results
    assert link["url"].startswith(f"https://t.me/{BOT}?start=r_")
    payload = link["url"].split("start=")[1]
    # The reader opens the link: every result, in a private chat.
    opened = fake.open_start_link(reader, payload)
    everything = await reply_to(fake, fake.private_chat(reader), opened)
    assert everything.raw_text.count("<blockquote>") == 3


async def test_a_group_is_answered_at_most_once_per_cooldown_and_nobody_is_dropped(
    fake: FakeTelegram, services: Services, reader: User
) -> None:
    # A clock that stands still: the turns handed out depend on the order of the questions
    # only.
    turns = GroupTurns(timedelta(seconds=1), clock=lambda: 100.0, max_waiting=1)
    handed: list[Turn | AskAgain] = []

    def take(chat_id: int) -> Turn | AskAgain:
        handed.append(turns.take(chat_id))
        return handed[-1]

    services.group_turns = cast(GroupTurns, SimpleNamespace(take=take))
    group = fake.group(-100555, "Ramai", privacy=True)
    async with polling_bot(fake, services):
        asked = [
            fake.send(group, reader, f"/ask@{BOT} tarif bus listrik Semarang") for _ in range(3)
        ]
        replies = [await reply_to_message(fake, group, question) for question in asked]
    first, second, third = replies
    assert "Rp4.000" in first.text
    assert "Rp4.000" in second.text
    # The second waited its turn, a cooldown after the first; the third was told when to ask.
    assert handed == [Turn(0.0), Turn(1.0), AskAgain(1)]
    assert third.text == INDONESIAN_TEXTS.group_busy.format(seconds=1)


async def reply_to_message(fake: FakeTelegram, chat: Chat, question: Message) -> Message:
    """The bot's reply to ``question`` itself."""

    def reply() -> Message | None:
        return next(iter(fake.replies_to(chat, question.message_id)), None)

    return await fake.wait_for(reply, timeout=10, what=f"the reply to {question.message_id}")


async def test_admins_see_stats_and_status_others_are_refused(
    fake: FakeTelegram, app: BotApplication, admin: User, reader: User
) -> None:
    reader_chat = fake.private_chat(reader)
    await reply_to(fake, reader_chat, fake.send(reader_chat, reader, "tarif bus listrik"))
    await reply_to(fake, reader_chat, fake.send(reader_chat, reader, "kuantumxyz zeppelinqq"))
    refusal = await reply_to(fake, reader_chat, fake.send(reader_chat, reader, "/stats"))
    assert refusal.text == INDONESIAN_TEXTS.admin_only
    chat = fake.private_chat(admin)
    stats = await reply_to(fake, chat, fake.send(chat, admin, "/stats"))
    assert "Artikel: 12" in stats.text
    assert "Diajukan: 2" in stats.text
    assert "Tidak ditemukan: 1 (50%)" in stats.text
    status = await reply_to(fake, chat, fake.send(chat, admin, "/status"))
    assert "Aktif sejak:" in status.text
    assert INDONESIAN_TEXTS.status_no_feeds in status.text
    help_text = await reply_to(fake, chat, fake.send(chat, admin, "/help"))
    assert "/stats" in help_text.text


async def test_inline_mode_offers_results_and_posts_the_chosen_quote(
    fake: FakeTelegram, app: BotApplication, reader: User
) -> None:
    query_id = fake.inline_query(reader, "tarif bus listrik Semarang")
    answer = await fake.wait_for(lambda: fake.inline_answer(query_id), what="the inline answer")
    assert 1 <= len(answer.results) <= 10
    first = answer.results[0]
    assert first["title"]
    assert "Warta Contoh" in first["description"]
    group = fake.group(-100666, "Obrolan", privacy=False)
    posted = fake.choose_inline_result(reader, query_id, first["id"], group)
    assert (
        "Rp4.000" in posted.text or posted.text in first["input_message_content"]["message_text"]
    )
    # The quote posted through the bot is no question to it.
    await assert_silent(fake, app, group, posted)


async def test_inline_results_come_ten_at_a_time(
    fake: FakeTelegram, app: BotApplication, services: Services, sources: Path, reader: User
) -> None:
    for number in range(25):
        (sources / f"pasar-{number}.txt").write_text(
            f"Kudus (Warta Contoh) - Harga gula pasir di pasar Kudus nomor {number} naik"
            f" menjadi Rp{17000 + number} per kilogram menurut pedagang.\n",
            encoding="utf-8",
        )
    index_sources(services.settings.db_path, [sources])
    services.archive.reload()
    first_id = fake.inline_query(reader, "harga gula pasir pasar Kudus")
    first = await fake.wait_for(lambda: fake.inline_answer(first_id), what="page 1")
    assert len(first.results) == 10
    assert first.next_offset == "10"
    second_id = fake.inline_query(reader, "harga gula pasir pasar Kudus", offset="10")
    second = await fake.wait_for(lambda: fake.inline_answer(second_id), what="page 2")
    assert len(second.results) == 10
    assert not set(first.result_ids) & set(second.result_ids)


async def test_an_inline_question_nothing_answers_offers_one_result_saying_so(
    fake: FakeTelegram, app: BotApplication, english_reader: User
) -> None:
    query_id = fake.inline_query(english_reader, "kuantumxyz zeppelinqq")
    answer = await fake.wait_for(lambda: fake.inline_answer(query_id), what="the inline answer")
    [only] = answer.results
    assert only["title"].startswith("Nothing in the archive answers")
    assert answer.next_offset in (None, "")


async def test_a_flood_wait_is_honoured_and_the_answer_still_arrives(
    fake: FakeTelegram, app: BotApplication, reader: User
) -> None:
    fake.inject_error("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    chat = fake.private_chat(reader)
    question = fake.send(chat, reader, "tarif bus listrik Semarang")
    answer = await reply_to(fake, chat, question)
    assert "Rp4.000" in answer.text
    # Refused once with a flood wait, then sent again by the rate limiter.
    assert [call.status for call in fake.calls_of("sendMessage")] == [429, 200]


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_webhook_mode_answers_and_refuses_updates_without_the_secret(
    fake: FakeTelegram, services: Services, reader: User
) -> None:
    port = unused_port()
    webhook = Webhook("https://bot.example.org/newsbot/hook", "s3cret_1", ("127.0.0.1", port))
    application = build_application(services)
    assert application.updater is not None
    async with application:
        await application.start()
        await application.updater.start_webhook(**webhook_arguments(webhook))
        fake.deliver_webhooks_to(f"http://127.0.0.1:{port}/newsbot/hook")
        chat = fake.private_chat(reader)
        question = fake.send(chat, reader, "tarif bus listrik Semarang")
        answer = await reply_to(fake, chat, question)
        forged = {"update_id": 999, "message": {**question.to_api(), "text": "palsu"}}
        wrong = await asyncio.to_thread(fake.post_update_to_webhook, forged, "wrong")
        missing = await asyncio.to_thread(fake.post_update_to_webhook, forged, None)
        await application.updater.stop()
        await application.stop()
    assert "Rp4.000" in answer.text
    assert (wrong, missing) == (403, 403)
    assert len(fake.sent_to(chat)) == 1
    fake.assert_no_errors()


async def test_buttons_keep_working_after_a_restart(
    fake: FakeTelegram, services: Services, reader: User
) -> None:
    chat = fake.private_chat(reader)
    async with polling_bot(fake, services):
        first = await reply_to(fake, chat, fake.send(chat, reader, PAGED_QUESTION))
    restarted = Services(
        settings=services.settings,
        archive=Archive(services.settings.db_path),
        conversations=Conversations(services.settings.db_path),
    )
    async with polling_bot(fake, restarted):
        fake.press(chat, reader, first.message_id, button_data(first, "▶"))
        second = await edited(fake, chat, first, 1)
    assert keyboard_texts(second)[0][1].startswith("2/")


@pytest.mark.parametrize(("reads_all", "logged"), [(True, "yes"), (False, "no (privacy mode on)")])
async def test_the_bot_logs_whether_it_sees_plain_mentions(
    caplog: pytest.LogCaptureFixture, services: Services, reads_all: bool, logged: str
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    with FakeTelegram(TOKEN, bot_username=BOT, reads_all_group_messages=reads_all) as fake:
        services.settings = dataclasses.replace(services.settings, base_url=fake.base_url)
        async with polling_bot(fake, services) as application:
            # What run_polling and run_webhook call once the bot is initialised.
            await announce_commands(application)
    assert f"sees plain @mentions in groups: {logged}" in caplog.text


async def test_progress_is_edited_at_most_once_an_interval(
    fake: FakeTelegram, app: BotApplication, services: Services, admin: User
) -> None:
    # The clock the bot paces its edits by advances 10 ms an article read; the bot looks in
    # every half second, when about 250 more have been read.
    now = [0.0]
    services.clock = lambda: now[0]
    services.progress_interval = 3.0

    def chatty_index(
        db_path: Path,
        sources: Iterable[Path],
        progress: Progress | None,
        options: ReadOptions | None,
    ) -> IndexReport:
        for read in range(1, 1501):
            now[0] = read / 100
            if progress is not None:
                progress(IndexProgress(files_done=0, files_total=1, articles_read=read))
            time.sleep(0.002)
        return IndexReport(unchanged=1500)

    services.index_function = chatty_index
    chat = fake.private_chat(admin)
    progress = await reply_to(fake, chat, fake.send(chat, admin, "/reindex"))
    summary = INDONESIAN_TEXTS.reindex_done.format(added=0, updated=0, unchanged=1500, failed=0)
    await fake.wait_for(
        lambda: (current := fake.message(chat, progress.message_id)) and current.text == summary,
        what="the summary",
    )
    edits = fake.edits_of(chat, progress.message_id)
    assert edits[-1].text == summary
    shown = [int(re.findall(r"\d+", edit.text)[0]) for edit in edits[:-1]]
    assert shown
    # 3 s of the bot's clock between two progress edits: 300 articles read, give or take the
    # one being reported as the clock is read.
    assert all(later - earlier >= 299 for earlier, later in itertools.pairwise(shown))


async def test_an_english_question_gets_an_english_interface(
    fake: FakeTelegram, app: BotApplication, reader: User
) -> None:
    chat = fake.private_chat(reader)
    answer = await reply_to(fake, chat, fake.send(chat, reader, "Who won the zeppelinqq derby?"))
    assert answer.text.startswith(ENGLISH_TEXTS.not_found)


async def test_a_stale_link_or_offset_is_explained_or_ignored(
    fake: FakeTelegram, app: BotApplication, reader: User
) -> None:
    opened = fake.open_start_link(reader, "r_unknown1")
    reply = await reply_to(fake, fake.private_chat(reader), opened)
    assert reply.text == INDONESIAN_TEXTS.results_expired
    query_id = fake.inline_query(reader, "tarif bus listrik Semarang", offset="not-a-number")
    answer = await fake.wait_for(lambda: fake.inline_answer(query_id), what="the inline answer")
    assert answer.results
