"""Settings from a mapping (the environment, merged over a ``.env`` file by the entry point).

Each command asks only for what it uses; every problem is collected and reported at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from index.sources import DEFAULT_MAX_FILE_MB, ReadOptions

DEFAULT_DB = "newsbot.db"

# Every key a user can set, with the line .env.example documents it with.
KEYS: dict[str, str] = {
    "TELEGRAM_BOT_TOKEN": "The bot's token from @BotFather (required by `newsbot run`).",
    "TELEGRAM_BASE_URL": (
        "Bot API address up to and including /bot; the token is appended "
        "(e.g. http://127.0.0.1:8081/bot for a local Bot API server). Default: Telegram's."
    ),
    "NEWSBOT_DB": f"Path of the SQLite archive. Default: ./{DEFAULT_DB}",
    "NEWSBOT_ADMIN_IDS": "Comma-separated Telegram user ids allowed to run /reindex.",
    "NEWSBOT_SOURCES": "Comma-separated files or folders that /reindex reads.",
    "NEWSBOT_MAX_FILE_MB": "Files larger than this many megabytes are reported and skipped (50).",
    "NEWSBOT_FETCH_PAGES": "on/off: fetch each feed entry's page for its full text (on).",
    "NEWSBOT_FEEDS": "RSS/Atom feed URLs the bot polls, separated by spaces or newlines.",
    "NEWSBOT_FEED_INTERVAL": "How often the bot polls the feeds, e.g. 15m, 1h, 90s (15m).",
}
DEFAULT_FEED_INTERVAL = timedelta(minutes=15)
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)")
_DURATION_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_SWITCHES = {"on": True, "true": True, "yes": True, "1": True, "off": False, "false": False}
_SWITCHES |= {"no": False, "0": False}

_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")


class ConfigError(Exception):
    """Every settings problem found, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("Settings problems:\n" + "\n".join(f"- {p}" for p in problems))
        self.problems = problems


def database_path(env: Mapping[str, str], option: str | None = None) -> Path:
    """``--db`` if given, else ``NEWSBOT_DB``, else ``./newsbot.db``."""
    return Path(option or env.get("NEWSBOT_DB", "").strip() or DEFAULT_DB)


def _admin_ids(raw: str, problems: list[str]) -> frozenset[int]:
    ids: set[int] = set()
    for part in filter(None, (piece.strip() for piece in raw.split(","))):
        if part.lstrip("-").isdigit():
            ids.add(int(part))
        else:
            problems.append(
                f"NEWSBOT_ADMIN_IDS: {part!r} is not a Telegram user id (a whole number);"
                " ask @userinfobot for yours"
            )
    return frozenset(ids)


def _base_url(raw: str, problems: list[str]) -> str | None:
    if not raw:
        return None
    if not raw.startswith(("http://", "https://")):
        problems.append(
            f"TELEGRAM_BASE_URL: {raw!r} must start with http:// or https://"
            " and end with /bot (the token is appended)"
        )
    return raw


def parse_duration(text: str) -> timedelta:
    """``15m``, ``1h30m``, ``90s``, ``2d``; ``ValueError`` for anything else or zero."""
    compact = text.strip().casefold()
    parts = _DURATION_PART.findall(compact)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != compact.replace(" ", ""):
        raise ValueError(f"{text!r} is not a duration such as 15m, 1h30m or 90s")
    seconds = sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return timedelta(seconds=seconds)


def _switch(env: Mapping[str, str], key: str, default: bool, problems: list[str]) -> bool:
    raw = env.get(key, "").strip().casefold()
    if not raw:
        return default
    if raw not in _SWITCHES:
        problems.append(f"{key}: {raw!r} must be on or off")
        return default
    return _SWITCHES[raw]


def _read_options(env: Mapping[str, str], problems: list[str]) -> ReadOptions:
    raw = env.get("NEWSBOT_MAX_FILE_MB", "").strip()
    megabytes = float(DEFAULT_MAX_FILE_MB)
    if raw:
        try:
            megabytes = float(raw)
        except ValueError:
            megabytes = -1
        if not megabytes > 0:
            problems.append(f"NEWSBOT_MAX_FILE_MB: {raw!r} must be a positive number of megabytes")
            megabytes = float(DEFAULT_MAX_FILE_MB)
    return ReadOptions(
        max_file_bytes=int(megabytes * 1024 * 1024),
        fetch_pages=_switch(env, "NEWSBOT_FETCH_PAGES", True, problems),
    )


def read_options(env: Mapping[str, str]) -> ReadOptions:
    """How ``newsbot index`` reads its sources; ``ConfigError`` lists every problem."""
    problems: list[str] = []
    options = _read_options(env, problems)
    if problems:
        raise ConfigError(problems)
    return options


def _feeds(raw: str, problems: list[str]) -> tuple[str, ...]:
    feeds = tuple(raw.split())
    problems.extend(
        f"NEWSBOT_FEEDS: {feed!r} is not an http:// or https:// URL"
        for feed in feeds
        if not feed.startswith(("http://", "https://"))
    )
    return feeds


def _interval(raw: str, problems: list[str]) -> timedelta:
    if not raw.strip():
        return DEFAULT_FEED_INTERVAL
    try:
        return parse_duration(raw)
    except ValueError as error:
        problems.append(f"NEWSBOT_FEED_INTERVAL: {error}")
        return DEFAULT_FEED_INTERVAL


@dataclass(frozen=True)
class BotSettings:
    """What ``newsbot run`` needs."""

    token: str = field(repr=False)
    db_path: Path
    base_url: str | None = None
    admin_ids: frozenset[int] = frozenset()
    sources: tuple[Path, ...] = ()
    read_options: ReadOptions = field(default_factory=ReadOptions)
    feeds: tuple[str, ...] = ()
    feed_interval: timedelta = DEFAULT_FEED_INTERVAL

    @classmethod
    def from_env(cls, env: Mapping[str, str], db_option: str | None = None) -> BotSettings:
        problems: list[str] = []
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        if not token:
            problems.append(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and put its token"
                " in the environment or in .env"
            )
        elif not _TOKEN.fullmatch(token):
            problems.append(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then"
                " letters): copy it again from @BotFather"
            )
        base_url = _base_url(env.get("TELEGRAM_BASE_URL", "").strip(), problems)
        admin_ids = _admin_ids(env.get("NEWSBOT_ADMIN_IDS", ""), problems)
        sources = tuple(
            Path(part.strip())
            for part in env.get("NEWSBOT_SOURCES", "").split(",")
            if part.strip()
        )
        options = _read_options(env, problems)
        feeds = _feeds(env.get("NEWSBOT_FEEDS", ""), problems)
        interval = _interval(env.get("NEWSBOT_FEED_INTERVAL", ""), problems)
        if problems:
            raise ConfigError(problems)
        return cls(
            token=token,
            db_path=database_path(env, db_option),
            base_url=base_url,
            admin_ids=admin_ids,
            sources=sources,
            read_options=options,
            feeds=feeds,
            feed_interval=interval,
        )
