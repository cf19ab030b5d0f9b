"""Rendering answers: escaped, valid Telegram HTML, within Telegram's limits (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render import (
    MESSAGE_LIMIT,
    BotStatus,
    FeedStatus,
    answer_pages,
    format_days,
    format_duration,
    format_published,
    html_to_plain,
    pack,
    plain_length,
    render_answer_html,
    render_answer_text,
    shorten,
    source_line,
    stats_html,
    status_html,
)
from bot.texts import ENGLISH_TEXTS, INDONESIAN_TEXTS
from index.conversations import Usage
from index.models import Answer, ArchiveStats, DateWindow, Hit
from tests.fakebot.entities import check_entity_count, clean_and_trim, parse_html, utf16_len

BASE_HIT = Hit(
    rank=1,
    score=1.0,
    passage_id="a#1",
    text="Harga cabai naik.",
    article_id="a",
    title="Judul",
    outlet="ANTARA",
    url="https://example.com/a?x=1&y=2",
    published="2023-12-05T08:09:00+07:00",
    city="Jakarta",
    confidence=1.0,
)


def hit(rank: int = 1, text: str = "Harga cabai naik.", **fields: Any) -> Hit:
    return replace(BASE_HIT, rank=rank, passage_id=f"a#{rank}", text=text, **fields)


def assert_telegram_accepts(message: str) -> None:
    parsed = clean_and_trim(parse_html(message))
    assert 1 <= utf16_len(parsed.text) <= MESSAGE_LIMIT
    check_entity_count(parsed.entities)


def test_dates_in_jakarta_time_both_languages() -> None:
    utc = "2023-12-05T01:09:00+00:00"
    assert format_published(utc, None, INDONESIAN_TEXTS) == "5 Desember 2023, 08.09 WIB"
    assert format_published(utc, None, ENGLISH_TEXTS) == "5 December 2023, 08:09 WIB"
    assert format_published("2016-09-04", None, INDONESIAN_TEXTS) == "4 September 2016"
    assert format_published(None, 2019, INDONESIAN_TEXTS) == "© 2019"
    assert format_published(None, None, INDONESIAN_TEXTS) == ""


def test_source_line_leaves_out_missing_fields() -> None:
    assert source_line(hit(city=None, published=None), INDONESIAN_TEXTS) == "ANTARA"
    full = source_line(hit(), INDONESIAN_TEXTS)
    assert full == "ANTARA · Jakarta · 5 Desember 2023, 08.09 WIB"
    reported = source_line(hit(reporter="Budi Santoso"), ENGLISH_TEXTS)
    assert reported == "ANTARA · Jakarta · 5 December 2023, 08:09 WIB · by Budi Santoso"
    assert "None" not in source_line(hit(outlet=None, city=None), INDONESIAN_TEXTS)


def test_answer_html_quotes_and_escapes() -> None:
    answer = Answer("q", (hit(text="a < b & <i>c</i>", title="T&T <x>"),))
    [message] = render_answer_html(answer, INDONESIAN_TEXTS)
    assert message.startswith("<blockquote>a &lt; b &amp; &lt;i&gt;c&lt;/i&gt;</blockquote>")
    assert "<b>T&amp;T &lt;x&gt;</b>" in message
    assert '<a href="https://example.com/a?x=1&amp;y=2">Baca berita</a>' in message
    assert_telegram_accepts(message)
    assert "a < b & <i>c</i>" in parse_html(message).text


def test_not_found_names_the_terms() -> None:
    [message] = render_answer_html(Answer("q", (), ("kopi", "<x>")), INDONESIAN_TEXTS)
    assert INDONESIAN_TEXTS.not_found in message
    assert "kopi, &lt;x&gt;" in message
    assert_telegram_accepts(message)


def test_plain_text_answer() -> None:
    text = render_answer_text(Answer("q", (hit(), hit(2, url=None, title=None))), INDONESIAN_TEXTS)
    assert "[1] Judul" in text
    assert "    > Harga cabai naik." in text
    assert "https://example.com/a?x=1&y=2" in text
    assert "[2]\n" in text


def test_pack_splits_on_block_boundaries_only() -> None:
    blocks = [f"<blockquote>{'x' * 3000}</blockquote>" for _ in range(3)]
    messages = pack(blocks)
    assert messages == blocks
    small = pack(["<b>a</b>", "<b>b</b>"])
    assert small == ["<b>a</b>\n\n<b>b</b>"]


def test_plain_length_counts_utf16_after_parsing() -> None:
    assert plain_length("<b>😀</b> &amp;") == 4


article_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=1200
).filter(lambda text: text.strip() != "")
html_like = st.sampled_from(["<b>", "</i>", "<script>", "&amp;", "&", "<", ">", "\u202e", "😀"])
mixed_text = st.lists(st.one_of(article_text, html_like), min_size=1, max_size=8).map("".join)


@settings(max_examples=150, deadline=None)
@given(
    texts=st.lists(mixed_text, min_size=1, max_size=6),
    title=st.one_of(st.none(), mixed_text),
    url=st.one_of(st.none(), st.just("https://example.com/?a=1&b=<2>")),
)
def test_rendered_html_is_always_accepted(
    texts: list[str], title: str | None, url: str | None
) -> None:
    hits = tuple(
        hit(rank, text=text, title=title, url=url) for rank, text in enumerate(texts, start=1)
    )
    messages = render_answer_html(Answer("q", hits), INDONESIAN_TEXTS)
    for message in messages:
        assert_telegram_accepts(message)
    shown = "".join(parse_html(message).text for message in messages)
    for text in texts:
        assert text.strip() in shown


@settings(max_examples=30, deadline=None)
@given(size=st.integers(min_value=4000, max_value=10_000))
def test_a_paragraph_longer_than_a_message_still_renders(size: int) -> None:
    messages = render_answer_html(Answer("q", (hit(text="kata " * (size // 5)),)), ENGLISH_TEXTS)
    for message in messages:
        assert_telegram_accepts(message)


def test_the_answering_sentence_is_bold_inside_the_quote() -> None:
    text = "Harga <cabai> naik. Stok aman & cukup."
    rendered = render_answer_html(
        Answer("q", (hit(text=text, answer_sentence="Stok aman & cukup."),)), INDONESIAN_TEXTS
    )[0]
    assert "<blockquote>Harga &lt;cabai&gt; naik. <b>Stok aman &amp; cukup.</b></blockquote>" in (
        rendered
    )
    assert_telegram_accepts(rendered)


def test_other_copies_are_named_under_the_source() -> None:
    answer = Answer("q", (hit(also_published_by=("Kabar <Lain>", "Suara Timur")),))
    assert (
        "<i>Juga dimuat: Kabar &lt;Lain&gt;, Suara Timur</i>"
        in render_answer_html(answer, INDONESIAN_TEXTS)[0]
    )
    assert "Also published by: Kabar <Lain>, Suara Timur" in render_answer_text(
        answer, ENGLISH_TEXTS
    )


def test_plain_text_names_the_answering_sentence() -> None:
    answer = Answer("q", (hit(text="Harga cabai naik. Stok aman.", answer_sentence="Stok aman."),))
    assert "Jawaban: Stok aman." in render_answer_text(answer, INDONESIAN_TEXTS)


def test_a_weak_hit_is_quoted_without_an_answer_marked() -> None:
    weak = hit(text="Harga cabai naik. Stok aman.", answer_sentence="Stok aman.", confidence=0.2)
    answer = Answer("q", (hit(answer_sentence="Harga cabai naik."), weak))
    text = render_answer_text(answer, INDONESIAN_TEXTS)
    assert text.count("Jawaban:") == 1
    [message] = render_answer_html(answer, INDONESIAN_TEXTS)
    assert message.count("<b>Harga cabai naik.</b>") == 1
    assert "<b>Stok aman.</b>" not in message


@settings(max_examples=150, deadline=None)
@given(text=mixed_text, data=st.data())
def test_rendered_html_with_a_marked_sentence_is_always_accepted(
    text: str, data: st.DataObject
) -> None:
    start = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    end = data.draw(st.integers(min_value=start + 1, max_value=len(text)))
    sentence = text[start:end]
    also = data.draw(st.lists(mixed_text, max_size=3).map(tuple))
    answer = Answer("q", (hit(text=text, answer_sentence=sentence, also_published_by=also),))
    messages = render_answer_html(answer, INDONESIAN_TEXTS)
    for message in messages:
        assert_telegram_accepts(message)
    assert text.strip() in "".join(parse_html(message).text for message in messages)


def window(start: date, end: date, phrase: str = "minggu lalu") -> DateWindow:
    return DateWindow(start, end, phrase)


@pytest.mark.parametrize(
    ("start", "end", "shown"),
    [
        (date(2026, 11, 27), date(2026, 11, 27), "27 November 2026"),
        (date(2026, 11, 16), date(2026, 11, 22), "16–22 November 2026"),
        (date(2026, 10, 26), date(2026, 11, 1), "26 Oktober – 1 November 2026"),
        (date(2025, 12, 1), date(2026, 11, 29), "1 Desember 2025 – 29 November 2026"),
    ],
)
def test_a_window_of_days_reads_naturally(start: date, end: date, shown: str) -> None:
    assert format_days(window(start, end), INDONESIAN_TEXTS) == shown


def test_a_declined_answer_says_so_and_offers_the_nearest_matches() -> None:
    answer = Answer("q", (hit(answer_sentence="Harga cabai naik."),), ("cabai", "garut"), True)
    [message] = render_answer_html(answer, INDONESIAN_TEXTS)
    assert message.startswith("Tidak ada berita di arsip yang menjawab pertanyaan itu.")
    assert "<i>Kata yang dicari: cabai, garut</i>" in message
    assert "Mungkin terkait:\n\n<blockquote>" in message
    assert_telegram_accepts(message)
    text = render_answer_text(answer, ENGLISH_TEXTS)
    assert "Nothing in the archive answers that question." in text
    assert "Perhaps related:" in text
    # The nearest match is no answer: its sentence is not called one.
    assert "Answer:" not in text


def test_the_days_searched_and_the_undated_articles_are_named() -> None:
    asked = window(date(2026, 11, 16), date(2026, 11, 22))
    answer = Answer("q", (hit(),), window=asked, undated_articles=4)
    [message] = render_answer_html(answer, INDONESIAN_TEXTS)
    assert message.startswith(
        "<i>Berita yang terbit 16–22 November 2026 (minggu lalu).</i>\n"
        "<i>4 artikel tanpa tanggal tidak ikut dicari dalam rentang ini.</i>\n\n<blockquote>"
    )
    assert_telegram_accepts(message)


def test_a_widened_window_says_what_was_asked_and_what_was_searched() -> None:
    asked = window(date(2026, 11, 16), date(2026, 11, 22))
    wider = window(date(2026, 11, 1), date(2026, 11, 28))
    widened = Answer("q", (hit(),), window=wider, asked_window=asked)
    assert (
        "No matching news minggu lalu (16–22 November 2026); searched 1–28 November 2026"
        " instead." in render_answer_text(widened, ENGLISH_TEXTS)
    )
    anytime = Answer("q", (hit(),), asked_window=asked)
    assert "hasil diambil dari semua tanggal" in render_answer_html(anytime, INDONESIAN_TEXTS)[0]


def test_a_quote_is_shortened_by_utf16_units() -> None:
    # 5,000 characters of emoji beyond U+FFFF: 7,500 UTF-16 units.
    answer = Answer("q", (hit(text="😀 " * 2500, title="👩‍👩‍👧‍👦" * 200),))
    [message] = render_answer_html(answer, INDONESIAN_TEXTS)
    assert_telegram_accepts(message)
    quote = parse_html(message).text.split("\n")[0]
    assert quote.endswith("😀…")
    assert utf16_len(quote) <= 3000


def test_shorten_never_splits_a_character() -> None:
    assert shorten("😀" * 10, 6) == "😀😀…"
    assert shorten("a😀😀", 4) == "a😀…"
    assert shorten("kata kata kata", 11) == "kata kata…"
    assert shorten("kata", 4) == "kata"


def test_a_long_source_line_is_shortened() -> None:
    answer = Answer("q", (hit(outlet="Warta " * 1000, reporter="Budi " * 1000),))
    [message] = render_answer_html(answer, ENGLISH_TEXTS)
    assert_telegram_accepts(message)
    assert "\nWarta Warta" in message


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "/berita/1",
        "//example.com/berita",
        "mailto:redaksi@example.com",
        "https://",
        "http://[::1",
        "https://example.com/a b",
        "https://example.com/a\nb",
    ],
)
def test_an_address_telegram_cannot_link_is_left_out(url: str) -> None:
    [message] = render_answer_html(Answer("q", (hit(url=url),)), INDONESIAN_TEXTS)
    assert_telegram_accepts(message)
    assert "<a " not in message
    assert "Harga cabai naik." in message


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://مثال.example/خبر?a=<1>", "https://مثال.example/خبر?a=<1>"),
        ("HTTP://EXAMPLE.COM/X", "HTTP://EXAMPLE.COM/X"),
        # Telegram reads an address without a scheme as http, and so does the bot.
        ("www.example.com/berita", "http://www.example.com/berita"),
        ("example.com:8080/x", "http://example.com:8080/x"),
    ],
)
def test_an_address_telegram_links_is_linked(url: str, target: str) -> None:
    [message] = render_answer_html(Answer("q", (hit(url=url),)), INDONESIAN_TEXTS)
    assert_telegram_accepts(message)
    assert parse_html(message).entities[-1]["url"] == target


def test_a_long_list_of_searched_terms_is_shortened() -> None:
    terms = tuple(str(number) for number in range(1000, 2000))
    [message] = render_answer_html(Answer("q", (), terms), INDONESIAN_TEXTS)
    assert_telegram_accepts(message)
    assert "Kata yang dicari: 1000, 1001, 1002" in message
    assert message.endswith("…</i>")


def test_plain_text_of_html_keeps_link_addresses_and_fits_a_message() -> None:
    assert html_to_plain('<a href="https://x.id/?a=1&amp;b=2">Baca</a>') == (
        "Baca (https://x.id/?a=1&b=2)"
    )
    assert html_to_plain("<B>1 &lt; 2</B> &amp; <blockquote expandable>3</blockquote>") == (
        "1 < 2 & 3"
    )
    # Broken markup: what is no tag stays, unterminated references are decoded as browsers do.
    assert html_to_plain("a < b, c > d, <b>e &amp f") == "a < b, c > d, e & f"
    cut = html_to_plain("😀" * 3000)
    assert MESSAGE_LIMIT - 2 <= utf16_len(cut) <= MESSAGE_LIMIT
    assert cut.endswith("😀…")


def test_pages_hold_at_most_per_page_quotes_each_under_the_heading() -> None:
    declined = Answer("q", tuple(hit(rank) for rank in range(1, 6)), ("cabai",), declined=True)
    pages = answer_pages(declined, INDONESIAN_TEXTS, 2)
    assert [len(page.hits) for page in pages] == [2, 2, 1]
    assert [page.hits[0].rank for page in pages] == [1, 3, 5]
    for page in pages:
        assert page.text.startswith(INDONESIAN_TEXTS.not_found)
        assert_telegram_accepts(page.text)


def test_quotes_too_long_to_share_a_page_get_one_each() -> None:
    long_text = "Kalimat panjang tentang harga cabai. " * 70
    answer = Answer("q", (hit(1, long_text), hit(2, long_text)))
    pages = answer_pages(answer, INDONESIAN_TEXTS, 3)
    assert [[shown.rank for shown in page.hits] for page in pages] == [[1], [2]]
    for page in pages:
        assert_telegram_accepts(page.text)


def test_an_answer_without_hits_is_one_page() -> None:
    pages = answer_pages(Answer("q", (), ("cabai",), declined=True), ENGLISH_TEXTS, 3)
    assert len(pages) == 1
    assert pages[0].hits == ()
    assert ENGLISH_TEXTS.not_found in pages[0].text


@pytest.mark.parametrize(
    ("seconds", "indonesian", "english"),
    [
        (0, "0 detik", "0 s"),
        (42, "42 detik", "42 s"),
        (3 * 3600 + 5 * 60 + 7, "3 jam 5 menit", "3 h 5 min"),
        (2 * 86400 + 3600, "2 hari 1 jam", "2 d 1 h"),
    ],
)
def test_durations_show_their_two_largest_units(
    seconds: float, indonesian: str, english: str
) -> None:
    assert format_duration(seconds, INDONESIAN_TEXTS) == indonesian
    assert format_duration(seconds, ENGLISH_TEXTS) == english


def test_stats_name_the_archive_the_questions_and_the_votes() -> None:
    stats = ArchiveStats(
        articles=12,
        passages=40,
        stories=11,
        outlets=(("ANTARA", 10), ("Warta <Contoh>", 2)),
        first_published="2024-01-01",
        last_published="2024-02-01",
        last_indexed="2026-11-29T06:00:00+00:00",
    )
    text = stats_html(stats, Usage(questions=8, answered=6, helpful=3, unhelpful=1), ENGLISH_TEXTS)
    assert_telegram_accepts(text)
    for shown in ("Articles: 12", "Passages: 40", "Outlets: 2", "Not found: 2 (25%)", "👍 3"):
        assert shown in text
    assert "29 November 2026, 13:00 WIB" in text
    assert "Warta &lt;Contoh&gt; (2)" in text


def test_status_names_uptime_index_age_and_each_feed() -> None:
    now = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    status = BotStatus(
        now=now,
        started=now - timedelta(hours=2, minutes=3),
        last_indexed=now - timedelta(minutes=10),
        reindexing=False,
        feeds=(
            FeedStatus("https://a.example/rss", now - timedelta(minutes=1)),
            FeedStatus("https://b.example/rss", now - timedelta(minutes=1), failed=True),
            FeedStatus("https://c.example/rss", None),
        ),
    )
    text = status_html(status, INDONESIAN_TEXTS)
    assert_telegram_accepts(text)
    assert "(2 jam 3 menit)" in text
    assert "(10 menit lalu)" in text
    assert "https://b.example/rss: 29 November 2026, 12.59 WIB, gagal dibaca" in text
    assert "https://c.example/rss: belum pernah dibaca" in text
