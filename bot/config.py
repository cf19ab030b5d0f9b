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
    "NEWSBOT_GROUP_COOLDOWN": (
        "Shortest time between two answers in one group, e.g. 10s; questions asked sooner wait"
        " their turn (10s)."
    ),
    "NEWSBOT_RESULTS_TTL": "How long the ◀ ▶ and 👍 👎 buttons of an answer keep working (24h).",
    "NEWSBOT_WEBHOOK_URL": (
        "Public https:// address Telegram posts updates to; empty: the bot polls (the default)."
    ),
    "NEWSBOT_WEBHOOK_LISTEN": (
        "host:port the webhook server listens on, behind your reverse proxy (127.0.0.1:8443)."
    ),
    "NEWSBOT_WEBHOOK_SECRET": (
        "Required with NEWSBOT_WEBHOOK_URL: 1-256 letters, digits, _ or -; Telegram sends it"
        " with every update and the bot refuses updates without it."
    ),
    "NEWSBOT_LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR (INFO).",
}
DEFAULT_FEED_INTERVAL = timedelta(minutes=15)
DEFAULT_GROUP_COOLDOWN = timedelta(seconds=10)
DEFAULT_RESULTS_TTL = timedelta(hours=24)
DEFAULT_WEBHOOK_LISTEN = ("127.0.0.1", 8443)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
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


def _duration(
    env: Mapping[str, str], key: str, default: timedelta, problems: list[str]
) -> timedelta:
    raw = env.get(key, "")
    if not raw.strip():
        return default
    try:
        return parse_duration(raw)
    except ValueError as error:
        problems.append(f"{key}: {error}")
        return default


def _listen(raw: str, problems: list[str]) -> tuple[str, int]:
    if not raw:
        return DEFAULT_WEBHOOK_LISTEN
    host, _, port = raw.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        problems.append(f"NEWSBOT_WEBHOOK_LISTEN: {raw!r} must be host:port, e.g. 127.0.0.1:8443")
        return DEFAULT_WEBHOOK_LISTEN
    return host.strip("[]"), int(port)


@dataclass(frozen=True)
class Webhook:
    """Where Telegram posts updates, and where the bot listens for them behind a proxy."""

    url: str
    secret: str = field(repr=False)
    listen: tuple[str, int] = DEFAULT_WEBHOOK_LISTEN


def _webhook(env: Mapping[str, str], problems: list[str]) -> Webhook | None:
    url = env.get("NEWSBOT_WEBHOOK_URL", "").strip()
    secret = env.get("NEWSBOT_WEBHOOK_SECRET", "").strip()
    listen = _listen(env.get("NEWSBOT_WEBHOOK_LISTEN", "").strip(), problems)
    if not url:
        return None
    if not url.startswith("https://"):
        problems.append(
            f"NEWSBOT_WEBHOOK_URL: {url!r} must start with https:// (Telegram posts only to"
            " HTTPS); leave it empty to poll instead"
        )
    if not secret:
        problems.append(
            "NEWSBOT_WEBHOOK_SECRET is required with NEWSBOT_WEBHOOK_URL: set 1-256 letters,"
            " digits, _ or -, e.g. the output of `openssl rand -hex 32`"
        )
    elif not _SECRET.fullmatch(secret):
        problems.append("NEWSBOT_WEBHOOK_SECRET may hold only 1-256 letters, digits, _ or -")
    return Webhook(url=url, secret=secret, listen=listen)


def _log_level(raw: str, problems: list[str]) -> str:
    level = raw.strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        problems.append(f"NEWSBOT_LOG_LEVEL: {raw!r} must be one of {', '.join(LOG_LEVELS)}")
        return "INFO"
    return level


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
    group_cooldown: timedelta = DEFAULT_GROUP_COOLDOWN
    results_ttl: timedelta = DEFAULT_RESULTS_TTL
    webhook: Webhook | None = None
    log_level: str = "INFO"

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
        interval = _duration(env, "NEWSBOT_FEED_INTERVAL", DEFAULT_FEED_INTERVAL, problems)
        cooldown = _duration(env, "NEWSBOT_GROUP_COOLDOWN", DEFAULT_GROUP_COOLDOWN, problems)
        results_ttl = _duration(env, "NEWSBOT_RESULTS_TTL", DEFAULT_RESULTS_TTL, problems)
        webhook = _webhook(env, problems)
        log_level = _log_level(env.get("NEWSBOT_LOG_LEVEL", ""), problems)
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
            group_cooldown=cooldown,
            results_ttl=results_ttl,
            webhook=webhook,
            log_level=log_level,
        )
