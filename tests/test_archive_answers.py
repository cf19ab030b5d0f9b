"""Answers from a stored archive: times named in the question, widening, undated articles, the
gate, and stories left out for measuring it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from index.archive import Archive
from index.ingest import index_sources

# Saturday 28 November 2026, 10.00 WIB.
NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)

ARTICLES = [
    (
        "pasar-senin",
        "2026-11-23T09:00:00+07:00",
        "Harga cabai di Pasar Johar naik menjadi Rp60.000.",
    ),
    ("pasar-bulan-lalu", "2026-10-05", "Harga cabai di Pasar Johar turun menjadi Rp35.000."),
    ("pasar-lama", "2025-02-10", "Harga cabai di Pasar Johar stabil di Rp40.000."),
    ("pasar-tanpa-tanggal", None, "Harga cabai di Pasar Johar pernah mencapai Rp90.000."),
    ("banjir", "2026-11-27T20:00:00+07:00", "Banjir merendam 300 rumah di Kelurahan Tambaklorok."),
]


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    records = tmp_path / "news.jsonl"
    lines = [
        json.dumps(
            {"id": article_id, "source": "Warta Contoh", "published": published, "body": body}
        )
        for article_id, published, body in ARTICLES
    ]
    records.write_text("\n".join(lines) + "\n", "utf-8")
    db_path = tmp_path / "archive.db"
    index_sources(db_path, [records], workers=1)
    return Archive(db_path, clock=lambda: NOW)


def test_a_time_in_the_question_searches_the_news_published_then(archive: Archive) -> None:
    answer = archive.ask("harga cabai Pasar Johar minggu ini")
    assert [hit.article_id for hit in answer.hits] == ["pasar-senin"]
    assert answer.window is not None
    assert (answer.window.start, answer.window.end) == (date(2026, 11, 23), date(2026, 11, 28))
    assert answer.window.phrase == "minggu ini"
    assert not answer.widened
    # The phrase is not searched for: no passage says "minggu".
    assert answer.terms == ("harga", "cabai", "pasar", "johar")
    assert answer.undated_articles == 1


def test_a_time_that_holds_nothing_is_widened_and_says_so(archive: Archive) -> None:
    answer = archive.ask("harga cabai Pasar Johar kemarin")
    assert answer.asked_window is not None
    assert answer.asked_window.start == date(2026, 11, 27)
    assert answer.window is not None
    assert (answer.window.start, answer.window.end) == (date(2026, 11, 23), date(2026, 11, 28))
    assert [hit.article_id for hit in answer.hits] == ["pasar-senin"]


def test_past_the_widest_window_every_date_is_searched(archive: Archive) -> None:
    answer = archive.ask("Banjir Tambaklorok berita tahun 2020")
    assert answer.asked_window is not None
    assert answer.window is None
    assert answer.undated_articles == 0
    assert [hit.article_id for hit in answer.hits] == ["banjir"]


def test_a_date_about_the_event_stays_a_search_term(archive: Archive) -> None:
    answer = archive.ask("Berapa harga cabai di Pasar Johar pada 2025?")
    assert answer.window is None
    assert "2025" in answer.terms


def test_without_a_time_the_newer_news_comes_first_among_equals(archive: Archive) -> None:
    hits = archive.ask("harga cabai Pasar Johar", k=4).hits
    assert [hit.article_id for hit in hits] == [
        "pasar-senin",
        "pasar-bulan-lalu",
        "pasar-lama",
        "pasar-tanpa-tanggal",
    ]


def test_the_gate_declines_weak_evidence_and_offers_the_nearest_matches(
    archive: Archive,
) -> None:
    answer = archive.ask("Berapa harga bawang merah di Pasar Bulu Semarang tahun depan?")
    assert not answer.answered
    assert answer.declined
    assert answer.hits
    assert all(hit.confidence < 0.5 for hit in answer.hits)
    strong = archive.ask("Berapa harga cabai di Pasar Johar?")
    assert strong.answered
    assert strong.hits[0].confidence >= 0.9


def test_a_story_left_out_is_searched_as_if_never_indexed(archive: Archive) -> None:
    question = "Berapa rumah terendam banjir di Tambaklorok?"
    assert archive.ask(question).hits[0].article_id == "banjir"
    without = archive.ask(question, leave_out=["banjir"])
    assert all(hit.article_id != "banjir" for hit in without.hits)
    assert not without.answered
    # Only that question: the archive itself is unchanged.
    assert archive.ask(question).hits[0].article_id == "banjir"
    # An article the archive lacks leaves nothing out.
    assert archive.ask(question, leave_out=["tidak-ada"]).hits[0].article_id == "banjir"


def test_search_is_plain_bm25_over_every_passage(archive: Archive) -> None:
    hits = archive.search("harga cabai", k=10)
    assert len(hits) == 4
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)


def test_articles_indexed_later_are_found_in_a_window(archive: Archive, tmp_path: Path) -> None:
    assert archive.ask("Banjir Tambaklorok minggu ini").hits[0].article_id == "banjir"
    later = tmp_path / "later.jsonl"
    later.write_text(
        json.dumps(
            {
                "id": "banjir-susulan",
                "source": "Warta Contoh",
                "published": "2026-11-28T08:00:00+07:00",
                "body": "Banjir susulan merendam 120 rumah di Tambaklorok dan Kemijen.",
            }
        )
        + "\n",
        "utf-8",
    )
    index_sources(archive.path, [later], workers=1)
    archive.reload()
    answer = archive.ask("Banjir susulan Tambaklorok hari ini")
    assert answer.window is not None
    assert not answer.widened
    assert [hit.article_id for hit in answer.hits] == ["banjir-susulan"]


def test_the_news_of_a_time_lists_its_newest_stories(archive: Archive) -> None:
    answer = archive.ask("Apa berita minggu ini?")
    assert answer.answered
    assert answer.terms == ()
    assert [hit.article_id for hit in answer.hits] == ["banjir", "pasar-senin"]
    assert answer.window is not None
    assert (answer.window.start, answer.window.end) == (date(2026, 11, 23), date(2026, 11, 28))
    assert answer.undated_articles == 1


def test_the_news_of_a_time_without_any_is_widened_to_the_newest(archive: Archive) -> None:
    answer = archive.ask("berita hari ini", k=1)
    assert answer.asked_window is not None
    assert answer.asked_window.start == date(2026, 11, 28)
    assert [hit.article_id for hit in answer.hits] == ["banjir"]
    older = archive.ask("berita tahun 2020", k=1)
    assert older.window is None
    assert older.asked_window is not None
    assert [hit.article_id for hit in older.hits] == ["banjir"]


def test_a_news_word_is_not_searched_for(archive: Archive) -> None:
    assert archive.ask("berita harga cabai Pasar Johar").terms == (
        "harga",
        "cabai",
        "pasar",
        "johar",
    )


def test_a_question_of_a_time_alone_lists_its_news(archive: Archive) -> None:
    answer = archive.ask("Kemarin?")
    assert answer.answered
    assert [hit.article_id for hit in answer.hits] == ["banjir"]
    assert answer.window is not None
    assert answer.window.phrase == "Kemarin"
