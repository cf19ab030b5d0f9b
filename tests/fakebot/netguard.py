"""Refuse network access beyond the loopback interface, so no test can reach api.telegram.org."""

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class NetworkAccessError(RuntimeError):
    """A test tried to reach a non-loopback address.

    Deliberately not an OSError: clients treat OSError as a transient network failure and retry
    quietly, which would turn the mistake into a slow timeout instead of a clear failure.
    """


def is_loopback_host(host: object) -> bool:
    """Whether ``host`` (a name, IP literal or bytes) stays on this machine."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0].lower().rstrip(".")
    if name in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _allowed(family: int, address: Any) -> bool:
    if family == getattr(socket, "AF_UNIX", None):
        return True
    return isinstance(address, tuple) and bool(address) and is_loopback_host(address[0])


def _refuse(what: str, target: object) -> NetworkAccessError:
    return NetworkAccessError(
        f"tests may not use the network: {what} {target!r} was blocked "
        "(allowed: 127.0.0.0/8, ::1, localhost and AF_UNIX sockets)"
    )


@contextmanager
def guard_network() -> Iterator[None]:
    """Patches socket connects and name lookups for the duration of the block."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_create_connection = socket.create_connection
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if not _allowed(self.family, address):
            raise _refuse("connect to", address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _allowed(self.family, address):
            raise _refuse("connect_ex to", address)
        return real_connect_ex(self, address)

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        # Checked before the name lookup so that not even a DNS query leaves the machine.
        if not is_loopback_host(address[0]):
            raise _refuse("create_connection to", address)
        return real_create_connection(address, *args, **kwargs)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not is_loopback_host(host):
            raise _refuse("name lookup of", host)
        return real_getaddrinfo(host, *args, **kwargs)

    patches: dict[tuple[object, str], object] = {
        (socket.socket, "connect"): connect,
        (socket.socket, "connect_ex"): connect_ex,
        (socket, "create_connection"): create_connection,
        (socket, "getaddrinfo"): getaddrinfo,
    }
    originals = {(target, name): getattr(target, name) for target, name in patches}
    for (target, name), replacement in patches.items():
        setattr(target, name, replacement)
    try:
        yield
    finally:
        for (target, name), original in originals.items():
            setattr(target, name, original)
