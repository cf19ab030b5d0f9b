"""Telegram's flood control for the messages a bot sends, as the fake enforces it.

Telegram publishes no exact algorithm. Its Bot FAQ ("My bot is hitting limits, how do I avoid
this?") says: "When sending messages inside a particular chat, avoid sending more than one
message per second. We may allow short bursts that go over this limit, but eventually you'll
begin receiving 429 errors. If you're sending bulk notifications to multiple users, the API will
not allow more than 30 messages per second or so. [...] Also note that your bot will not be able
to send more than 20 messages per minute to the same group."

The fake turns that into three exact rules; a message is refused if any of them would break:

* in total: at most 30 messages in any sliding window of 1 second, over all chats;
* into one group or supergroup: at most 20 messages in any sliding window of 60 seconds;
* into one private chat: a token bucket of 3 tokens, refilled at 1 token per second, one token
  per message (a burst of 3, then one message a second sustained).

Only new messages count (sendMessage); edits are neither counted nor refused, since Telegram
documents no limit for them. A refused message uses up nothing. ``retry_after`` is the number of
whole seconds (at least 1) after which the same message would pass every rule, as Telegram's
``retry_after`` is an integer.
"""

import math
from collections import deque
from collections.abc import Callable

GLOBAL_LIMIT = 30
GLOBAL_WINDOW_SECONDS = 1.0
GROUP_LIMIT = 20
GROUP_WINDOW_SECONDS = 60.0
PRIVATE_BURST = 3
PRIVATE_REFILL_PER_SECOND = 1.0


class FloodControl:
    """Counts the bot's messages; not thread-safe (the fake calls it under its lock)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._sent: deque[float] = deque()
        self._group_sent: dict[int, deque[float]] = {}
        # chat id -> (tokens, when they were counted)
        self._private_tokens: dict[int, tuple[float, float]] = {}

    def take(self, chat_id: int, *, group: bool) -> int | None:
        """Counts one message into the chat; returns retry_after instead if it is refused."""
        now = self._clock()
        waits = [_window_wait(self._sent, now, GLOBAL_LIMIT, GLOBAL_WINDOW_SECONDS)]
        if group:
            sent = self._group_sent.setdefault(chat_id, deque())
            waits.append(_window_wait(sent, now, GROUP_LIMIT, GROUP_WINDOW_SECONDS))
        else:
            tokens, counted = self._private_tokens.get(chat_id, (float(PRIVATE_BURST), now))
            tokens = min(
                float(PRIVATE_BURST), tokens + (now - counted) * PRIVATE_REFILL_PER_SECOND
            )
            waits.append(max(0.0, (1.0 - tokens) / PRIVATE_REFILL_PER_SECOND))
        wait = max(waits)
        if wait > 0:
            return max(1, math.ceil(wait))
        self._sent.append(now)
        if group:
            self._group_sent[chat_id].append(now)
        else:
            self._private_tokens[chat_id] = (tokens - 1.0, now)
        return None


def _window_wait(sent: deque[float], now: float, limit: int, window: float) -> float:
    """Seconds until one more message fits the sliding window (0: it fits now)."""
    while sent and sent[0] <= now - window:
        sent.popleft()
    if len(sent) < limit:
        return 0.0
    return sent[len(sent) - limit] + window - now
