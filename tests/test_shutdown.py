"""Shutting down: answers in progress are finished, a running reindex stops and the index it had
keeps serving, and SIGTERM ends `newsbot run` cleanly."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import BotSettings
from bot.services import Services
from bot.texts import INDONESIAN_TEXTS
from index.archive import DEFAULT_K, Archive
from index.conversations import Conversations
from index.ingest import IndexProgress, Progress
from index.models import Answer, IndexReport
from index.sources import ReadOptions
from tests.conftest import bot_environment
from tests.fakebot import FakeTelegram, Message
from tests.polling import polling_bot

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "index" / "sample"
TOKEN = "123456:TEST"
ADMIN_ID = 1001


class SlowArchive(Archive):
    """An archive that takes a second to answer, so an answer is in progress on shutdown."""

    started = threading.Event()

    def ask(self, question: str, k: int = DEFAULT_K, leave_out: Iterable[str] = ()) -> Answer:
        self.started.set()
        time.sleep(1.0)
        return super().ask(question, k, tuple(leave_out))


def endless_index(
    db_path: Path, sources: Iterable[Path], progress: Progress | None, options: ReadOptions | None
) -> IndexReport:
    """A reindex that only ever reports progress: it ends when the bot stops it."""
    read = 0
    while progress is not None:
        read += 100
        progress(IndexProgress(files_done=0, files_total=1, articles_read=read))
        time.sleep(0.01)
    return IndexReport()


@pytest.fixture
def db_path(archive: Archive) -> Path:
    """The sample archive's file (the sample news beside it, in ``news``)."""
    return archive.path


def services_for(fake: FakeTelegram, db_path: Path, archive: Archive) -> Services:
    settings = BotSettings(
        token=TOKEN,
        db_path=db_path,
        base_url=fake.base_url,
        admin_ids=frozenset({ADMIN_ID}),
        sources=(db_path.parent / "news",),
        group_cooldown=timedelta(milliseconds=100),
    )
    return Services(
        settings=settings,
        archive=archive,
        conversations=Conversations(db_path),
        index_function=endless_index,
        progress_interval=0.05,
    )


async def test_stopping_finishes_answers_and_stops_the_reindex(db_path: Path) -> None:
    with FakeTelegram(TOKEN) as fake:
        archive = SlowArchive(db_path)
        services = services_for(fake, db_path, archive)
        admin = fake.user(ADMIN_ID, "Ayu")
        reader = fake.user(2002, "Budi")
        admin_chat, reader_chat = fake.private_chat(admin), fake.private_chat(reader)
        async with polling_bot(fake, services):
            fake.send(admin_chat, admin, "/reindex")

            def progress_shown() -> Message | None:
                sent = fake.sent_to(admin_chat)
                return sent[0] if sent and fake.edits_of(admin_chat, sent[0].message_id) else None

            progress = await fake.wait_for(progress_shown, what="the reindex's progress")
            fake.send(reader_chat, reader, "tarif bus listrik Semarang")
            await asyncio.to_thread(SlowArchive.started.wait, 5)
        # Leaving the block stops the application the way SIGTERM does.
        [answer] = fake.sent_to(reader_chat)
        assert "Rp4.000" in answer.text
        final = fake.message(admin_chat, progress.message_id)
        assert final is not None
        assert final.text == INDONESIAN_TEXTS.reindex_stopped
        assert not services.reindexing
    # The archive it had still answers.
    assert "Rp4.000" in Archive(db_path).ask("tarif bus listrik Semarang").hits[0].text


def test_sigterm_stops_newsbot_run_cleanly(db_path: Path, tmp_path: Path) -> None:
    with FakeTelegram(TOKEN) as fake:
        reader = fake.user(2002, "Budi")
        chat = fake.private_chat(reader)
        environment = bot_environment(fake, TOKEN, db_path, NEWSBOT_LOG_LEVEL="INFO")
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=tmp_path,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            question = fake.send(chat, reader, "tarif bus listrik Semarang")
            deadline = time.monotonic() + 30
            while not any(m.message_id > question.message_id for m in fake.sent_to(chat)):
                assert time.monotonic() < deadline, "the bot never answered"
                assert bot.poll() is None, bot.communicate()[1]
                time.sleep(0.05)
            bot.send_signal(signal.SIGTERM)
            _, stderr = bot.communicate(timeout=30)
        finally:
            if bot.poll() is None:
                bot.kill()
                bot.communicate()
    assert bot.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "Application is stopping" in stderr or "stopping" in stderr.lower()
    assert "Rp4.000" in fake.sent_to(chat)[-1].text
