"""Shared pytest setup: no test may reach the network beyond 127.0.0.1."""

import os
from collections.abc import Iterator

import pytest

from tests.fakebot.netguard import guard_network

# As `newsbot run` does: PTB's durations as timedelta (its coming default). Without it PTB 22
# warns at every RetryAfter, and warnings are errors here.
os.environ.setdefault("PTB_TIMEDELTA", "1")


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    with guard_network():
        yield
