"""A fake Telegram Bot API server for end-to-end tests of the bot through the unmodified PTB."""

from tests.fakebot.server import (
    Call,
    Chat,
    ErrorExpectation,
    FakeTelegram,
    InlineAnswer,
    Message,
    User,
    WebhookDelivery,
)

__all__ = [
    "Call",
    "Chat",
    "ErrorExpectation",
    "FakeTelegram",
    "InlineAnswer",
    "Message",
    "User",
    "WebhookDelivery",
]
