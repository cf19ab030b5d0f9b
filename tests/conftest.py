"""Shared pytest setup: no test may reach the network beyond 127.0.0.1."""

from collections.abc import Iterator

import pytest

from tests.fakebot.netguard import guard_network


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    with guard_network():
        yield
