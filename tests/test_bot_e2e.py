"""The bot end to end: the unmodified application polling the fake Bot API server."""

from __future__ import annotations

import asyncio
import html
import json
import shutil
import threading
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.app import BotApplication, announce_commands
from bot.cli import main
from bot.config import BotSettings
from bot.services import Services
from bot.texts import ENGLISH_TEXTS, INDONESIAN_TEXTS
from index.answer import CONFIDENT
from index.archive import Archive
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
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    shutil.copytree(SAMPLE, folder)
    return folder


@pytest.fixture
def archive(tmp_path: Path, sources: Path) -> Archive:
    db_path = tmp_path / "archive.db"
    index_sources(db_path, [sources])
    return Archive(db_path)


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
    )
    return Services(settings=settings, archive=archive, progress_interval=0.01)


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
    assert [c["command"] for c in private] == ["help", "reindex"]
    assert [c["command"] for c in groups] == ["ask", "help"]


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
