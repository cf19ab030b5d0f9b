"""When the news appeared: a phrase of the question that asks for news from a time
("berita banjir kemarin", "news from last week") leaves the search text and becomes a window of
publication days, counted in Asia/Jakarta time (WIB) from an injected clock (pure).

A search for "kemarin" finds stories that say "kemarin", not stories published yesterday; the
window belongs on the published date instead. What reads as a window, every day inclusive:

- hari ini / today: today. kemarin / yesterday: yesterday. kemarin lusa / the day before
  yesterday / N hari lalu / N days ago: that one day. tadi malam / kemarin malam / last night:
  yesterday and today, as the night's news is dated either. N hari terakhir / past N days: the
  N days ending today. N jam terakhir / past N hours: the days those hours touch.
- minggu ini / pekan ini / this week: Monday .. today. minggu lalu / minggu kemarin / pekan lalu /
  last week: the previous Monday .. Sunday. N minggu lalu / N weeks ago: the calendar week N
  back. N minggu terakhir / sepekan terakhir / past N weeks: the 7N days ending today. akhir
  pekan lalu / last weekend: that Saturday and Sunday.
- bulan ini / this month: the 1st .. today. bulan lalu / last month / N bulan lalu: the calendar
  month (N) back. N bulan terakhir / past N months: the same day N months back .. today.
- Senin lalu / hari Senin kemarin / last Monday: the latest Monday before today. sejak Senin /
  since Monday: the latest Monday up to today .. today. "Minggu lalu" is last week; Sunday
  needs "hari" ("hari Minggu lalu"). "sejak" / "since" before any phrase above runs its window
  on to today ("sejak minggu lalu").
- Right after a news word (berita, kabar, artikel, liputan, terbitan, edisi, terbit, dimuat,
  news, articles, stories, reports, published...), which stays in the text: a month ("berita
  bulan Januari", "news from January 2024"; without a year, the latest January that has
  begun) or a year ("berita tahun 2023", "berita tahun lalu", "news from 2023").

Counts are digits or words (tiga, three, the se- of "sepekan"); a vague one (beberapa, a few,
several = 3; a couple = 2) reaches from that far back to the unit before the current ("beberapa
hari lalu": 3 days ago .. yesterday).

What stays a search term, by choice: a date or a year about the event ("pada 2018", "31 Juli",
"17 Agustus kemarin", "tahun 2019", "in 2020"); "tahun lalu", "tahun ini", "last year" without a
news word, as they usually date the content ("naik dibanding tahun lalu"); a month without a
news word right before it ("banjir pada bulan Januari"), since its name still ranks the stories
that mention it where a wrong filter would hide them; a weekday alone ("pada hari Senin",
"Minggu (22/11)", "hari Minggu ini"); a comparison ("dibanding bulan lalu", "than last week");
an occasion before "kemarin", which then means the latest one, not yesterday ("pilkada
kemarin", "Lebaran kemarin", "Hari Pahlawan kemarin"); and anything in the future.

Several phrases: those joined by "dan", "atau", "and", "or" or a comma count as one spanning
their days ("hari ini dan kemarin": yesterday .. today); otherwise the narrowest sets the
window, the earliest of equally narrow ones, and a search that finds nothing widens from there
(``widened``). Every phrase leaves the text either way: "banjir minggu ini, terutama kemarin"
searches "banjir, terutama" over yesterday. When nothing searchable remains ("Kemarin?"), the
text is empty: the question asks for the news of that time, nothing more.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from index.models import DateWindow

WIB = ZoneInfo("Asia/Jakarta")


@dataclass(frozen=True)
class DatedQuestion:
    """A question split into what to search (``text``) and when it was published (``window``,
    ``None`` for any time); ``text`` is the question unchanged when there is no window, and
    empty when the question names a time and nothing else."""

    text: str
    window: DateWindow | None


def dated_question(question: str, now: datetime) -> DatedQuestion:
    """``question`` without the phrases that say when its news appeared, and the window they
    set, reckoned from ``now`` (timezone-aware, in any zone: its day is taken in WIB; a naive
    one is a ValueError, as the machine's zone is no guide to Jakarta's day)."""
    moment = _in_wib(now)
    dated = [(found, found.days) for found in _phrases(question, moment) if found.days]
    if not dated:
        return DatedQuestion(question, None)
    groups = _joined(question, dated)
    # Every date phrase leaves the text; the narrowest sets the window, the earliest of equals.
    chosen, (start, end) = min(groups, key=lambda pair: (pair[1][1] - pair[1][0], pair[0].cut))
    text = _tidy(_without(question, [found.cut for found, _ in groups]))
    if not any(character.isalnum() for character in text):
        # "Kemarin?" asks for the news of a time, nothing more.
        text = ""
    phrase = _SPACES.sub(" ", question[slice(*chosen.phrase)])
    return DatedQuestion(text, DateWindow(start, end, phrase))


def widened(window: DateWindow, now: datetime) -> DateWindow | None:
    """The next window to try when ``window`` finds nothing: the first of these that holds it
    and is wider, cut at today - its calendar week (Monday .. Sunday), its calendar month, the
    last three months (this one and the two before), the last twelve months, its calendar
    year - and ``None`` (no filter) after that. The phrase stays the reader's, so the answer
    can say what was asked and what was searched."""
    today = _in_wib(now).date()
    end = window.end
    monday = _monday(end)
    wider = (
        (monday, monday + timedelta(days=6)),
        (_month_start(end), _month_end(end)),
        (_month_start(today, 2), today),
        (_month_start(today, 11), today),
        (date(end.year, 1, 1), date(end.year, 12, 31)),
    )
    for start, unit_end in wider:
        last = min(unit_end, today)
        holds = start <= window.start and window.end <= last
        if holds and (start, last) != (window.start, window.end):
            return DateWindow(start, last, window.phrase)
    return None


def _in_wib(now: datetime) -> datetime:
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware: which day it is in WIB depends on it")
    return now.astimezone(WIB)


_Days = tuple[date, date]
# What a phrase means at a moment (WIB): the days it names, or None when it names no
# publication days (a future month, an occasion, a comparison) and its words stay searchable.
_Reading = Callable[[re.Match[str], datetime], _Days | None]


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    reading: _Reading


@dataclass(frozen=True)
class _Found:
    cut: tuple[int, int]  # the span that leaves the question, prepositions included
    phrase: tuple[int, int]  # the span echoed to the reader
    days: _Days | None


_NUMBERS: Mapping[str, int] = {
    word: number
    for number, words in enumerate(
        (
            "",
            "satu one a an",
            "dua two couple",
            "tiga three beberapa few several",
            "empat four",
            "lima five",
            "enam six",
            "tujuh seven",
            "delapan eight",
            "sembilan nine",
            "sepuluh ten",
            "sebelas eleven",
            "duabelas twelve",
        )
    )
    for word in words.split()
}
_VAGUE = frozenset({"beberapa", "few", "several", "couple"})
_UNITS: Mapping[str, str] = {
    word: unit
    for unit, words in (
        ("day", "hari hr sehari day days"),
        ("week", "minggu mgg pekan seminggu sepekan week weeks"),
        ("month", "bulan bln sebulan month months"),
        ("hour", "jam sejam hour hours"),
    )
    for word in words.split()
}
WEEKDAYS: Mapping[str, int] = {
    word: weekday
    for weekday, words in enumerate(
        (
            "senin monday",
            "selasa tuesday",
            "rabu wednesday",
            "kamis thursday",
            "jumat friday",
            "sabtu saturday",
            "minggu ahad sunday",
        )
    )
    for word in words.split()
}
_FULL_MONTHS = (
    "januari january",
    "februari pebruari february",
    "maret march",
    "april",
    "mei",
    "juni june",
    "juli july",
    "agustus august",
    "september",
    "oktober october",
    "november nopember",
    "desember december",
)
# Abbreviations, and "may", are also names and words ("kabar Jan Ethes", "the news may..."):
# they count only with something more that marks a month (a preposition, "bulan", a year).
_SHORT_MONTHS = (
    "jan",
    "feb peb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "agu agt ags aug",
    "sep sept",
    "okt oct",
    "nov nop",
    "des dec",
)
MONTHS: Mapping[str, int] = {
    word: month
    for names in (_FULL_MONTHS, _SHORT_MONTHS)
    for month, words in enumerate(names, start=1)
    for word in words.split()
}
_SHORT_MONTH_WORDS = frozenset(" ".join(_SHORT_MONTHS).split())


def _key(words: str) -> str:
    """Words as the tables spell them: casefolded, without accents, apostrophes or spaces
    ("Jum'at" -> "jumat", "dua  belas" -> "duabelas", "SENİN" -> "senin")."""
    decomposed = unicodedata.normalize("NFKD", words.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


# "a few", "a couple of": the article and the "of" add nothing to the count.
_ARTICLE_AND_OF = re.compile(r"^an?\s+|\s+of$", re.IGNORECASE)


def _count(words: str | None) -> int | None:
    """A count as written ("3", "tiga", "a couple of"); 1 when there is none (the "se-" words,
    "last week"); None when it cannot be read."""
    if words is None:
        return 1
    key = _key(_ARTICLE_AND_OF.sub("", words.strip()))
    return int(key) if key.isascii() and key.isdigit() else _NUMBERS.get(key)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_start(day: date, back: int = 0) -> date:
    """The first day of the month ``back`` months before ``day``'s (after it when negative)."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _month_end(day: date) -> date:
    return _month_start(day, -1) - timedelta(days=1)


def _calendar(unit: str, back: int, today: date) -> _Days:
    """The calendar day, week (Monday .. Sunday) or month ``back`` of them before today's,
    cut at today."""
    if unit == "day":
        day = today - timedelta(days=back)
        return day, day
    if unit == "week":
        monday = _monday(today) - timedelta(weeks=back)
        return monday, min(monday + timedelta(days=6), today)
    first = _month_start(today, back)
    return first, min(_month_end(first), today)


def _recent(unit: str, count: int, today: date) -> _Days:
    """The last ``count`` days or weeks ending today, or from the same day ``count`` months
    back (the month's last day when it is shorter) to today."""
    if unit == "day":
        return today - timedelta(days=count - 1), today
    if unit == "week":
        return today - timedelta(days=7 * count - 1), today
    first = _month_start(today, count)
    return first.replace(day=min(today.day, _month_end(first).day)), today


def _latest(weekday: int, today: date, *, before_today: bool) -> date:
    """The latest day that is ``weekday`` (Monday = 0): today itself unless ``before_today``."""
    shift = 1 if before_today else 0
    return today - timedelta(days=(today.weekday() - weekday - shift) % 7 + shift)


def _calendar_back(unit: str, back: int) -> _Reading:
    def reading(_: re.Match[str], now: datetime) -> _Days:
        return _calendar(unit, back, now.date())

    return reading


def _stays(_: re.Match[str], __: datetime) -> None:
    return None


def _last_night(_: re.Match[str], now: datetime) -> _Days:
    today = now.date()
    return today - timedelta(days=1), today


def _group(match: re.Match[str], *names: str) -> str | None:
    """The first of the named groups that took part in the match."""
    groups = match.groupdict()
    return next((groups[name] for name in names if groups.get(name) is not None), None)


def _counted(match: re.Match[str]) -> tuple[str, int, bool] | None:
    """The unit ("day", "week", "month", "hour") and count a phrase names, and whether the count
    is vague ("beberapa", "a few", "a couple of"); None if it cannot be read."""
    unit = _UNITS.get(_key(_group(match, "unit", "one", "unit_en", "unit_last") or ""))
    words = _group(match, "count", "count_en", "count_last")
    count = _count(words)
    if not unit or not count:
        return None
    return unit, count, words is not None and _key(_ARTICLE_AND_OF.sub("", words)) in _VAGUE


def _units_ago(match: re.Match[str], now: datetime) -> _Days | None:
    """The day, calendar week or month N back; a vague count ("beberapa hari lalu", "a few
    weeks ago") reaches from N back to the one before the current."""
    counted = _counted(match)
    if counted is None:
        return None
    unit, count, vague = counted
    today = now.date()
    if unit == "hour":
        start, end = (now - timedelta(hours=count)).date(), (now - timedelta(hours=1)).date()
        return (start, end) if vague else (start, start)
    start, end = _calendar(unit, count, today)
    return (start, _calendar(unit, 1, today)[1]) if vague else (start, end)


def _units_recent(match: re.Match[str], now: datetime) -> _Days | None:
    counted = _counted(match)
    if counted is None:
        return None
    unit, count, _ = counted
    if unit == "hour":
        return (now - timedelta(hours=count)).date(), now.date()
    return _recent(unit, count, now.date())


def _weekend(back: int) -> _Reading:
    def reading(_: re.Match[str], now: datetime) -> _Days | None:
        saturday = _monday(now.date()) - timedelta(weeks=back) + timedelta(days=5)
        if saturday > now.date():
            return None
        return saturday, min(saturday + timedelta(days=1), now.date())

    return reading


def _since_weekday(match: re.Match[str], now: datetime) -> _Days | None:
    weekday = WEEKDAYS.get(_key(match["weekday"]))
    if weekday is None:
        return None
    return _latest(weekday, now.date(), before_today=False), now.date()


def _weekday_before(match: re.Match[str], now: datetime) -> _Days | None:
    weekday = WEEKDAYS.get(_key(match["weekday"]))
    if weekday is None:
        return None
    day = _latest(weekday, now.date(), before_today=True)
    return day, day


def _named_month(match: re.Match[str], now: datetime) -> _Days | None:
    word = _key(match["month"])
    month = MONTHS.get(word)
    more = ("prep", "since", "named", "last", "year", "ago")
    if month is None or (word in _SHORT_MONTH_WORDS and not any(match[g] for g in more)):
        return None
    today = now.date()
    if match["year"]:
        year = int(match["year"])
    else:
        # The latest such month that has begun; "Januari lalu" in January is last year's.
        year = today.year if month <= today.month else today.year - 1
        if month == today.month and (match["last"] or match["ago"]):
            year -= 1
    first = date(year, month, 1)
    if first > today:
        return None
    return first, min(_month_end(first), today)


def _named_year(match: re.Match[str], now: datetime) -> _Days | None:
    today = now.date()
    if match["year"]:
        year = int(match["year"])
    else:
        which = _key(_group(match, "which", "which_en") or "")
        year = today.year if which in {"ini", "this"} else today.year - 1
    if year > today.year:
        return None
    return date(year, 1, 1), min(date(year, 12, 31), today)


_SINCE = r"sejak|semenjak|since"
# Prepositions before a phrase leave the text with it but are not echoed ("dalam sepekan
# terakhir" -> "sepekan terakhir").
_LEAD = (
    r"(?:(?:pada|dalam|selama|sepanjang|di|dari|in|during|over|within|for|from|of|earlier)\s+)?"
    r"(?:the\s+)?"
)
_AGO_ID = r"(?:yang\s+)?(?:lalu|silam|kemarin|kemaren)"
_RECENT_ID = r"(?:terakhir|belakangan(?:\s+ini)?|ke\s*belakang|ini)"
_COUNT = (
    r"[0-9]{1,3}|satu|dua\s+belas|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh"
    r"|sebelas|beberapa|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|(?:a\s+)?couple(?:\s+of)?|(?:a\s+)?few|several"
)
_UNIT_ID = r"hari|hr|minggu|mgg|pekan|bulan|bln|jam"
_ONE_UNIT_ID = r"sehari|seminggu|sepekan|sebulan|sejam"
_UNIT_EN = r"days?|weeks?|months?|hours?"
_WEEKDAY_ID = r"senin|selasa|rabu|kamis|jum['’]?at|sabtu|minggu|ahad"
_WEEKDAY_EN = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_POSSESSIVE = r"(?:['’]s)?"
_OCCASION = (
    r"lebaran|idul\s*fitri|idul\s*adha|natal|imlek|nyepi|waisak|tahun\s+baru|ramadh?an|puasa"
    r"|pemilu|pilkada|pilpres|pileg|mudik|libur(?:an)?"
    rf"|hari\s+(?!(?:ini|{_WEEKDAY_ID})(?!\w))\w+"
)
_COMPARED = (
    r"(?:di)?banding(?:kan)?(?:\s+dengan)?|ketimbang|daripada"
    r"|than|compared\s+(?:to|with)|versus|vs\.?"
)
_NEWS = (
    r"berita(?:-berita)?|kabar|artikel|liputan|terbitan|edisi"
    r"|(?:yang\s+)?(?:terbit|diterbitkan|dimuat|tayang)"
    r"|news|articles?|stories|reports|coverage|headlines|published|posted"
)
_NEWS_PREP = r"pada|di|dari|selama|sepanjang|in|from|of|during|over"
# Longest first, so "juni" is not read as "jun" followed by a letter.
_MONTH_WORDS = "|".join(sorted(MONTHS, key=len, reverse=True))
# A year, not the first of a range ("2023/2024", "2019-2020").
_YEAR = r"(?:19|20)[0-9]{2}(?![-/–][0-9])"


def _phrase(core: str) -> re.Pattern[str]:
    """A phrase anywhere, its preposition leaving the text with it."""
    return re.compile(rf"(?<!\w)(?P<cut>{_LEAD}(?P<phrase>{core}))(?!\w)", re.IGNORECASE)


def _relative(core: str) -> re.Pattern[str]:
    """A phrase that may follow "sejak" / "since", which then runs it on to today."""
    return _phrase(rf"(?:(?P<since>{_SINCE})\s+)?(?:{core})")


def _news(core: str) -> re.Pattern[str]:
    """A phrase right after a news word, which stays in the text."""
    return re.compile(
        rf"(?<!\w)(?:{_NEWS})\s+(?P<cut>(?:(?P<prep>{_NEWS_PREP})\s+)?(?P<phrase>"
        rf"(?:(?P<since>{_SINCE})\s+)?(?:{core})))(?!\w)",
        re.IGNORECASE,
    )


# Overlapping matches go to the longest, so "kemarin lusa" beats "kemarin", "hari Minggu lalu"
# (a Sunday) beats "Minggu lalu" (last week), and a blocker ("dibanding bulan lalu", reading
# ``_stays``) keeps its words from being read as a window.
_RULES = (
    _Rule(_relative(rf"(?:hari|hr)\s+ini|today{_POSSESSIVE}"), _calendar_back("day", 0)),
    _Rule(
        _relative(r"tadi\s+(?:pagi|siang|sore)|this\s+(?:morning|afternoon)"),
        _calendar_back("day", 0),
    ),
    _Rule(
        _relative(
            r"(?:hari\s+)?(?:kemarin|kemaren|kmrn)(?:\s+(?:pagi|siang|sore))?"
            rf"|yesterday{_POSSESSIVE}(?:\s+(?:morning|afternoon))?"
        ),
        _calendar_back("day", 1),
    ),
    _Rule(
        _relative(r"(?:tadi|kemarin|kemaren)\s+malam|last\s+night|yesterday\s+evening"),
        _last_night,
    ),
    _Rule(
        _relative(r"(?:kemarin|kemaren)\s+lusa|day\s+before\s+yesterday"),
        _calendar_back("day", 2),
    ),
    _Rule(
        _relative(rf"(?:minggu|pekan|mgg)\s+ini|this\s+week{_POSSESSIVE}"),
        _calendar_back("week", 0),
    ),
    _Rule(
        _relative(rf"(?:minggu|pekan|mgg)\s+{_AGO_ID}|(?:last|previous)\s+week{_POSSESSIVE}"),
        _calendar_back("week", 1),
    ),
    _Rule(
        _relative(rf"(?:bulan|bln)\s+ini|this\s+month{_POSSESSIVE}"), _calendar_back("month", 0)
    ),
    _Rule(
        _relative(rf"(?:bulan|bln)\s+{_AGO_ID}|(?:last|previous)\s+month{_POSSESSIVE}"),
        _calendar_back("month", 1),
    ),
    _Rule(
        _relative(
            rf"akhir\s+(?:pekan|minggu)\s+{_AGO_ID}|weekend\s+{_AGO_ID}"
            r"|(?:last|this\s+past)\s+weekend"
        ),
        _weekend(1),
    ),
    _Rule(_relative(r"akhir\s+(?:pekan|minggu)\s+ini|weekend\s+ini|this\s+weekend"), _weekend(0)),
    _Rule(
        _relative(
            rf"(?:(?P<count>{_COUNT})\s+(?P<unit>{_UNIT_ID})|(?P<one>{_ONE_UNIT_ID}))\s+{_AGO_ID}"
            rf"|(?P<count_en>{_COUNT}|an?)\s+(?P<unit_en>{_UNIT_EN})\s+ago"
        ),
        _units_ago,
    ),
    _Rule(
        _relative(
            rf"(?:(?P<count>{_COUNT})\s+(?P<unit>{_UNIT_ID})|(?P<one>{_ONE_UNIT_ID}))\s+{_RECENT_ID}"
            rf"|(?:this\s+)?past\s+(?:(?P<count_en>{_COUNT})\s+)?(?P<unit_en>{_UNIT_EN})"
            rf"|(?:last|previous)\s+(?P<count_last>{_COUNT})\s+(?P<unit_last>{_UNIT_EN})"
        ),
        _units_recent,
    ),
    # "Minggu lalu" is last week; a Sunday needs "hari" before it.
    _Rule(
        _relative(rf"(?:(?:hari|hr)\s+|(?!minggu(?!\w)))(?P<weekday>{_WEEKDAY_ID})\s+{_AGO_ID}"),
        _weekday_before,
    ),
    _Rule(_relative(rf"(?:last|this\s+past)\s+(?P<weekday>{_WEEKDAY_EN})"), _weekday_before),
    _Rule(
        _phrase(
            rf"(?P<since>{_SINCE})\s+(?:(?:hari|hr)\s+)?(?P<weekday>{_WEEKDAY_ID}|{_WEEKDAY_EN})"
        ),
        _since_weekday,
    ),
    _Rule(_phrase(r"(?:hari|hr)\s+minggu\s+ini"), _stays),
    _Rule(_phrase(rf"(?:{_OCCASION})\s+(?:yang\s+)?(?:kemarin|kemaren|kmrn)"), _stays),
    # "17 Agustus kemarin", "1 Mei lalu": the latest such date, an event's.
    _Rule(
        _phrase(
            rf"[0-9]{{1,2}}\s+(?:{_MONTH_WORDS})\s+(?:yang\s+)?(?:lalu|silam|kemarin|kemaren)"
        ),
        _stays,
    ),
    _Rule(
        _phrase(
            rf"(?:{_COMPARED})\s+(?:(?:(?:hari|minggu|pekan|bulan)\s+)?(?:lalu|kemarin|sebelumnya)"
            r"|(?:last|the\s+previous)\s+(?:week|month)|yesterday)"
        ),
        _stays,
    ),
    _Rule(
        _news(
            rf"(?:(?P<named>bulan|bln|the\s+month\s+of)\s+)?(?:(?P<last>last)\s+)?"
            rf"(?P<month>{_MONTH_WORDS})(?!\s+[0-9]{{1,2}}(?![0-9]))"
            rf"(?:,?\s+(?:tahun\s+)?(?P<year>{_YEAR})|\s+(?P<ago>lalu|kemarin|silam))?"
        ),
        _named_month,
    ),
    _Rule(
        _news(
            rf"(?:(?:tahun|the\s+year)\s+)?(?P<year>{_YEAR})"
            r"|tahun\s+(?P<which>lalu|kemarin|ini)|(?P<which_en>last|this)\s+year"
        ),
        _named_year,
    ),
)


_SPACES = re.compile(r"\s+")
_JOINT = re.compile(r"\s*,?\s*(?:(?:dan|atau|serta|maupun|and|or)\s+)?", re.IGNORECASE)
_REPEATED_MARK = re.compile(r"([,;:])(?:\s*[,;:])+")
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]")
_SPACE_BEFORE_MARK = re.compile(r"\s+(?=[?!.,;:)](?:\s|$))")
# A comma, colon or "dan" left before the end of a sentence, or a comma at the start, once a
# phrase is gone ("hari ini dan kemarin?" -> "?").
_DANGLING = re.compile(
    r"^[\s,;:]+|[,;:]+(?=\s*(?:[?!.]|$))|\s+(?:dan|atau|serta|and|or)(?=\s*(?:[?!.]|$))",
    re.IGNORECASE,
)


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the (sorted, disjoint) spans cut out, a space where each was."""
    kept, position = [], 0
    for start, end in spans:
        kept.append(text[position:start])
        position = end
    kept.append(text[position:])
    return " ".join(kept)


def _tidy(text: str) -> str:
    text = _EMPTY_BRACKETS.sub(" ", text)
    text = _SPACES.sub(" ", text)
    text = _SPACE_BEFORE_MARK.sub("", text)
    text = _REPEATED_MARK.sub(r"\1", text)
    return _DANGLING.sub("", text).strip()


def _phrases(question: str, now: datetime) -> list[_Found]:
    """The date phrases of ``question``, none overlapping another: the longest wins, then the
    earliest, then the earlier rule."""
    matches = sorted(
        (
            (-(match.end("cut") - match.start("cut")), match.start("cut"), order, match)
            for order, rule in enumerate(_RULES)
            for match in rule.pattern.finditer(question)
        ),
        key=lambda candidate: candidate[:3],
    )
    found: list[_Found] = []
    taken = bytearray(len(question))
    for _, _, order, match in matches:
        start, end = match.span("cut")
        if any(taken[start:end]):
            continue
        taken[start:end] = b"\x01" * (end - start)
        days = _RULES[order].reading(match, now)
        if days is not None and match.groupdict().get("since"):
            days = days[0], now.date()
        found.append(_Found((start, end), match.span("phrase"), days))
    return found


def _joined(question: str, dated: list[tuple[_Found, _Days]]) -> list[tuple[_Found, _Days]]:
    """Phrases joined by "dan", "atau", "and", "or" or a comma ("hari ini dan kemarin") as one
    that spans their days, in the order of the question."""
    groups: list[tuple[_Found, _Days]] = []
    for found, days in sorted(dated, key=lambda pair: pair[0].cut):
        if not groups or not _JOINT.fullmatch(question, groups[-1][0].cut[1], found.cut[0]):
            groups.append((found, days))
            continue
        last, (start, end) = groups.pop()
        union = min(start, days[0]), max(end, days[1])
        cut, phrase = (last.cut[0], found.cut[1]), (last.phrase[0], found.phrase[1])
        groups.append((_Found(cut, phrase, union), union))
    return groups
