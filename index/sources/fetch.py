"""HTTP(S) GET for feeds and their pages: the only module of the index that speaks HTTP.

A fetch either returns the whole body, capped in size and time, or raises ``FetchError`` with a
reason short enough to show after the URL: "timed out after 10 s", "HTTP 404", "response larger
than 50 MB", "cannot connect (connection refused)".
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from index.errors import NewsbotError
from index.sources.options import ReadOptions

DEFAULT_TIMEOUT = 10.0
MAX_REDIRECTS = 5
# Browser-like so sites serve their normal page, honest about what is asking and why.
USER_AGENT = "Mozilla/5.0 (compatible; newsbot/0.1; RSS reader for a news archive bot)"
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9,"
    " text/html;q=0.8, */*;q=0.5"
)
_ERRNO = re.compile(r"^\[Errno -?\d+\]\s*")


class FetchError(NewsbotError):
    """A URL could not be fetched; the message is the reason, without the URL."""


@dataclass(frozen=True)
class Fetched:
    """A successful response: the final URL after redirects, and the whole body."""

    url: str
    status: int
    content_type: str | None
    body: bytes

    @property
    def media_type(self) -> str | None:
        """The content type without its parameters, lower case: ``text/html``."""
        if not self.content_type:
            return None
        return self.content_type.split(";", 1)[0].strip().casefold() or None


def is_url(source: str) -> bool:
    """Whether ``source`` is an http:// or https:// URL (rather than a file name)."""
    return source[:8].casefold().startswith(("http://", "https://"))


def size_text(count: int) -> str:
    """A byte count as people say it: ``50 MB``, ``64 KB``, ``300 bytes``."""
    if count >= 2**20:
        return f"{count / 2**20:g} MB"
    if count >= 2**10:
        return f"{count / 2**10:g} KB"
    return f"{count} bytes"


def is_public_host(host: str) -> bool:
    """Whether every address the host name resolves to is on the public internet."""
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        pass
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(
        ipaddress.ip_address(str(address).split("%", 1)[0]).is_global for address in addresses
    )


def _host_guard(trusted_host: str) -> Callable[[httpx.Request], None]:
    """Refuses requests (redirects included) to private addresses, except ``trusted_host``."""

    def check(request: httpx.Request) -> None:
        host = request.url.host
        if host != trusted_host and not is_public_host(host):
            raise FetchError(f"{host} is not a public address and not the feed's own host")

    return check


def fetch(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = ReadOptions().max_file_bytes,
    trusted_host: str | None = None,
) -> Fetched:
    """GET ``url``, following at most five redirects; ``FetchError`` says why it failed.

    ``timeout`` bounds the whole request, not only each network read, so a server that trickles
    bytes cannot hold a run; the body is streamed and the request dropped past ``max_bytes``.
    With ``trusted_host``, only that host and public addresses are fetched: a link found in a
    feed must not make the bot read the machine's own network.
    """
    if not is_url(url):
        raise FetchError("not an http(s) URL")
    hooks = {"request": [_host_guard(trusted_host)]} if trusted_host is not None else {}
    deadline = time.monotonic() + timeout
    too_large = FetchError(f"response larger than {size_text(max_bytes)}")
    try:
        with (
            httpx.Client(
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                timeout=timeout,
                headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT},
                event_hooks=hooks,
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise too_large
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise too_large
                if time.monotonic() > deadline:
                    raise FetchError(f"timed out after {timeout:g} s")
                chunks.append(chunk)
            return Fetched(
                url=str(response.url),
                status=response.status_code,
                content_type=response.headers.get("content-type"),
                body=b"".join(chunks),
            )
    except httpx.TimeoutException:
        raise FetchError(f"timed out after {timeout:g} s") from None
    except httpx.TooManyRedirects:
        raise FetchError(f"more than {MAX_REDIRECTS} redirects") from None
    except httpx.UnsupportedProtocol:
        raise FetchError("redirected to a URL that is not http(s)") from None
    except httpx.ConnectError as error:
        raise FetchError(f"cannot connect ({_reason(error)})") from None
    except httpx.HTTPError as error:
        raise FetchError(f"request failed ({_reason(error)})") from None
    except httpx.InvalidURL as error:
        raise FetchError(f"not a valid URL ({_reason(error)})") from None


def _reason(error: Exception) -> str:
    """``[Errno 111] Connection refused`` -> ``connection refused``."""
    text = _ERRNO.sub("", str(error)).strip() or type(error).__name__
    return text[:1].lower() + text[1:]
