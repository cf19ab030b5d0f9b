"""The bot's application polling the fake Bot API server, for end-to-end tests."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator

from bot.app import BotApplication, build_application
from bot.services import Services
from tests.fakebot import FakeTelegram


@contextlib.asynccontextmanager
async def polling_bot(fake: FakeTelegram, services: Services) -> AsyncIterator[BotApplication]:
    """The unmodified application, started and shut down in PTB's documented order; on leaving,
    the fake must have rejected no call the test did not provoke."""
    application = build_application(services)
    assert application.updater is not None
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=dt.timedelta(seconds=5))
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
    fake.assert_no_errors()
