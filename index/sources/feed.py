"""RSS and Atom feeds -> ``RawArticle``s: the only module that imports feedparser.

Each entry becomes one article. Its text is the linked page's, extracted like any HTML page,
when pages are fetched; otherwise, or when the page cannot be used, the entry's own content or
summary. feedparser's loosely typed results are copied into typed records at once.
"""

from __future__ import annotations

import calendar
import contextlib
import io
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser

from index.models import Failure, Notice, RawArticle, ReadItem
from index.sources.fetch import DEFAULT_TIMEOUT, FetchError, fetch, is_url
from index.sources.html import article_from_html, paragraphs_from_fragment
from index.sources.options import ReadOptions
from index.sources.text import UndecodableError, decode

FEED_SUFFIXES = (".xml", ".rss", ".atom")
# The bytes of an entry's page, ``None`` when there is none; ``FetchError`` says why it failed.
PageFetcher = Callable[[str], bytes | None]

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_SNIFF_BYTES = 1024
# Indonesian feeds stamp times with the zone's name, which neither the email parser nor
# feedparser knows; read as UTC they would be hours off.
_ZONE_NAMES = {"WIB": "+0700", "WITA": "+0800", "WIT": "+0900"}
_ZONE_NAME = re.compile(r"\b(WIB|WITA|WIT)\s*$")


@dataclass(frozen=True)
class _Text:
    value: str
    html: bool


@dataclass(frozen=True)
class _Entry:
    """What an article takes from a feed entry."""

    position: int
    guid: str | None
    link: str | None
    title: str | None
    published: str | None
    author: str | None
    # The entry's full content first, then its summary.
    texts: tuple[_Text, ...]

    @property
    def label(self) -> str:
        label = f'entry "{self.title}"' if self.title else f"entry {self.position}"
        return f"{label} ({self.link or self.guid})" if self.link or self.guid else label


@dataclass(frozen=True)
class _Feed:
    title: str | None
    version: str
    problem: str | None
    entries: tuple[_Entry, ...]


def read_url(
    url: str,
    options: ReadOptions,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    already_have: Callable[[RawArticle], bool] | None = None,
) -> Iterator[ReadItem]:
    """The articles of the feed at ``url``, which is also their origin.

    A feed that cannot be fetched is one ``Failure``, so one dead feed never stops a run. An
    entry ``already_have`` says is stored as the feed lists it is yielded from the feed alone,
    without fetching its page again.
    """
    try:
        fetched = fetch(url, timeout=timeout, max_bytes=options.max_file_bytes)
    except FetchError as error:
        yield Failure(url, f"cannot fetch the feed: {error}")
        return
    yield from read_feed(
        fetched.body,
        url,
        options,
        page_fetcher(options, timeout=timeout, trusted_host=urlsplit(fetched.url).hostname or ""),
        content_type=fetched.media_type,
        base_url=fetched.url,
        already_have=already_have,
    )


def read_feed_file(path: Path, data: bytes, options: ReadOptions) -> Iterator[ReadItem]:
    """A saved ``.xml``, ``.rss`` or ``.atom`` feed; its entries' pages are fetched as a live
    feed's are when ``options.fetch_pages`` is on."""
    yield from read_feed(data, str(path.resolve()), options, page_fetcher(options))


def page_fetcher(
    options: ReadOptions, *, timeout: float = DEFAULT_TIMEOUT, trusted_host: str | None = None
) -> PageFetcher:
    """Fetches entry pages with the same caps as feeds; for a live feed, from public addresses
    or the feed's own host only (a saved feed file is the admin's own choice, like its links)."""

    def fetch_page(link: str) -> bytes:
        return fetch(
            link, timeout=timeout, max_bytes=options.max_file_bytes, trusted_host=trusted_host
        ).body

    return fetch_page


def read_feed(
    data: bytes,
    origin: str,
    options: ReadOptions,
    fetch_page: PageFetcher | None,
    *,
    content_type: str | None = None,
    base_url: str | None = None,
    already_have: Callable[[RawArticle], bool] | None = None,
) -> Iterator[ReadItem]:
    """One article per entry of the RSS or Atom feed in ``data``, failures and notices.

    ``content_type`` is what the server said the data is (sniffed when not given);
    ``base_url`` resolves relative links. Pages are fetched only when ``options.fetch_pages``
    is on and ``fetch_page`` is given.
    """
    feed = _parse(data, base_url)
    if not feed.entries:
        if feed.version and feed.problem:
            yield Failure(origin, f"broken feed, no entry could be read ({feed.problem})")
        elif not feed.version:
            yield Failure(origin, _not_a_feed(content_type or _sniff(data)))
        return
    fetcher = fetch_page if options.fetch_pages else None
    for entry in feed.entries:
        yield from _read_entry(entry, feed, origin, fetcher, already_have)


def _listing(entry: _Entry, page_read: bool) -> str:
    """What the feed says about the entry; a change here means the entry changed."""
    texts = [(text.value, text.html) for text in entry.texts]
    fields = (entry.guid, entry.link, entry.title, entry.published, entry.author, texts)
    return repr((fields, "page" if page_read else "entry"))


def _read_entry(
    entry: _Entry,
    feed: _Feed,
    origin: str,
    fetch_page: PageFetcher | None,
    already_have: Callable[[RawArticle], bool] | None,
) -> Iterator[ReadItem]:
    # The guid is the feed's own name for the entry and the link its address: both stay the
    # same from one poll to the next, so a re-read entry is recognised, not added again.
    article_id = entry.guid or entry.link
    if not article_id:
        yield Failure(
            origin, f"{entry.label} has no id and no link, so it cannot be told apart across polls"
        )
        return
    wants_page = fetch_page is not None and entry.link is not None
    paragraphs = _entry_paragraphs(entry)
    listed = RawArticle(
        article_id=article_id,
        origin=origin,
        body="\n\n".join(paragraphs),
        title=entry.title,
        outlet=feed.title,
        url=entry.link,
        published=entry.published,
        reporter=entry.author,
        listing=_listing(entry, page_read=wants_page),
    )
    if already_have is not None and already_have(listed):
        yield listed
        return
    page: RawArticle | None = None
    page_problem: str | None = None
    if fetch_page is not None and entry.link:
        page, page_problem = _page_article(entry.link, article_id, origin, fetch_page)
    if page is not None:
        body = page.body
    else:
        if not paragraphs:
            detail = f": the page gave none ({page_problem})" if page_problem else ""
            yield Failure(origin, f"{entry.label} has no text{detail}")
            return
        if page_problem:
            yield Notice(
                origin, f"{entry.label}: page not used ({page_problem}); indexed the feed's text"
            )
        body = "\n\n".join(paragraphs)
    yield RawArticle(
        article_id=article_id,
        origin=origin,
        body=body,
        # The feed's metadata first: it is the outlet's own; the page's fills what it lacks.
        title=entry.title or (page.title if page else None),
        outlet=feed.title or (page.outlet if page else None),
        url=entry.link or (page.url if page else None),
        published=entry.published or (page.published if page else None),
        reporter=entry.author or (page.reporter if page else None),
        listing=_listing(entry, page_read=page is not None),
    )


def _page_article(
    link: str, article_id: str, origin: str, fetch_page: PageFetcher
) -> tuple[RawArticle | None, str | None]:
    """The article on the entry's page, or ``None`` and why not."""
    try:
        data = fetch_page(link)
    except FetchError as error:
        return None, str(error)
    if data is None:
        return None, "no page"
    try:
        text = decode(data).text
    except UndecodableError as error:
        return None, str(error)
    article = article_from_html(text, article_id, origin, url=link)
    if article is None:
        return None, "no article text found in the page"
    return article, None


def _entry_paragraphs(entry: _Entry) -> list[str]:
    for text in entry.texts:
        if text.html:
            paragraphs = paragraphs_from_fragment(text.value)
        else:
            paragraphs = [line.strip() for line in text.value.splitlines() if line.strip()]
        if paragraphs:
            return paragraphs
    return []


def _not_a_feed(got: str | None) -> str:
    reason = f"not an RSS or Atom feed (got {got})" if got else "not an RSS or Atom feed"
    if got in _HTML_TYPES:
        reason += "; give the feed's URL, not the page's"
    return reason


def _sniff(data: bytes) -> str | None:
    head = data[:_SNIFF_BYTES].lstrip().lower()
    return "text/html" if head.startswith((b"<!doctype html", b"<html")) else None


# feedparser's results: dictionaries of anything, typed from here on.


def _parse(data: bytes, base_url: str | None) -> _Feed:
    # A stream, never the bytes themselves: feedparser tries bytes as a file name first.
    parsed: Any = feedparser.parse(
        io.BytesIO(data), response_headers={"content-location": base_url or ""}
    )
    channel: Mapping[str, Any] = parsed.get("feed", {})
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    # Remarks about the HTTP headers and encodings, not errors in the feed.
    if isinstance(problem, feedparser.ThingsNobodyCaresAboutButMe):
        problem = None
    return _Feed(
        title=_string(channel.get("title")),
        version=_string(parsed.get("version")) or "",
        problem=str(problem) if problem else None,
        entries=tuple(
            _entry(position, entry)
            for position, entry in enumerate(parsed.get("entries", []), start=1)
        ),
    )


def _entry(position: int, entry: Mapping[str, Any]) -> _Entry:
    author_detail: Mapping[str, Any] = entry.get("author_detail") or {}
    author = _string(author_detail.get("name")) or _string(entry.get("author"))
    texts = [_text(content) for content in entry.get("content") or []]
    texts.append(_text(entry.get("summary_detail") or {"value": entry.get("summary")}))
    return _Entry(
        position=position,
        guid=_string(entry.get("id")),
        link=_link(entry.get("link")),
        title=_string(entry.get("title")),
        published=_published(entry, "published") or _published(entry, "updated"),
        # An address alone names nobody.
        author=None if author and "@" in author else author,
        texts=tuple(text for text in texts if text.value),
    )


def _text(detail: Mapping[str, Any]) -> _Text:
    return _Text(value=_string(detail.get("value")) or "", html=detail.get("type") != "text/plain")


def _link(value: object) -> str | None:
    # feedparser takes a permalink guid or an Atom id as the link when there is none; a
    # "tag:" id is no address, nor is a relative link that no feed URL resolved.
    link = _string(value)
    return link if link and is_url(link) else None


def _string(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _published(entry: Mapping[str, Any], key: str) -> str | None:
    """ISO 8601 with the offset the feed gave; in UTC when only feedparser could read it."""
    if stamp := _string(entry.get(key)):
        with contextlib.suppress(ValueError):
            return date.fromisoformat(stamp).isoformat()  # a day, no time: kept as a day
        stamp = _ZONE_NAME.sub(lambda zone: _ZONE_NAMES[zone.group(1)], stamp)
        moment = _moment(stamp)
        if moment is not None and moment.tzinfo is not None:
            return moment.isoformat(timespec="seconds")
    parsed = entry.get(f"{key}_parsed")
    if isinstance(parsed, time.struct_time):
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC).isoformat(timespec="seconds")
    return None


def _moment(stamp: str) -> datetime | None:
    """An RFC 822 date (RSS) or an ISO 8601 one (Atom)."""
    try:
        return parsedate_to_datetime(stamp)
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        return None
