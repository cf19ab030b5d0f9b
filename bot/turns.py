"""Turns for answers in a group: at most one answer per cooldown in each group, so the bot never
floods it. A question asked sooner waits its turn; when too many already wait, the asker is told
when to ask again instead. Nothing is dropped silently.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

# Questions that may wait in one group: beyond them, the asker is told when to ask again.
MAX_WAITING = 3


@dataclass(frozen=True)
class Turn:
    """Wait ``wait`` seconds, then answer."""

    wait: float


@dataclass(frozen=True)
class AskAgain:
    """Too many questions wait: ask again in ``seconds``."""

    seconds: int


class GroupTurns:
    """Hands out answer times per group. Not thread-safe: the bot's event loop calls it, and no
    ``await`` falls between reading and writing a group's next free time."""

    def __init__(
        self,
        cooldown: timedelta,
        clock: Callable[[], float] = time.monotonic,
        max_waiting: int = MAX_WAITING,
    ) -> None:
        self._gap = cooldown.total_seconds()
        self._clock = clock
        self._max_wait = self._gap * max_waiting
        self._next_free: dict[int, float] = {}

    def take(self, chat_id: int) -> Turn | AskAgain:
        now = self._clock()
        start = max(now, self._next_free.get(chat_id, now))
        wait = start - now
        if wait > self._max_wait:
            return AskAgain(math.ceil(wait - self._max_wait))
        self._next_free[chat_id] = start + self._gap
        if len(self._next_free) > 1024:
            self._forget_idle(now)
        return Turn(wait)

    def _forget_idle(self, now: float) -> None:
        for chat_id in [chat for chat, free in self._next_free.items() if free <= now]:
            del self._next_free[chat_id]
