"""``newsbot run`` as a person starts it: a real process polling the fake Bot API server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from index.ingest import index_sources
from tests.fakebot import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:TEST-token-secret"


def clean_environment(**settings: str) -> dict[str, str]:
    keep = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "NEWSBOT_"))
    }
    return {**keep, **settings}


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_run_without_token_is_a_settings_error(runner: CliRunner) -> None:
    result = runner.invoke(main, ["run"], env={"TELEGRAM_BOT_TOKEN": "", "NEWSBOT_ADMIN_IDS": "x"})
    assert result.exit_code == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in result.output
    assert "'x' is not a Telegram user id" in result.output


def test_run_without_archive_says_what_to_index(runner: CliRunner) -> None:
    result = runner.invoke(main, ["run", "--db", "missing.db"], env={"TELEGRAM_BOT_TOKEN": TOKEN})
    assert result.exit_code == 1
    assert "newsbot index --db missing.db" in result.output


async def test_newsbot_run_answers_and_stops_cleanly(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    index_sources(db_path, [ROOT / "index" / "sample"])
    with FakeTelegram(TOKEN) as fake:
        environment = clean_environment(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=fake.base_url,
            NEWSBOT_DB=str(db_path),
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=tmp_path,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            await fake.wait_for(lambda: fake.pending_polls > 0, timeout=30, what="polling")
            user = fake.user(4004, "Sari")
            chat = fake.private_chat(user)
            fake.send(chat, user, "Berapa tarif bus listrik di Semarang?")
            [answer] = await fake.wait_for_bot_messages(chat, 1, timeout=15)
            assert "Rp4.000 sekali jalan" in answer.text
            assert fake.commands({"type": "all_private_chats"}) is not None
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
        fake.assert_no_errors()
    assert process.returncode == 0, output
    assert "started as @newsbot_test_bot" in output
    assert TOKEN not in output
    assert TOKEN.split(":")[1] not in output


def test_python_m_bot_is_newsbot_run() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=True
    )
    assert "Run the Telegram bot" in result.stdout
