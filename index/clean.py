"""Wire copy -> clean paragraphs plus the metadata its text carries (pure).

Handles ANTARA's format: a dateline ``City (AGENCY) - `` (sometimes with the page's teaser
glued in front), ``Baca juga:`` cross-links (own paragraph, or glued to the end of one), and a
``Pewarta:`` / ``Penerjemah:`` / ``Editor:`` / ``Copyright © AGENCY YEAR`` footer, spaced or
glued; other outlets' openings (``Jakarta, CNN Indonesia -- ``), ad slots, video plugs, editor
initials and photo credits. When the record has no date, ``Rabu (31/7)`` in the text with the
copyright year gives one, marked as an estimate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from index.analysis import detect_language
from index.models import Article, RawArticle

# The footer is short; a label further from the end than this belongs to the body.
_FOOTER_MAX_CHARS = 400
# A teaser glued before the dateline is one line; a dateline further in is body text.
_DATELINE_MAX_OFFSET = 400

_FOOTER_LABEL = re.compile(
    r"(?P<label>Pewarta|Penerjemah|Reporter|Editor)\s*:\s*|(?P<copyright>copyright\s*(?:©|\(c\)))\s*",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(r"(?P<holder>.*?)\s*(?P<year>(?:19|20)\d\d)\b", re.DOTALL)
_DATELINE = re.compile(
    r"(?P<city>[A-Z][^\s()]*(?:,?\s[A-Z][^\s()]*)*)\s*\((?P<agency>[^()\n]{2,40})\)\s*[-–—]+\s*"
)
# ANTARA's video and photo items open with the agency alone.
_BARE_AGENCY = re.compile(r"(?P<agency>ANTARA)\s*[-–—]+\s*")
# Where a teaser's last word runs into the city: "dikontrolJakarta", "WIBJakarta".
_GLUE = re.compile(r"(?<=[A-Za-z0-9.,;:!?”\"')])(?=[A-Z][a-z])")
# Agencies whose dateline may follow a teaser after a space; any other "Name (ABBR) - " after a
# space is read as part of a sentence.
_NEWS_AGENCIES = frozenset({"antara", "antara news", "reuters", "afp", "ap", "xinhua", "bernama"})
# Without leading whitespace or bracket in the pattern: a search would try those at every
# position of every paragraph, ten times slower.
_BACA_JUGA = re.compile(r"Baca[ _]juga\s*:", re.IGNORECASE)
# "Baca juga:" alone in its paragraph; the linked headline is then the next paragraph.
_LONE_CROSS_LINK = re.compile(r"Baca[ _]juga\s*:?", re.IGNORECASE)
# A linked headline is a short line without a closing full stop.
_HEADLINE_MAX_CHARS = 200
# Other outlets open with "Jakarta, CNN Indonesia -- ", "Merdeka.com - ", "JUARA.NET, TOKYO - ",
# "blokTuban.com - ": a short run of capitalised words or a site name, then a dash, at the very
# start of the text.
_OPENING = re.compile(
    r"(?P<head>(?:[A-Z(][\w.()/&']*[,]?\s){0,5}[A-Z(][\w.()/&']*|[a-z]\w*\.com)"
    r"(?:\s*(?:--|[-–—]))+\s+"
)
_YEARS_IN_BRACKETS = re.compile(r"\(\d")
_OUTLET_WORD = re.compile(
    r"\.(?:com|net|co\.id|id)\b|\bCNN\b|\bPos Kota\b|\bANTARA|[a-z]news$", re.I
)
# Whole paragraphs that are page furniture, not news: ad slots, video plugs, editor initials.
_BOILERPLATE = re.compile(
    r"SCROLL TO CONTINUE WITH CONTENT|ADVERTISEMENT|\(\w{2,6}(?:/\w{2,6})*\)|[*\s]+|[-–—]+"
    r"|[\[\]()]|Saksikan Live ?Detik ?\w*\s*:?|\"?Detik (?:Pagi|Sore), [^\"]*\"?"
    r"|(?:Simak|Tonton|Saksikan)(?: juga)? Video\b.*|DailySocial\.id adalah portal berita\b.*"
    r"|Simak selengkapnya\b.*|Ikuti ulasan(?:nya)?\b.*|Sampaikan komentar Anda\b.*"
    r"|Sumber\s*:.{1,60}"
    # A photo caption: a short line ending in the agency's photo credit.
    r"|.{0,300}\((?:ANTARA|Antara)(?:/[^()]*)?\)",
    re.IGNORECASE,
)
# Endings that are credits, not news: "(Nama/Nama/Nama)" after a video item, "(ard)" initials.
_TRAILING_CREDIT = re.compile(
    r"\s*\((?:[A-Z][^()/]*(?:/[^()/]+)+|[a-z]{2,6}(?:/[a-z]{2,6})*)\)\s*$"
)
_LEADING_BYLINE = re.compile(r"(?:Reporter|Pewarta|Penulis)\s*:\s*(?P<name>[^\n]{2,80})\n")
_WEEKDAY_DATE = re.compile(
    r"\b(?:Senin|Selasa|Rabu|Kamis|Jumat|Jum'at|Sabtu|Minggu)\s*\((?P<day>\d{1,2})/(?P<month>\d{1,2})\)"
)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Footer:
    reporter: str | None = None
    translator: str | None = None
    editor: str | None = None
    agency: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class Dateline:
    city: str | None
    agency: str | None
    rest: str


def split_footer(text: str) -> tuple[str, Footer]:
    """Body and footer; the footer starts at the earliest label within its last characters."""
    tail_start = max(0, len(text) - _FOOTER_MAX_CHARS)
    start = next(
        (match.start() for match in _FOOTER_LABEL.finditer(text, tail_start)),
        None,
    )
    if start is None:
        return text, Footer()
    return text[:start], parse_footer(text[start:])


def parse_footer(footer: str) -> Footer:
    fields: dict[str, str] = {}
    labels = list(_FOOTER_LABEL.finditer(footer))
    for label, following in zip(labels, [*labels[1:], None], strict=True):
        end = following.start() if following else len(footer)
        value = fold_spaces(footer[label.end() : end])
        key = (label.group("label") or "copyright").casefold()
        if value:
            fields.setdefault(key, value)
    agency, year = None, None
    if copyright_match := _COPYRIGHT.match(fields.get("copyright", "")):
        agency = copyright_match.group("holder").strip() or None
        year = int(copyright_match.group("year"))
    return Footer(
        reporter=fields.get("pewarta") or fields.get("reporter"),
        translator=fields.get("penerjemah"),
        editor=fields.get("editor"),
        agency=agency,
        year=year,
    )


def split_dateline(paragraph: str) -> Dateline:
    """City and agency from ``City (AGENCY) - ``; a glued teaser before it is dropped.

    The teaser repeats the lead, so quoting it would show the same sentence twice.
    """
    if bare := _BARE_AGENCY.match(paragraph):
        return Dateline(city=None, agency=bare.group("agency"), rest=paragraph[bare.end() :])
    for match in _DATELINE.finditer(paragraph, 0, _DATELINE_MAX_OFFSET + 80):
        if match.start() > _DATELINE_MAX_OFFSET:
            break
        city = match.group("city")
        glued = list(_GLUE.finditer(city))
        agency = match.group("agency").strip()
        # A dateline opens the paragraph or is glued to the teaser before it; "Badan Pusat
        # Statistik (BPS) - " after a space is a sentence, not a dateline.
        after_space = match.start() > 0 and paragraph[match.start() - 1].isspace()
        if after_space and not glued and agency.casefold() not in _NEWS_AGENCIES:
            continue
        if glued:
            city = city[glued[-1].start() :]
        return Dateline(
            city=_display_city(city.strip(" ,")), agency=agency, rest=paragraph[match.end() :]
        )
    return Dateline(city=None, agency=None, rest=paragraph)


def opening_dateline(paragraph: str) -> Dateline:
    """City and outlet from an opening such as ``Jakarta, CNN Indonesia -- ``."""
    match = _OPENING.match(paragraph)
    # "Wakidi (1890 - 1979), pelukis ..." opens with a name and years, not a place and outlet.
    if match is None or _YEARS_IN_BRACKETS.search(match.group("head")):
        return Dateline(city=None, agency=None, rest=paragraph)
    city: str | None = None
    agency: str | None = None
    for part in (piece.strip() for piece in match.group("head").split(",")):
        inner = re.fullmatch(r"(?P<city>[^()]+?)\s*\((?P<agency>[^()]+)\)", part)
        if inner:
            city, agency = inner.group("city"), inner.group("agency")
        elif _OUTLET_WORD.search(part):
            agency = part
        elif city is None:
            city = part
    return Dateline(city=_display_city(city), agency=agency, rest=paragraph[match.end() :])


def _display_city(city: str | None) -> str | None:
    """``JAKARTA`` as ``Jakarta``; a city written normally stays as it is."""
    return city.title() if city and city.isupper() else city


def drop_cross_links(paragraph: str) -> str:
    """Text before a ``Baca juga:`` link; the link runs to the end of its paragraph."""
    match = _BACA_JUGA.search(paragraph)
    if match is None:
        return paragraph
    # The link may sit in brackets: "[Baca juga: ...]".
    return paragraph[: match.start()].rstrip().removesuffix("[").removesuffix("(").rstrip()


def is_boilerplate(paragraph: str) -> bool:
    """Page furniture, or a headline of a linked story: short, all capitals, no full stop."""
    if _BOILERPLATE.fullmatch(paragraph) is not None:
        return True
    return len(paragraph) <= _HEADLINE_MAX_CHARS and paragraph.isupper() and "." not in paragraph


def news_paragraphs(paragraphs: list[str]) -> list[str]:
    """Paragraphs without cross-links, page furniture and trailing credits."""
    kept: list[str] = []
    skip_headline = False
    for paragraph in paragraphs:
        linked_headline = skip_headline and len(paragraph) <= _HEADLINE_MAX_CHARS
        skip_headline = _LONE_CROSS_LINK.fullmatch(paragraph) is not None
        if skip_headline or (linked_headline and not paragraph.endswith(".")):
            continue
        text = drop_cross_links(paragraph).strip()
        if text and not is_boilerplate(text):
            kept.append(text)
    if kept:
        kept[-1] = _TRAILING_CREDIT.sub("", kept[-1]).strip()
    return [paragraph for paragraph in kept if paragraph]


def fold_spaces(text: str) -> str:
    """Runs of whitespace as one space, none at the ends (what ``re.sub(r"\\s+", " ")`` and
    ``strip`` give, several times faster)."""
    return " ".join(text.split())


def paragraphs_of(body: str) -> list[str]:
    """Blank-line separated paragraphs with inner whitespace folded."""
    folded = (fold_spaces(part) for part in _PARAGRAPH_BREAK.split(body))
    return [part for part in folded if part]


def estimated_date(paragraphs: list[str], year: int | None) -> str | None:
    """``Rabu (31/7)`` in the text with the footer's copyright year, as an ISO date."""
    if year is None:
        return None
    for paragraph in paragraphs[:3]:
        if match := _WEEKDAY_DATE.search(paragraph):
            try:
                return date(year, int(match.group("month")), int(match.group("day"))).isoformat()
            except ValueError:
                return None
    return None


def split_leading_byline(text: str) -> tuple[str | None, str]:
    """``Reporter: Nama`` on the first line (some outlets put it there), and the rest."""
    match = _LEADING_BYLINE.match(text)
    if match is None:
        return None, text
    return match.group("name").strip(), text[match.end() :]


def clean_article(raw: RawArticle) -> Article:
    """Clean paragraphs and metadata; the record's own fields win over what the text says."""
    byline, text = split_leading_byline(raw.body.replace("\r\n", "\n").strip())
    body, footer = split_footer(text)
    paragraphs = paragraphs_of(body)
    dateline = Dateline(city=None, agency=None, rest="")
    if paragraphs:
        dateline = split_dateline(paragraphs[0])
        if dateline.city is None and dateline.agency is None:
            dateline = opening_dateline(paragraphs[0])
        paragraphs[0] = dateline.rest.strip()
    kept = news_paragraphs(paragraphs)
    title = fold_spaces(raw.title) if raw.title else None
    estimate = None if raw.published else estimated_date(kept, footer.year)
    return Article(
        article_id=raw.article_id,
        origin=raw.origin,
        paragraphs=tuple(kept),
        title=title or None,
        outlet=raw.outlet or dateline.agency or footer.agency,
        url=raw.url,
        published=raw.published or estimate,
        published_estimated=estimate is not None,
        city=dateline.city,
        reporter=raw.reporter or byline or footer.reporter,
        editor=footer.editor,
        translator=footer.translator,
        copyright_year=footer.year,
        language=detect_language(" ".join(kept[:5])),
    )
