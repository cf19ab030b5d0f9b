"""Dates in questions: which phrases become a window of publication days, which stay search
terms, and how a window widens when it finds nothing (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from index.models import DateWindow
from index.when import WIB, DatedQuestion, dated_question, widened

# Saturday 28 November 2026, mid-morning in Jakarta: the week began on Monday the 23rd.
SATURDAY = datetime(2026, 11, 28, 10, 0, tzinfo=WIB)
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)
# Half an hour into the year: yesterday was last year.
NEW_YEAR = datetime(2026, 1, 1, 0, 30, tzinfo=WIB)
# Still Saturday in London, already Sunday the 29th in Jakarta.
LATE_UTC = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
END_OF_MARCH = datetime(2026, 3, 31, 12, 0, tzinfo=WIB)


def stays(question: str, now: datetime = SATURDAY) -> tuple[str, datetime, None, None, str]:
    return question, now, None, None, question


# (question, now, first day, last day, text left to search).
CASES = [
    # Days.
    ("Apa berita banjir hari ini?", SATURDAY, "2026-11-28", "2026-11-28", "Apa berita banjir?"),
    (
        "Siapa yang ditangkap kemarin?",
        SATURDAY,
        "2026-11-27",
        "2026-11-27",
        "Siapa yang ditangkap?",
    ),
    ("Siapa yang menang KEMARIN?", SATURDAY, "2026-11-27", "2026-11-27", "Siapa yang menang?"),
    ("Demo (kemarin) ricuh", SATURDAY, "2026-11-27", "2026-11-27", "Demo ricuh"),
    ("Banjir kemarin lusa di Bekasi", SATURDAY, "2026-11-26", "2026-11-26", "Banjir di Bekasi"),
    ("Kebakaran 3 hari lalu di Depok", SATURDAY, "2026-11-25", "2026-11-25", "Kebakaran di Depok"),
    ("Banjir dua hari yang lalu", SATURDAY, "2026-11-26", "2026-11-26", "Banjir"),
    ("Kasus DBD 7 hari terakhir", SATURDAY, "2026-11-22", "2026-11-28", "Kasus DBD"),
    ("Ledakan tadi malam", SATURDAY, "2026-11-27", "2026-11-28", "Ledakan"),
    ("Gempa 24 jam terakhir", SATURDAY, "2026-11-27", "2026-11-28", "Gempa"),
    (
        "What is today's news on the election?",
        SATURDAY,
        "2026-11-28",
        "2026-11-28",
        "What is news on the election?",
    ),
    ("Who was arrested yesterday?", SATURDAY, "2026-11-27", "2026-11-27", "Who was arrested?"),
    ("Fires the day before yesterday", SATURDAY, "2026-11-26", "2026-11-26", "Fires"),
    ("Storm damage 3 days ago", SATURDAY, "2026-11-25", "2026-11-25", "Storm damage"),
    ("Earthquakes in the past 3 days", SATURDAY, "2026-11-26", "2026-11-28", "Earthquakes"),
    ("Protests over the last few days", SATURDAY, "2026-11-26", "2026-11-28", "Protests"),
    # Weeks.
    ("berita gempa minggu lalu", SATURDAY, "2026-11-16", "2026-11-22", "berita gempa"),
    ("Harga cabai pekan ini", SATURDAY, "2026-11-23", "2026-11-28", "Harga cabai"),
    ("Berita minggu kemarin soal tol", SATURDAY, "2026-11-16", "2026-11-22", "Berita soal tol"),
    ("Kasus DBD 2 minggu terakhir", SATURDAY, "2026-11-15", "2026-11-28", "Kasus DBD"),
    ("Korupsi dalam sepekan terakhir", SATURDAY, "2026-11-22", "2026-11-28", "Korupsi"),
    ("2 minggu lalu ada demo apa?", SATURDAY, "2026-11-09", "2026-11-15", "ada demo apa?"),
    ("Laga akhir pekan lalu", SATURDAY, "2026-11-21", "2026-11-22", "Laga"),
    ("Flood news last week", SATURDAY, "2026-11-16", "2026-11-22", "Flood news"),
    (
        "What happened this week in Jakarta?",
        SATURDAY,
        "2026-11-23",
        "2026-11-28",
        "What happened in Jakarta?",
    ),
    ("Strikes two weeks ago", SATURDAY, "2026-11-09", "2026-11-15", "Strikes"),
    ("Dengue cases in the past 2 weeks", SATURDAY, "2026-11-15", "2026-11-28", "Dengue cases"),
    # Months.
    ("Berapa korban DBD bulan ini?", SATURDAY, "2026-11-01", "2026-11-28", "Berapa korban DBD?"),
    ("Inflasi bulan lalu berapa?", SATURDAY, "2026-10-01", "2026-10-31", "Inflasi berapa?"),
    ("Harga beras 3 bulan terakhir", SATURDAY, "2026-08-28", "2026-11-28", "Harga beras"),
    ("Ekspor sebulan terakhir", END_OF_MARCH, "2026-02-28", "2026-03-31", "Ekspor"),
    ("Inflation last month", SATURDAY, "2026-10-01", "2026-10-31", "Inflation"),
    ("Exports this month", SATURDAY, "2026-11-01", "2026-11-28", "Exports"),
    ("Rice prices over the past 3 months", SATURDAY, "2026-08-28", "2026-11-28", "Rice prices"),
    # Weekdays.
    ("Demo buruh sejak Senin", SATURDAY, "2026-11-23", "2026-11-28", "Demo buruh"),
    ("Hujan deras sejak Jum'at", SATURDAY, "2026-11-27", "2026-11-28", "Hujan deras"),
    ("Antrean sejak hari Minggu", SATURDAY, "2026-11-22", "2026-11-28", "Antrean"),
    (
        "Siapa yang dilantik Senin lalu?",
        SATURDAY,
        "2026-11-23",
        "2026-11-23",
        "Siapa yang dilantik?",
    ),
    (
        "Apa kata menteri hari Senin kemarin?",
        SATURDAY,
        "2026-11-23",
        "2026-11-23",
        "Apa kata menteri?",
    ),
    ("Ibadah hari Minggu kemarin", SATURDAY, "2026-11-22", "2026-11-22", "Ibadah"),
    ("Rapat Ahad lalu", SATURDAY, "2026-11-22", "2026-11-22", "Rapat"),
    ("Protests since Monday", SATURDAY, "2026-11-23", "2026-11-28", "Protests"),
    ("Who resigned last Friday?", SATURDAY, "2026-11-27", "2026-11-27", "Who resigned?"),
    ("Demo sejak minggu lalu", SATURDAY, "2026-11-16", "2026-11-28", "Demo"),
    # Today is Monday: "since Monday" is today alone, "last Monday" a week back.
    ("Demo sejak Senin", MONDAY, "2026-11-23", "2026-11-23", "Demo"),
    ("Sidang Senin lalu", MONDAY, "2026-11-16", "2026-11-16", "Sidang"),
    ("Markets this week", MONDAY, "2026-11-23", "2026-11-23", "Markets"),
    # Months and years after a news word.
    (
        "berita bulan Januari soal banjir",
        SATURDAY,
        "2026-01-01",
        "2026-01-31",
        "berita soal banjir",
    ),
    ("berita Januari 2024", SATURDAY, "2024-01-01", "2024-01-31", "berita"),
    ("berita Desember tentang tol", SATURDAY, "2025-12-01", "2025-12-31", "berita tentang tol"),
    ("berita bulan Agu 2025", SATURDAY, "2025-08-01", "2025-08-31", "berita"),
    ("kabar sejak Oktober", SATURDAY, "2026-10-01", "2026-11-28", "kabar"),
    ("news from January about floods", SATURDAY, "2026-01-01", "2026-01-31", "news about floods"),
    ("news from May 2025", SATURDAY, "2025-05-01", "2025-05-31", "news"),
    (
        "berita tahun 2023 tentang pemilu",
        SATURDAY,
        "2023-01-01",
        "2023-12-31",
        "berita tentang pemilu",
    ),
    ("berita tahun lalu soal banjir", SATURDAY, "2025-01-01", "2025-12-31", "berita soal banjir"),
    ("news from 2023", SATURDAY, "2023-01-01", "2023-12-31", "news"),
    # Month and year boundaries, and the day taken in Jakarta.
    (
        "Siapa yang ditangkap kemarin?",
        NEW_YEAR,
        "2025-12-31",
        "2025-12-31",
        "Siapa yang ditangkap?",
    ),
    ("Banjir minggu ini", NEW_YEAR, "2025-12-29", "2026-01-01", "Banjir"),
    ("Inflasi bulan lalu", NEW_YEAR, "2025-12-01", "2025-12-31", "Inflasi"),
    ("berita Januari", NEW_YEAR, "2026-01-01", "2026-01-01", "berita"),
    ("Apa berita hari ini?", LATE_UTC, "2026-11-29", "2026-11-29", "Apa berita?"),
    (
        "Siapa yang ditangkap kemarin?",
        LATE_UTC,
        "2026-11-28",
        "2026-11-28",
        "Siapa yang ditangkap?",
    ),
    ("Protests since Sunday", LATE_UTC, "2026-11-29", "2026-11-29", "Protests"),
    # Two phrases: the narrower sets the window, both leave the text.
    (
        "Banjir minggu ini, terutama kemarin",
        SATURDAY,
        "2026-11-27",
        "2026-11-27",
        "Banjir, terutama",
    ),
    # Joined phrases ask for all their days; a comparison stays.
    ("Apa berita hari ini dan kemarin?", SATURDAY, "2026-11-27", "2026-11-28", "Apa berita?"),
    ("Siapa, kemarin, yang menang?", SATURDAY, "2026-11-27", "2026-11-27", "Siapa, yang menang?"),
    (
        "Harga emas hari ini dibanding kemarin",
        SATURDAY,
        "2026-11-28",
        "2026-11-28",
        "Harga emas dibanding kemarin",
    ),
    # Nothing else to search: the question stays as it is, filtered.
    ("Kemarin?", SATURDAY, "2026-11-27", "2026-11-27", ""),
    # About the event, not the news, or not yet: no window, the question as asked.
    stays("Berapa nilai perdagangan ASEAN dan Rusia pada 2018?"),
    stays("Apa yang terjadi pada 31 Juli?"),
    stays("Apa yang terjadi pada 17 Agustus 1945?"),
    stays("Inflasi tahun 2019"),
    stays("GDP growth in 2020"),
    stays("Ekspor naik dibanding tahun lalu"),
    stays("Harga beras tahun ini"),
    stays("Exports rose compared with last year"),
    stays("Harga naik dibanding bulan lalu"),
    stays("Prices higher than last week"),
    stays("Banjir pada bulan Januari"),
    stays("berita Januari 2027"),
    stays("Apa kabar Jan Ethes?"),
    stays("The news may change"),
    stays("Upacara Hari Pahlawan di Surabaya"),
    stays("Kapan libur hari raya?"),
    stays("Laga Minggu (22/11) berakhir imbang"),
    stays("Pertandingan Hari Minggu"),
    stays("Misa hari Minggu ini"),
    stays("Rapat pada hari Senin"),
    stays("Siapa pemenang pilkada kemarin?"),
    stays("Mudik Lebaran kemarin"),
    stays("Pidato pada 17 Agustus kemarin"),
    stays("Korban banjir 3 tahun lalu"),
    stays("Harga naik sejak Januari"),
    stays("Akhir pekan ini cerah?", datetime(2026, 11, 25, 9, 0, tzinfo=WIB)),
    stays("Pameran selama 3 hari"),
]


@pytest.mark.parametrize(("question", "now", "first", "last", "text"), CASES)
def test_a_question_splits_into_text_and_window(
    question: str, now: datetime, first: str | None, last: str | None, text: str
) -> None:
    dated = dated_question(question, now)
    assert dated.text == text
    if first is None or last is None:
        assert dated.window is None
    else:
        assert dated.window is not None
        assert (dated.window.start, dated.window.end) == (
            date.fromisoformat(first),
            date.fromisoformat(last),
        )


def test_the_phrase_is_echoed_as_the_reader_wrote_it() -> None:
    def phrase(question: str) -> str | None:
        window = dated_question(question, SATURDAY).window
        return window.phrase if window else None

    assert phrase("Siapa yang dilantik Senin LALU?") == "Senin LALU"
    assert phrase("Korupsi dalam sepekan terakhir") == "sepekan terakhir"
    assert phrase("Hujan sejak Jum'at") == "sejak Jum'at"
    assert phrase("berita dari bulan   Januari") == "bulan Januari"
    assert phrase("Earthquakes in the past 3 days") == "past 3 days"
    assert phrase("Apa berita hari ini dan kemarin?") == "hari ini dan kemarin"


def test_vague_counts_cover_the_days_they_might_mean() -> None:
    assert dated_question("Banjir beberapa hari lalu", SATURDAY) == DatedQuestion(
        "Banjir", DateWindow(date(2026, 11, 25), date(2026, 11, 27), "beberapa hari lalu")
    )
    window = dated_question("Floods a couple of weeks ago", SATURDAY).window
    assert window is not None
    assert (window.start, window.end) == (date(2026, 11, 9), date(2026, 11, 22))


def test_the_clock_must_say_its_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        dated_question("kemarin", datetime(2026, 11, 28, 10, 0))
    with pytest.raises(ValueError, match="before it starts"):
        DateWindow(date(2026, 11, 28), date(2026, 11, 27), "kemarin")


def ladder(window: DateWindow | None, now: datetime) -> list[tuple[str, str] | None]:
    steps: list[tuple[str, str] | None] = []
    while window is not None:
        steps.append((window.start.isoformat(), window.end.isoformat()))
        window = widened(window, now)
    return [*steps, None]


def test_a_day_widens_to_its_week_month_last_three_and_twelve_months_then_no_filter() -> None:
    assert ladder(dated_question("banjir kemarin", SATURDAY).window, SATURDAY) == [
        ("2026-11-27", "2026-11-27"),
        ("2026-11-23", "2026-11-28"),
        ("2026-11-01", "2026-11-28"),
        ("2026-09-01", "2026-11-28"),
        ("2025-12-01", "2026-11-28"),
        None,
    ]


def test_steps_that_would_not_widen_are_skipped() -> None:
    # Last week is a whole calendar week already; last month a whole month.
    assert ladder(dated_question("banjir minggu lalu", SATURDAY).window, SATURDAY)[:2] == [
        ("2026-11-16", "2026-11-22"),
        ("2026-11-01", "2026-11-28"),
    ]
    assert ladder(dated_question("inflasi bulan lalu", SATURDAY).window, SATURDAY)[:2] == [
        ("2026-10-01", "2026-10-31"),
        ("2026-09-01", "2026-11-28"),
    ]
    # A month long past widens to its year, then to no filter.
    assert ladder(dated_question("berita Januari 2024", SATURDAY).window, SATURDAY) == [
        ("2024-01-01", "2024-01-31"),
        ("2024-01-01", "2024-12-31"),
        None,
    ]
    # Across the new year, the week reaches back into December and the month is skipped.
    assert ladder(dated_question("banjir hari ini", NEW_YEAR).window, NEW_YEAR)[:3] == [
        ("2026-01-01", "2026-01-01"),
        ("2025-12-29", "2026-01-01"),
        ("2025-11-01", "2026-01-01"),
    ]


def test_widening_keeps_the_readers_phrase() -> None:
    window = dated_question("banjir kemarin", SATURDAY).window
    assert window is not None
    wider = widened(window, SATURDAY)
    assert wider is not None
    assert wider.phrase == "kemarin"


def assert_widens_lawfully(window: DateWindow, now: datetime) -> None:
    today = now.astimezone(WIB).date()
    for _ in range(6):
        wider = widened(window, now)
        if wider is None:
            return
        assert wider.start <= window.start <= window.end <= wider.end <= today
        assert (wider.start, wider.end) != (window.start, window.end)
        window = wider
    pytest.fail("the ladder did not end in no filter")


# Date phrases, their look-alikes and the words they are made of, joined with noise.
PHRASES = (
    "hari ini|kemarin|kemarin lusa|tadi malam|3 hari lalu|7 hari terakhir|minggu ini|"
    "pekan lalu|2 minggu lalu|sepekan terakhir|bulan ini|bulan lalu|12 bulan terakhir|"
    "sejak Senin|Senin lalu|hari Minggu kemarin|sejak minggu lalu|akhir pekan ini|"
    "akhir pekan lalu|berita bulan Januari|berita Des 2025|berita tahun 2023|"
    "news from May|today|yesterday|last week|this month|past 24 hours|a few weeks ago|"
    "since Sunday|last Friday|999 bulan lalu|dibanding bulan lalu|pilkada kemarin|"
    "Minggu (22/11)|2018|31 Juli|?|,|(|)|berita|sejak|lalu|hari|Minggu|pada|dan"
).split("|")
questions = st.lists(st.one_of(st.sampled_from(PHRASES), st.text(max_size=12)), max_size=8).map(
    " ".join
)
moments = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2100, 12, 31),
    timezones=st.sampled_from(
        [UTC, WIB, ZoneInfo("America/New_York"), timezone(timedelta(hours=14))]
    ),
)


@settings(max_examples=300, deadline=None)
@given(question=questions, now=moments)
@example(question="kemarin", now=NEW_YEAR)
@example(question="Kemarin?", now=LATE_UTC)
@example(question="", now=SATURDAY)
def test_any_question_gets_a_window_within_today_or_none(question: str, now: datetime) -> None:
    dated = dated_question(question, now)
    today = now.astimezone(WIB).date()
    if dated.window is None:
        assert dated.text == question
        return
    assert dated.window.start <= dated.window.end <= today
    assert dated.window.phrase
    assert dated.text.strip() == dated.text
    assert dated.text == "" or any(character.isalnum() for character in dated.text)
    assert dated_question(question, now) == dated
    assert_widens_lawfully(dated.window, now)


@settings(max_examples=300, deadline=None)
@given(
    now=moments,
    back=st.integers(min_value=0, max_value=800),
    length=st.integers(min_value=0, max_value=800),
)
def test_any_window_widens_lawfully_to_no_filter(now: datetime, back: int, length: int) -> None:
    end = now.astimezone(WIB).date() - timedelta(days=back)
    assert_widens_lawfully(DateWindow(end - timedelta(days=length), end, "kemarin"), now)
