"""Is a group message meant for the bot, and what is its question? (pure)"""

from __future__ import annotations

import re


def mentions(text: str, bot_username: str) -> bool:
    """True when ``@bot_username`` stands in the text as a whole mention (case-insensitive)."""
    pattern = rf"(?<![\w@])@{re.escape(bot_username)}(?!\w)"
    return re.search(pattern, text, re.IGNORECASE) is not None


def strip_mention(text: str, bot_username: str) -> str:
    """The text without the bot's @mention, whitespace folded."""
    pattern = rf"(?<![\w@])@{re.escape(bot_username)}(?!\w)"
    return " ".join(re.sub(pattern, " ", text, flags=re.IGNORECASE).split())


def group_question(text: str, bot_username: str, replies_to_bot: bool) -> str | None:
    """The question a group message asks the bot (maybe empty), ``None`` when not for the bot."""
    if mentions(text, bot_username):
        return strip_mention(text, bot_username)
    if replies_to_bot:
        return " ".join(text.split())
    return None
