"""Shared pytest setup: no test may reach the network beyond 127.0.0.1; the sample news and
an archive of it for the bot's tests."""

import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from index.archive import Archive
from index.ingest import index_sources
from tests.fakebot import FakeTelegram
from tests.fakebot.netguard import guard_network

SAMPLE = Path(__file__).resolve().parents[1] / "index" / "sample"

# As `newsbot run` does: PTB's durations as timedelta (its coming default). Without it PTB 22
# warns at every RetryAfter, and warnings are errors here.
os.environ.setdefault("PTB_TIMEDELTA", "1")


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    with guard_network():
        yield


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """A copy of the sample news a test may change."""
    folder = tmp_path / "news"
    shutil.copytree(SAMPLE, folder)
    return folder


@pytest.fixture
def archive(tmp_path: Path, sources: Path) -> Archive:
    db_path = tmp_path / "archive.db"
    index_sources(db_path, [sources])
    return Archive(db_path)


def bot_environment(
    fake: FakeTelegram, token: str, db_path: Path, **settings: str
) -> Mapping[str, str]:
    """The environment of a `newsbot run` process talking to the fake: this one's, less any
    TELEGRAM_ or NEWSBOT_ setting of the machine's, plus the given settings."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "NEWSBOT_"))
    }
    return environment | {
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_BASE_URL": fake.base_url,
        "NEWSBOT_DB": str(db_path),
        **settings,
    }
