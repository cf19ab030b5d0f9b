"""Settings: parsing, one error listing every problem, and .env.example in sync."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import (
    KEYS,
    BotSettings,
    ConfigError,
    Webhook,
    database_path,
    parse_duration,
    read_options,
)

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:ABC-def_ghi"


def test_env_example_documents_every_key() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = re.findall(r"^([A-Z_]+)=", text, re.MULTILINE)
    assert sorted(documented) == sorted(KEYS)


def test_bot_settings_from_mapping() -> None:
    settings = BotSettings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": "http://127.0.0.1:8081/bot",
            "NEWSBOT_DB": "archive.db",
            "NEWSBOT_ADMIN_IDS": "42, 7,",
            "NEWSBOT_SOURCES": "news, more/feed.jsonl.gz",
        }
    )
    assert settings.token == TOKEN
    assert settings.base_url == "http://127.0.0.1:8081/bot"
    assert settings.db_path == Path("archive.db")
    assert settings.admin_ids == frozenset({42, 7})
    assert settings.sources == (Path("news"), Path("more/feed.jsonl.gz"))
    assert TOKEN not in repr(settings)


def test_defaults() -> None:
    settings = BotSettings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert settings.db_path == Path("newsbot.db")
    assert settings.base_url is None
    assert settings.admin_ids == frozenset()
    assert settings.sources == ()


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        BotSettings.from_env({"TELEGRAM_BASE_URL": "127.0.0.1/bot", "NEWSBOT_ADMIN_IDS": "me,5"})
    problems = caught.value.problems
    assert len(problems) == 3
    message = str(caught.value)
    assert "TELEGRAM_BOT_TOKEN is not set" in message
    assert "TELEGRAM_BASE_URL" in message
    assert "'me' is not a Telegram user id" in message


def test_malformed_token_is_reported_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        BotSettings.from_env({"TELEGRAM_BOT_TOKEN": "secret token"})
    assert "does not look like a bot token" in str(caught.value)
    assert "secret token" not in str(caught.value)


def test_database_path_precedence() -> None:
    assert database_path({}) == Path("newsbot.db")
    assert database_path({"NEWSBOT_DB": "env.db"}) == Path("env.db")
    assert database_path({"NEWSBOT_DB": "env.db"}, "option.db") == Path("option.db")


def test_ingest_and_feed_settings() -> None:
    settings = BotSettings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "NEWSBOT_MAX_FILE_MB": "2.5",
            "NEWSBOT_FETCH_PAGES": "off",
            "NEWSBOT_FEEDS": "https://example.com/rss\n  http://127.0.0.1:9/feed.xml",
            "NEWSBOT_FEED_INTERVAL": "1h30m",
        }
    )
    assert settings.read_options.max_file_bytes == int(2.5 * 1024 * 1024)
    assert settings.read_options.fetch_pages is False
    assert settings.feeds == ("https://example.com/rss", "http://127.0.0.1:9/feed.xml")
    assert settings.feed_interval == timedelta(hours=1, minutes=30)


def test_bad_ingest_and_feed_settings_are_all_listed() -> None:
    with pytest.raises(ConfigError) as caught:
        BotSettings.from_env(
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "NEWSBOT_MAX_FILE_MB": "big",
                "NEWSBOT_FETCH_PAGES": "maybe",
                "NEWSBOT_FEEDS": "ftp://x",
                "NEWSBOT_FEED_INTERVAL": "soon",
            }
        )
    assert [problem.split(":")[0] for problem in caught.value.problems] == [
        "NEWSBOT_MAX_FILE_MB",
        "NEWSBOT_FETCH_PAGES",
        "NEWSBOT_FEEDS",
        "NEWSBOT_FEED_INTERVAL",
    ]


def test_read_options_check_only_their_keys() -> None:
    options = read_options({"NEWSBOT_MAX_FILE_MB": "1", "NEWSBOT_ADMIN_IDS": "not checked"})
    assert options.max_file_bytes == 1024 * 1024
    with pytest.raises(ConfigError):
        read_options({"NEWSBOT_MAX_FILE_MB": "0"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("90s", timedelta(seconds=90)),
        ("1h 30m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("0.5h", timedelta(minutes=30)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "15", "m", "15 minutes", "0s", "-5m", "5m!"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|longer than zero"):
        parse_duration(text)


# A value of each key that differs from its default, and the settings field it lands in.
SAMPLE_VALUES: dict[str, tuple[str, str]] = {
    "TELEGRAM_BOT_TOKEN": ("654321:XYZ", "token"),
    "TELEGRAM_BASE_URL": ("http://127.0.0.1:8081/bot", "base_url"),
    "NEWSBOT_DB": ("other.db", "db_path"),
    "NEWSBOT_ADMIN_IDS": ("5", "admin_ids"),
    "NEWSBOT_SOURCES": ("news", "sources"),
    "NEWSBOT_MAX_FILE_MB": ("3", "read_options"),
    "NEWSBOT_FETCH_PAGES": ("off", "read_options"),
    "NEWSBOT_FEEDS": ("https://example.com/rss", "feeds"),
    "NEWSBOT_FEED_INTERVAL": ("1h", "feed_interval"),
    "NEWSBOT_GROUP_COOLDOWN": ("3s", "group_cooldown"),
    "NEWSBOT_RESULTS_TTL": ("2h", "results_ttl"),
    "NEWSBOT_WEBHOOK_URL": ("https://bot.example.org/telegram", "webhook"),
    "NEWSBOT_WEBHOOK_LISTEN": ("0.0.0.0:9000", "webhook"),
    "NEWSBOT_WEBHOOK_SECRET": ("s3cret_Value-1", "webhook"),
    "NEWSBOT_LOG_LEVEL": ("debug", "log_level"),
}


def readme_settings() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^\| `([A-Z_]+)` \|", text, re.MULTILINE)


def test_readme_env_example_and_settings_name_the_same_keys() -> None:
    assert sorted(readme_settings()) == sorted(KEYS) == sorted(SAMPLE_VALUES)


@pytest.mark.parametrize("key", sorted(SAMPLE_VALUES))
def test_every_key_sets_its_field(key: str) -> None:
    webhook = {
        "NEWSBOT_WEBHOOK_URL": "https://bot.example.org/hook",
        "NEWSBOT_WEBHOOK_SECRET": "secret",
    }
    base = {"TELEGRAM_BOT_TOKEN": TOKEN, **webhook}
    value, field_name = SAMPLE_VALUES[key]
    default = BotSettings.from_env(base)
    changed = BotSettings.from_env({**base, key: value})
    assert getattr(changed, field_name) != getattr(default, field_name)


def test_new_defaults() -> None:
    settings = BotSettings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert settings.group_cooldown == timedelta(seconds=10)
    assert settings.results_ttl == timedelta(hours=24)
    assert (settings.webhook, settings.log_level) == (None, "INFO")


def test_webhook_settings() -> None:
    settings = BotSettings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "NEWSBOT_WEBHOOK_URL": "https://bot.example.org/telegram",
            "NEWSBOT_WEBHOOK_SECRET": "abc_DEF-123",
            "NEWSBOT_WEBHOOK_LISTEN": "0.0.0.0:9000",
        }
    )
    assert settings.webhook == Webhook(
        "https://bot.example.org/telegram", "abc_DEF-123", ("0.0.0.0", 9000)
    )
    assert "abc_DEF-123" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"NEWSBOT_WEBHOOK_URL": "https://x.org/hook"}, "NEWSBOT_WEBHOOK_SECRET is required"),
        ({"NEWSBOT_WEBHOOK_URL": "http://x.org/hook", "NEWSBOT_WEBHOOK_SECRET": "s"}, "https://"),
        (
            {"NEWSBOT_WEBHOOK_URL": "https://x.org/h", "NEWSBOT_WEBHOOK_SECRET": "no spaces"},
            "only 1-256 letters",
        ),
        ({"NEWSBOT_WEBHOOK_LISTEN": "8443"}, "must be host:port"),
        ({"NEWSBOT_LOG_LEVEL": "loud"}, "must be one of DEBUG"),
        ({"NEWSBOT_GROUP_COOLDOWN": "0s"}, "NEWSBOT_GROUP_COOLDOWN"),
        ({"NEWSBOT_RESULTS_TTL": "forever"}, "NEWSBOT_RESULTS_TTL"),
    ],
)
def test_bad_running_settings_are_explained(env: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        BotSettings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, **env})
