"""Settings from a mapping (the environment, merged over a ``.env`` file by the entry point).

Each command asks only for what it uses; every problem is collected and reported at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

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
}

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


@dataclass(frozen=True)
class BotSettings:
    """What ``newsbot run`` needs."""

    token: str = field(repr=False)
    db_path: Path
    base_url: str | None = None
    admin_ids: frozenset[int] = frozenset()
    sources: tuple[Path, ...] = ()

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
        if problems:
            raise ConfigError(problems)
        return cls(
            token=token,
            db_path=database_path(env, db_option),
            base_url=base_url,
            admin_ids=admin_ids,
            sources=sources,
        )
