"""Wire copy -> clean paragraphs plus the metadata its text carries (pure).

Handles the seed's format: a dateline ``City (AGENCY) - `` (sometimes with the page's teaser
glued in front), ``Baca juga:`` cross-links (own paragraph, or glued to the end of one), and a
``Pewarta:`` / ``Penerjemah:`` / ``Editor:`` / ``Copyright © AGENCY YEAR`` footer, spaced or glued.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
_BACA_JUGA = re.compile(r"\s*Baca juga\s*:", re.IGNORECASE)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SPACES = re.compile(r"\s+")


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
        value = _SPACES.sub(" ", footer[label.end() : end]).strip()
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
        return Dateline(city=city.strip(" ,"), agency=agency, rest=paragraph[match.end() :])
    return Dateline(city=None, agency=None, rest=paragraph)


def drop_cross_links(paragraph: str) -> str:
    """Text before a ``Baca juga:`` link; the link runs to the end of its paragraph."""
    match = _BACA_JUGA.search(paragraph)
    return paragraph if match is None else paragraph[: match.start()]


def paragraphs_of(body: str) -> list[str]:
    """Blank-line separated paragraphs with inner whitespace folded."""
    folded = (_SPACES.sub(" ", part).strip() for part in _PARAGRAPH_BREAK.split(body))
    return [part for part in folded if part]


def clean_article(raw: RawArticle) -> Article:
    """Clean paragraphs and metadata; the record's own fields win over what the text says."""
    body, footer = split_footer(raw.body.replace("\r\n", "\n").strip())
    paragraphs = paragraphs_of(body)
    dateline = Dateline(city=None, agency=None, rest="")
    if paragraphs:
        dateline = split_dateline(paragraphs[0])
        paragraphs[0] = dateline.rest.strip()
    kept = [text for text in (drop_cross_links(p).strip() for p in paragraphs) if text]
    title = _SPACES.sub(" ", raw.title).strip() if raw.title else None
    return Article(
        article_id=raw.article_id,
        origin=raw.origin,
        paragraphs=tuple(kept),
        title=title or None,
        outlet=raw.outlet or dateline.agency or footer.agency,
        url=raw.url,
        published=raw.published,
        city=dateline.city,
        reporter=raw.reporter or footer.reporter,
        editor=footer.editor,
        translator=footer.translator,
        copyright_year=footer.year,
        language=detect_language(" ".join(kept[:5])),
    )
