"""Every text variant of the shared corpora, reproduced in short texts of our own words."""

from __future__ import annotations

import pytest

from index.clean import clean_article
from index.models import Article, RawArticle


def clean(body: str, **fields: str) -> Article:
    return clean_article(RawArticle(article_id="t", origin="inline", body=body, **fields))


@pytest.mark.parametrize(
    ("body", "city", "outlet"),
    [
        ("Jakarta, CNN Indonesia -- Harga cabai naik.", "Jakarta", "CNN Indonesia"),
        ("Jakarta, CNN Indonesia - - Harga cabai naik.", "Jakarta", "CNN Indonesia"),
        ("Rimanews - Harga cabai naik.", None, "Rimanews"),
        ("blokTuban.com - Harga cabai naik.", None, "blokTuban.com"),
        ("Bandung, CNN Indonesia - Harga cabai naik.", "Bandung", "CNN Indonesia"),
        ("Merdeka.com - Harga cabai naik.", None, "Merdeka.com"),
        ("Suara.com - Harga cabai naik.", None, "Suara.com"),
        ("JUARA.NET, KUALA LUMPUR - Harga cabai naik.", "Kuala Lumpur", "JUARA.NET"),
        ("MADRID, JUARA.net - Harga cabai naik.", "Madrid", "JUARA.net"),
        ("JAKARTA (Pos Kota) - Harga cabai naik.", "Jakarta", "Pos Kota"),
        ("INGGRIS - Harga cabai naik.", "Inggris", None),
        ("Palembang (ANTARA News) - Harga cabai naik.", "Palembang", "ANTARA News"),
        ("Sukabumi, Jawa Barat (ANTARA News) - Harga cabai naik.", "Sukabumi, Jawa Barat", None),
        ("Jakarta (ANTARA/JACX) – Harga cabai naik.", "Jakarta", "ANTARA/JACX"),
        ("ANTARA - Harga cabai naik.", None, "ANTARA"),
        ("ANTARA -Harga cabai naik.", None, "ANTARA"),
    ],
)
def test_openings_of_every_outlet(body: str, city: str | None, outlet: str | None) -> None:
    article = clean(body)
    assert article.paragraphs == ("Harga cabai naik.",)
    assert article.city == city
    if outlet is not None:
        assert article.outlet == outlet


def test_the_record_names_the_outlet_before_the_text() -> None:
    assert clean("Merdeka.com - Harga naik.", outlet="merdeka").outlet == "merdeka"


def test_a_sentence_with_a_dash_is_not_an_opening() -> None:
    body = "Harga cabai di pasar - kata pedagang - naik lagi."
    assert clean(body).paragraphs == (body,)


@pytest.mark.parametrize(
    "furniture",
    [
        "SCROLL TO CONTINUE WITH CONTENT",
        "ADVERTISEMENT",
        "Saksikan Live DetikPagi :",
        "Saksikan LiveDetikpagi:",
        '"Detik Pagi, Jangan Tidur Lagi!"',
        "(ard)",
        "* * *",
        "–",
        "Baca_Juga",
        "[",
        "Simak juga Video: Menteri bicara soal koperasi",
        "Tonton juga Video: Banjir di Demak",
        "Beyonce tampil di panggung (ANTARA/Beyonce.com)",
        "DailySocial.id adalah portal berita startup dan inovasi teknologi.",
        "Simak selengkapnya di halaman selanjutnya.",
        "Ikuti ulasannya dalam Editorial Review bersama pakar.",
        "Sampaikan komentar Anda melalui kolom live chat yang tersedia.",
        "Sumber: Medium.",
        "PSG RAMPUNGKAN TRANSFER PEMAIN MUDA",
    ],
)
def test_page_furniture_paragraphs_are_dropped(furniture: str) -> None:
    article = clean(f"Paragraf pertama.\n\n{furniture}\n\nParagraf kedua.")
    assert article.paragraphs == ("Paragraf pertama.", "Paragraf kedua.")


def test_lone_cross_link_drops_the_headline_after_it() -> None:
    body = "Isi pertama.\n\nBaca juga:\n\nJudul berita lain yang ditautkan\n\nIsi kedua."
    assert clean(body).paragraphs == ("Isi pertama.", "Isi kedua.")


def test_a_sentence_after_a_lone_cross_link_is_kept() -> None:
    body = "Isi pertama.\n\nBaca juga:\n\nIni kalimat berita yang utuh."
    assert clean(body).paragraphs == ("Isi pertama.", "Ini kalimat berita yang utuh.")


def test_cross_link_glued_after_a_space_is_cut() -> None:
    article = clean("Harga naik tajam. Baca juga: Harga turun lagi\n\nParagraf dua.")
    assert article.paragraphs == ("Harga naik tajam.", "Paragraf dua.")


@pytest.mark.parametrize(
    "credit",
    [
        " (Rina Lestari/Budi Santoso/Agus Wijaya)",
        ".(Rina Lestari/Budi Santoso /Agus Wijaya)",
        " (ard)",
        " (ard/res)",
    ],
)
def test_trailing_credits_and_initials_are_dropped(credit: str) -> None:
    article = clean(f"ANTARA - Pameran dibuka hari ini. Pengunjung ramai{credit}")
    assert article.paragraphs[-1].rstrip(".") == "Pameran dibuka hari ini. Pengunjung ramai"


def test_glued_footer_after_a_quote_and_translator() -> None:
    article = clean(
        'London (ANTARA) - Lagu itu berjudul "Emas".\n\nBaca juga: Lagu baru "Emas"'
        "Penerjemah: Rina LestariEditor: Budi Santoso\n\nCOPYRIGHT © ANTARA 2023"
    )
    assert article.paragraphs == ('Lagu itu berjudul "Emas".',)
    assert (article.translator, article.editor, article.copyright_year) == (
        "Rina Lestari",
        "Budi Santoso",
        2023,
    )


def test_date_estimated_from_the_weekday_and_copyright_year() -> None:
    article = clean(
        "Jakarta (ANTARA) - Pertemuan digelar di Bangkok, Rabu (31/7).\n\n"
        "Pewarta: Rina\nEditor: Budi\nCopyright © ANTARA 2019"
    )
    assert (article.published, article.published_estimated) == ("2019-07-31", True)


def test_record_date_wins_over_an_estimate() -> None:
    article = clean(
        "Jakarta (ANTARA) - Rapat digelar Rabu (31/7).\n\nCOPYRIGHT © ANTARA 2019",
        published="2019-08-01T10:00:00+07:00",
    )
    assert (article.published, article.published_estimated) == ("2019-08-01T10:00:00+07:00", False)


def test_no_estimate_without_a_year_or_with_an_impossible_date() -> None:
    assert clean("Jakarta (ANTARA) - Rapat Rabu (31/7).").published is None
    impossible = clean("Jakarta (ANTARA) - Rapat Rabu (31/2).\n\nCopyright © ANTARA 2019")
    assert impossible.published is None


def test_bracketed_cross_link_leaves_nothing_behind() -> None:
    body = "Isi satu. [Baca Juga: Judul lain]\n\n[Baca Juga: Judul kedua]\n\nIsi dua."
    assert clean(body).paragraphs == ("Isi satu.", "Isi dua.")


def test_byline_on_the_first_line() -> None:
    article = clean("Reporter: Rina Lestari\n\nblokTuban.com - Harga cabai naik.")
    assert (article.reporter, article.outlet) == ("Rina Lestari", "blokTuban.com")
    assert article.paragraphs == ("Harga cabai naik.",)


def test_a_name_with_years_in_brackets_is_not_an_opening() -> None:
    body = "Wakidi (1890 - 1979), satu dari tiga pelukis naturalistik, boleh saja tiada."
    article = clean(body)
    assert article.paragraphs == (body,)
    assert article.city is None
