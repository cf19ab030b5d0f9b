"""Answers -> Telegram HTML messages and plain text (pure).

Every article string is escaped; messages are packed from whole blocks (one quoted passage with
its source), never cut inside a tag, and each stays within Telegram's limits, measured as
Telegram does: on the text after entity parsing, in UTF-16 code units.
"""

from __future__ import annotations

import html
import re
import textwrap
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.texts import Texts
from index.answer import marked_sentence
from index.conversations import Usage
from index.models import Answer, ArchiveStats, DateWindow, Hit
from index.split import PARAGRAPH_SEPARATOR, greedy_join

MESSAGE_LIMIT = 4096
ENTITY_LIMIT = 100
# Passages are at most 800 characters; these bounds keep any block within one message anyway.
# They count UTF-16 code units, as Telegram does: an emoji beyond U+FFFF counts two.
MAX_QUOTE_UNITS = 3000
MAX_LINE_UNITS = 300
JAKARTA = ZoneInfo("Asia/Jakarta")
# Terminal answers wrap quotes at this width, indent included.
TEXT_WIDTH = 96
QUOTE = "    > "

_TAG = re.compile(r"<(/?)[a-z-]+[^>]*>")
# A URL's scheme, unless what follows the colon is a port ("example.com:8080/x").
_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:(?!\d)")
# Tags in HTML of unknown quality: any case, and a link's address quoted or not.
_ANY_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:[\s/][^<>]*)?>")
_LINK = re.compile(
    r"""<a\s[^<>]*?href\s*=\s*["']?(?P<url>[^"'\s<>]+)[^<>]*>(?P<text>.*?)</a\s*>""",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class FeedStatus:
    url: str
    polled: datetime | None
    failed: bool = False


@dataclass(frozen=True)
class BotStatus:
    """What /status shows; every moment timezone-aware."""

    now: datetime
    started: datetime
    last_indexed: datetime | None
    reindexing: bool
    feeds: tuple[FeedStatus, ...]


def format_day(day: date, texts: Texts, year: bool = True) -> str:
    """``31 Juli 2019``, or ``31 Juli`` without the year."""
    name = f"{day.day} {texts.months[day.month - 1]}"
    return f"{name} {day.year}" if year else name


def format_moment(moment: datetime, texts: Texts) -> str:
    """``31 Juli 2019, 08.09 WIB`` (a moment without a zone is taken as WIB already)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(JAKARTA)
    separator = "." if texts.language == "id" else ":"
    clock = f"{moment.hour:02d}{separator}{moment.minute:02d} WIB"
    return f"{format_day(moment.date(), texts)}, {clock}"


def format_published(published: str | None, copyright_year: int | None, texts: Texts) -> str:
    """``31 Juli 2019, 08.09 WIB``; the date alone for dates; ``© 2019`` from a footer year."""
    if published:
        if len(published) == 10:
            return format_day(date.fromisoformat(published), texts)
        return format_moment(datetime.fromisoformat(published), texts)
    return f"© {copyright_year}" if copyright_year else ""


def format_days(window: DateWindow, texts: Texts) -> str:
    """``16–22 November 2026``, ``28 Oktober – 3 November 2026``, or one day."""
    start, end = window.start, window.end
    if start == end:
        return format_day(end, texts)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{format_day(end, texts)}"
    return f"{format_day(start, texts, start.year != end.year)} – {format_day(end, texts)}"


def search_notes(answer: Answer, texts: Texts) -> list[str]:
    """What was searched, when the reader should know (plain text): the publication days
    a time in the question set, how they were widened, and the undated articles left out."""
    notes: list[str] = []
    asked, window = answer.asked_window, answer.window
    if asked is not None:
        if window is None:
            notes.append(
                texts.widened_to_any_date.format(
                    phrase=asked.phrase, asked=format_days(asked, texts)
                )
            )
        else:
            notes.append(
                texts.widened_to.format(
                    phrase=asked.phrase,
                    asked=format_days(asked, texts),
                    days=format_days(window, texts),
                )
            )
    elif window is not None:
        notes.append(
            texts.published_between.format(days=format_days(window, texts), phrase=window.phrase)
        )
    if window is not None and answer.undated_articles:
        notes.append(texts.undated_not_searched.format(count=answer.undated_articles))
    return notes


def source_line(hit: Hit, texts: Texts) -> str:
    """Outlet, city, date and reporter, the ones known, joined by middle dots (plain text)."""
    published = format_published(hit.published, hit.copyright_year, texts)
    if published and hit.published_estimated:
        published = texts.estimated_date.format(date=published)
    reporter = texts.reported_by.format(reporter=hit.reporter) if hit.reporter else None
    parts = [hit.outlet, hit.city, published, reporter]
    return " · ".join(part for part in parts if part)


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits."""
    return len(text.encode("utf-16-le")) // 2


def plain_length(message: str) -> int:
    """Length of an HTML message as Telegram counts it: parsed text, UTF-16 code units."""
    return utf16_length(html.unescape(_TAG.sub("", message)))


def entity_count(message: str) -> int:
    return sum(1 for match in _TAG.finditer(message) if not match.group(1))


def html_to_plain(message: str) -> str:
    """The message as plain text, for when Telegram rejects its HTML: tags left out, a link's
    address written after its text, character references decoded, cut to fit one message."""
    linked = _LINK.sub(lambda link: f"{link['text']} ({link['url']})", message)
    return shorten(html.unescape(_ANY_TAG.sub("", linked)), MESSAGE_LIMIT)


def shorten(text: str, limit: int) -> str:
    """The text, or its first words and an ellipsis, within ``limit`` UTF-16 code units."""
    if utf16_length(text) <= limit:
        return text
    # A character cut in half (the first unit of a pair) is left out by "ignore".
    cut = text.encode("utf-16-le")[: 2 * (limit - 1)].decode("utf-16-le", "ignore")
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def link_target(url: str) -> str | None:
    """The address Telegram links for ``url``, or None where it would refuse the link: an
    http(s) address with a host (Telegram reads one without a scheme as http), without
    spaces or control characters."""
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in url):
        return None
    target = url if _SCHEME.match(url) else f"http://{url}"
    try:
        parts = urlsplit(target)
    except ValueError:  # a malformed IPv6 host
        return None
    return target if parts.scheme in ("http", "https") and parts.hostname else None


def quote_html(text: str, sentence: str | None) -> str:
    """The quote escaped, its answering sentence in bold (when the quote holds it whole)."""
    quote = shorten(text, MAX_QUOTE_UNITS)
    start = quote.find(sentence) if sentence else -1
    if sentence is None or start < 0:
        return html.escape(quote, quote=False)
    end = start + len(sentence)
    before, marked, after = quote[:start], quote[start:end], quote[end:]
    return "".join(
        (
            html.escape(before, quote=False),
            f"<b>{html.escape(marked, quote=False)}</b>",
            html.escape(after, quote=False),
        )
    )


def hit_block(hit: Hit, texts: Texts, sentence: str | None) -> str:
    """One quoted passage, ``sentence`` marked in it, and its source; short enough to fit a
    message on its own."""
    lines = [f"<blockquote>{quote_html(hit.text, sentence)}</blockquote>"]
    if hit.title:
        lines.append(f"<b>{html.escape(shorten(hit.title, MAX_LINE_UNITS), quote=False)}</b>")
    if source := source_line(hit, texts):
        lines.append(html.escape(shorten(source, MAX_LINE_UNITS), quote=False))
    if hit.also_published_by:
        also = texts.also_published_by.format(outlets=", ".join(hit.also_published_by))
        lines.append(f"<i>{html.escape(shorten(also, MAX_LINE_UNITS), quote=False)}</i>")
    if hit.url and (target := link_target(hit.url)):
        lines.append(f'<a href="{html.escape(target)}">{html.escape(texts.read_more)}</a>')
    return "\n".join(lines)


def not_found_html(answer: Answer, texts: Texts) -> str:
    lines = [html.escape(texts.not_found)]
    if answer.terms:
        searched = texts.searched_for.format(terms=", ".join(answer.terms))
        lines.append(f"<i>{html.escape(shorten(searched, MAX_LINE_UNITS))}</i>")
    return "\n".join(lines)


def notes_html(answer: Answer, texts: Texts) -> list[str]:
    return [f"<i>{html.escape(note)}</i>" for note in search_notes(answer, texts)]


def fits_one_message(message: str) -> bool:
    return plain_length(message) <= MESSAGE_LIMIT and entity_count(message) <= ENTITY_LIMIT


def pack(blocks: list[str]) -> list[str]:
    """Whole blocks packed into as few messages as fit Telegram's limits, order kept."""
    return list(greedy_join(blocks, "\n\n", fits_one_message))


def answer_heading(answer: Answer, texts: Texts) -> str:
    """What goes above the quotes: the days searched and, for a declined question, "not
    found", the terms searched and the "perhaps related" label."""
    notes = "\n".join(notes_html(answer, texts))
    if answer.answered:
        return notes
    heading = "\n".join(filter(None, (not_found_html(answer, texts), notes)))
    if answer.hits:
        heading += f"\n\n{html.escape(texts.perhaps_related)}"
    return heading


@dataclass(frozen=True)
class Page:
    """One message of an answer the reader pages through, and the hits it quotes."""

    text: str
    hits: tuple[Hit, ...]


def hit_blocks(answer: Answer, texts: Texts) -> list[str]:
    """Each hit's block, its answering sentence marked when the answer stands."""
    return [hit_block(hit, texts, marked_sentence(answer, hit)) for hit in answer.hits]


def answer_pages(answer: Answer, texts: Texts, per_page: int) -> list[Page]:
    """The answer as pages the reader turns with ◀ ▶: each at most ``per_page`` quotes under
    the heading, one message each (quotes that do not fit together get a page each)."""
    heading = answer_heading(answer, texts)
    hits = answer.hits
    blocks = hit_blocks(answer, texts)
    pages: list[Page] = []
    for start in range(0, max(len(blocks), 1), per_page):
        shown = slice(start, start + per_page)
        text = "\n\n".join(filter(None, (heading, *blocks[shown])))
        if fits_one_message(text) or len(blocks[shown]) <= 1:
            pages.append(Page(text, hits[shown]))
            continue
        pages.extend(
            Page("\n\n".join(filter(None, (heading, block))), (hit,))
            for block, hit in zip(blocks[shown], hits[shown], strict=True)
        )
    return pages


def render_answer_html(answer: Answer, texts: Texts) -> list[str]:
    """The answer as Telegram HTML messages: the quotes that answer, or "not found" with what
    was searched and the nearest matches; as few messages as fit, the heading once."""
    heading = answer_heading(answer, texts)
    blocks = hit_blocks(answer, texts)
    return pack([heading, *blocks] if heading else blocks)


def format_duration(seconds: float, texts: Texts) -> str:
    """The two largest units: ``2 jam 5 menit``, ``3 d 4 h``, ``40 detik``."""
    days, hours, minutes, whole = (
        int(seconds // 86400),
        int(seconds % 86400 // 3600),
        int(seconds % 3600 // 60),
        int(seconds % 60),
    )
    parts = [
        f"{amount}{unit}"
        for amount, unit in zip((days, hours, minutes, whole), texts.duration_units, strict=True)
        if amount
    ]
    return " ".join(parts[:2]) or f"0{texts.duration_units[3]}"


def stats_html(stats: ArchiveStats, usage: Usage, texts: Texts) -> str:
    """/stats: what the archive holds, the questions asked and the readers' votes."""
    last_indexed = (
        format_moment(datetime.fromisoformat(stats.last_indexed), texts)
        if stats.last_indexed
        else texts.never
    )
    rate = f"{100 * usage.declined / usage.questions:.0f}%" if usage.questions else "–"
    text = texts.stats.format(
        articles=stats.articles,
        passages=stats.passages,
        stories=stats.stories,
        outlet_count=len(stats.outlets),
        last_indexed=html.escape(last_indexed),
        questions=usage.questions,
        answered=usage.answered,
        declined=usage.declined,
        decline_rate=rate,
        helpful=usage.helpful,
        unhelpful=usage.unhelpful,
    )
    if stats.outlets:
        largest = ", ".join(f"{outlet} ({count})" for outlet, count in stats.outlets[:5])
        text += "\n\n" + html.escape(texts.stats_outlets.format(outlets=largest))
    return text


def status_html(status: BotStatus, texts: Texts) -> str:
    """/status: uptime, how old the index is, whether a reindex runs, each feed's last poll."""
    indexed = texts.never
    index_age = "–"
    if status.last_indexed is not None:
        indexed = format_moment(status.last_indexed, texts)
        index_age = format_duration((status.now - status.last_indexed).total_seconds(), texts)
    lines = [
        texts.status.format(
            started=html.escape(format_moment(status.started, texts)),
            uptime=format_duration((status.now - status.started).total_seconds(), texts),
            indexed=html.escape(indexed),
            index_age=index_age,
            reindexing=texts.yes if status.reindexing else texts.no,
        ),
        "",
    ]
    if not status.feeds:
        lines.append(html.escape(texts.status_no_feeds))
    for feed in status.feeds:
        polled = texts.status_feed_never
        if feed.polled is not None:
            polled = format_moment(feed.polled, texts)
            if feed.failed:
                polled = texts.status_feed_failed.format(when=polled)
        lines.append(html.escape(texts.status_feed.format(feed=feed.url, polled=polled)))
    return "\n".join(lines)


def render_answer_text(answer: Answer, texts: Texts) -> str:
    """The answer as a person reads it in a terminal."""
    lines = [f"{texts.question_label}: {answer.question}", ""]
    if not answer.answered:
        lines.append(texts.not_found)
        if answer.terms:
            lines.append(texts.searched_for.format(terms=", ".join(answer.terms)))
    lines.extend(search_notes(answer, texts))
    if not answer.answered and answer.hits:
        lines.extend(["", texts.perhaps_related])
    if len(lines) > 2:
        lines.append("")
    for hit in answer.hits:
        heading = f"[{hit.rank}] {hit.title}" if hit.title else f"[{hit.rank}]"
        lines.append(heading)
        if source := source_line(hit, texts):
            lines.append(f"    {source}")
        if hit.also_published_by:
            lines.append(
                "    " + texts.also_published_by.format(outlets=", ".join(hit.also_published_by))
            )
        if sentence := marked_sentence(answer, hit):
            lines.append(f"    {texts.answer_label}: {sentence}")
        quoted = (
            "\n".join(
                textwrap.wrap(paragraph, TEXT_WIDTH, initial_indent=QUOTE, subsequent_indent=QUOTE)
            )
            for paragraph in hit.text.split(PARAGRAPH_SEPARATOR)
        )
        lines.append(f"\n{QUOTE.rstrip()}\n".join(quoted))
        if hit.url:
            lines.append(f"    {hit.url}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
