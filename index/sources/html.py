"""HTML article pages -> ``RawArticle``: the story's text and metadata through trafilatura.

This is the only module that imports trafilatura; the feed reader calls ``article_from_html``
for the pages it fetches and ``paragraphs_from_fragment`` for the entries' own HTML. Text is
passed through as the page has it: datelines, ``Baca juga`` and ``Pewarta:`` footers are the
cleaner's business.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import trafilatura
from trafilatura.settings import Document

from index.models import Failure, RawArticle, ReadItem
from index.sources.jsonl import iso_published
from index.sources.text import decoded_file
from index.sources.txt import article_id_for

# htmldate's extensive search reads any year in the text as a date (a "Copyright © ANTARA 2024"
# footer became 2024-01-01); without it only dates the page states as dates count.
_DATE_PARAMS = {"original_date": True, "extensive_search": False}
# A story has at least one sentence-long paragraph; an error page or a list of headlines, which
# trafilatura still returns text for, has none.
_MIN_PROSE_WORDS = 10
# How trafilatura names a site that does not name itself: after the host in its URL.
_HOST_AS_SITENAME = re.compile(r"https?://(?:www\.|w[0-9]+\.)?([^/]+)")
# Bylines come as "Oleh Rina", "Penulis: Andi"; trafilatura keeps the label without its colon.
_BYLINE_LABEL = re.compile(
    r"^(?:oleh|penulis|reporter|pewarta|ditulis oleh|by)\b\s*:?\s*", re.IGNORECASE
)
# Where pages state the moment of publication, time and offset included.
_STAMP_XPATH = (
    '//meta[@property="article:published_time" or @itemprop="datePublished"]/@content'
    ' | //*[@itemprop="datePublished"]/@datetime'
)
_JSON_LD_XPATH = '//script[contains(@type, "ld+json")]/text()'
_SPACES = re.compile(r"\s+")


def article_from_html(
    html: str, article_id: str, origin: str, url: str | None = None
) -> RawArticle | None:
    """The article on a page, or ``None`` when the page holds no article text."""
    tree = trafilatura.load_html(html)
    if tree is None:
        return None
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        date_extraction_params=_DATE_PARAMS,
    )
    if not isinstance(document, Document) or not document.text:
        return None
    paragraphs = _paragraphs(document.text, document.title)
    if not _has_prose(paragraphs):
        return None
    return RawArticle(
        article_id=article_id,
        origin=origin,
        body="\n\n".join(paragraphs),
        title=document.title or None,
        outlet=_outlet(document),
        url=document.url or url,
        published=_published(tree, document.date),
        reporter=_reporter(document.author),
    )


def paragraphs_from_fragment(fragment: str) -> list[str]:
    """The text of an HTML fragment, such as a feed entry's summary, one line per block.

    ``trafilatura.load_html`` takes only whole documents, so the fragment is wrapped in one;
    ``favor_recall`` keeps the few lines an entry has, which a page's extraction would drop.
    """
    tree = trafilatura.load_html(f"<html><body>{fragment}</body></html>")
    if tree is None:
        return []
    text = trafilatura.extract(tree, include_comments=False, favor_recall=True)
    return _paragraphs(text or "", None)


def read_html(path: Path, root: Path, data: bytes) -> Iterator[ReadItem]:
    where = str(path)
    text = yield from decoded_file(where, data)
    if text is None:
        return
    article = article_from_html(text, article_id_for(path, root), str(path.resolve()))
    if article is None:
        yield Failure(where, "no article text found in the page")
        return
    yield article


def _fold(text: str) -> str:
    return _SPACES.sub(" ", text).strip().casefold()


def _paragraphs(text: str, title: str | None) -> list[str]:
    """trafilatura's lines (one per paragraph, heading, list item or line break), non-empty."""
    lines = [stripped for line in text.splitlines() if (stripped := line.strip())]
    # Pages repeat the headline as the story's first heading; as a passage it would only echo
    # the title.
    if lines and title and _fold(lines[0]) == _fold(title):
        return lines[1:]
    return lines


def _has_prose(paragraphs: list[str]) -> bool:
    # List items ("- ") and table rows ("| ") are what index pages are made of.
    return any(
        len(paragraph.split()) >= _MIN_PROSE_WORDS
        for paragraph in paragraphs
        if not paragraph.startswith(("- ", "| "))
    )


def _outlet(document: Document) -> str | None:
    """The site's own name; a name made from the URL's host is dropped.

    Given no name, the cleaner takes the dateline's agency, which says more than a host name.
    """
    sitename = document.sitename
    if not sitename or not document.url:
        return sitename or None
    host = _HOST_AS_SITENAME.match(document.url)
    return None if host and host.group(1) == sitename else sitename


def _reporter(author: str | None) -> str | None:
    if not author:
        return None
    return _BYLINE_LABEL.sub("", author).strip() or None


# ``tree`` is trafilatura's lxml tree; lxml has no type hints.
def _published(tree: Any, day: str | None) -> str | None:
    """The page's own timestamp for the day trafilatura found, so its time and offset are kept;
    the day alone when the page gives no time for it."""
    if not day:
        return None
    stamps = (*_json_ld_values(tree, "datePublished"), *tree.xpath(_STAMP_XPATH))
    for stamp in (str(stamp).strip() for stamp in stamps):
        if stamp.startswith(day):
            try:
                return iso_published(stamp)
            except ValueError:
                continue  # a stamp Python cannot read; the next one may do
    return day


def _json_ld_values(tree: Any, key: str) -> Iterator[str]:
    for script in tree.xpath(_JSON_LD_XPATH):
        try:
            data = json.loads(str(script))
        except json.JSONDecodeError:
            continue  # a broken block is skipped, as trafilatura skips it
        yield from _values_for(data, key)


def _values_for(node: object, key: str) -> Iterator[str]:
    """Every string under ``key`` at any depth: ``@graph`` and nested objects included."""
    if isinstance(node, dict):
        value = node.get(key)
        if isinstance(value, str):
            yield value
        for child in node.values():
            yield from _values_for(child, key)
    elif isinstance(node, list):
        for child in node:
            yield from _values_for(child, key)
