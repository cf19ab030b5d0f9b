"""Tests of index.sources.html: article pages -> RawArticle through trafilatura, offline."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.archive import Archive
from index.clean import clean_article
from index.ingest import index_sources
from index.models import Failure, Notice, RawArticle
from index.sources import read_file, source_files
from index.sources.html import article_from_html, read_html

FIXTURES = Path(__file__).parent / "fixtures" / "html"
NO_ARTICLE = "no article text found in the page"

# Strings of the page around the story: menus, ads, links, share buttons, comments, footers.
SITE_CHROME = (
    "Beranda",
    "Cari berita",
    "Terpopuler",
    "Persis Menang Tipis",
    "Tag:",
    "Oleh Rina",
    "Foto: Kabar Bengawan",
    "Pedoman Media Siber",
    "hak cipta dilindungi",
    "Tentang Kami",
    "Karier",
)
BOILERPLATE = (
    "Situs ini menggunakan cookie",
    "Saya setuju",
    "ADVERTISEMENT",
    "Iklan",
    "Promo kredit motor",
    "Belanja hemat",
    "Baca juga",
    "Banjir Rob Rendam Kampung Tambaklorok",
    "Warga Pesisir Terpaksa Meninggikan",
    "Berita Terkait",
    "Jalan Pantura Ditinggikan",
    "Bagikan",
    "Facebook",
    "WhatsApp",
    "Salin tautan",
    "Komentar",
    "Pak RT Tambaklorok",
    "kami sudah lelah menguras air",
    "Mangrove-nya jangan cuma ditanam",
    "Kirim komentar",
    "Berlangganan newsletter",
    "kotak masuk",
    "Penulis:",
    "Hak cipta dilindungi",
    "Pasang Iklan",
    "Regional",
)


@dataclass(frozen=True)
class Expected:
    """What a fixture page must give: metadata, the story's ends, and text it must not hold."""

    name: str
    title: str
    published: str | None
    reporter: str | None
    url: str | None
    outlet: str | None
    first: str
    last: str
    paragraphs: int
    absent: tuple[str, ...] = ()
    given_url: str | None = None


EXPECTED = (
    Expected(
        name="jsonld-newsarticle.html",
        title="Pemkot Surakarta Resmikan Pasar Apung di Kali Pepe",
        # JSON-LD datePublished, time and offset kept; dateModified is not the publication.
        published="2024-03-14T09:30:00+07:00",
        reporter="Rina Kusumawati",
        url=None,
        outlet="Kabar Bengawan",
        first="Pemerintah Kota Surakarta meresmikan pasar apung di aliran Kali Pepe",
        last="dapat dicapai dengan berjalan kaki dari Pasar Gede.",
        paragraphs=5,
        absent=SITE_CHROME,
    ),
    Expected(
        name="opengraph-meta.html",
        title="Harga Cabai Rawit di Pasar Bandung Turun Jelang Panen Raya",
        published="2024-05-02T14:05:00+07:00",
        reporter="Asep Hidayat",
        url="https://www.kabarpriangan.example/ekonomi/2024/05/02/harga-cabai-rawit-turun",
        outlet="Kabar Priangan",
        first="Harga cabai rawit merah di sejumlah pasar tradisional Kota Bandung",
        last="terpaksa mengurangi porsi sambal bagi pelanggan.",
        paragraphs=4,
        absent=(
            "Tentang Kami",
            "Karier",
            "Wisata",
            "Harga cabai rawit merah di sejumlah pasar"
            " tradisional Kota Bandung turun menjelang panen raya.",
        ),
    ),
    Expected(
        name="antara-byline.html",
        title="Nelayan Ambon Terima Bantuan Mesin Perahu Hemat Bahan Bakar",
        # No date on the page: the "2024" of its copyright line is not one.
        published=None,
        reporter=None,
        url=None,
        outlet=None,
        first="Ambon (ANTARA) - Dinas Kelautan dan Perikanan Provinsi Maluku",
        # The footer stays in the body for the cleaner: one line of it a paragraph.
        last="COPYRIGHT © ANTARA 2024",
        paragraphs=7,
    ),
    Expected(
        name="boilerplate-heavy.html",
        title="Tanggul Laut Semarang Utara Rampung Akhir Tahun",
        published="2024-06-18T07:15:00+07:00",
        reporter="Bambang Sutejo",
        url=None,
        outlet="Warta Nusantara",
        first="Pembangunan tanggul laut di pesisir Semarang Utara ditargetkan rampung",
        last="bersama kelompok sadar lingkungan pada musim hujan mendatang.",
        paragraphs=4,
        absent=BOILERPLATE,
    ),
    Expected(
        name="canonical-url.html",
        given_url=(
            "https://m.suarapesisir.example/daerah/festival-layang-layang-losari"
            "?utm_source=whatsapp"
        ),
        title="Festival Layang-Layang Pantai Losari Diikuti Peserta dari Lima Negara",
        # A date alone on the page stays a date: no invented midnight.
        published="2024-07-20",
        reporter="Andi Makkasau",
        url="https://www.suarapesisir.example/daerah/2024/07/20/festival-layang-layang-losari",
        # The page names no site; its host name is not taken for one.
        outlet=None,
        first="Festival layang-layang internasional kembali digelar di Pantai Losari",
        last="lomba layang-layang tradisional untuk pelajar sekolah dasar.",
        paragraphs=4,
        absent=("Penulis",),
    ),
)


def fixture_article(expected: Expected) -> RawArticle | None:
    path = FIXTURES / expected.name
    return article_from_html(
        path.read_text(encoding="utf-8"), path.stem, str(path), url=expected.given_url
    )


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda expected: expected.name)
def test_fixture_page_gives_the_story_and_its_metadata(expected: Expected) -> None:
    article = fixture_article(expected)
    assert article is not None
    assert article.article_id == Path(expected.name).stem
    assert article.title == expected.title
    assert article.published == expected.published
    assert article.reporter == expected.reporter
    assert article.url == expected.url
    assert article.outlet == expected.outlet
    paragraphs = article.body.split("\n\n")
    assert paragraphs[0].startswith(expected.first)
    assert paragraphs[-1].endswith(expected.last)
    assert len(paragraphs) == expected.paragraphs
    assert all(paragraph.strip() == paragraph and paragraph for paragraph in paragraphs)
    found = [text for text in expected.absent if text.casefold() in article.body.casefold()]
    assert found == []
    # The headline is the title, not a passage of its own.
    assert expected.title not in article.body


def test_byline_in_the_text_is_left_for_the_cleaner() -> None:
    [expected] = [item for item in EXPECTED if item.name == "antara-byline.html"]
    article = fixture_article(expected)
    assert article is not None
    cleaned = clean_article(article)
    assert (cleaned.city, cleaned.outlet) == ("Ambon", "ANTARA")
    assert (cleaned.reporter, cleaned.editor, cleaned.copyright_year) == (
        "Yusuf Latuconsina",
        "Dewi Anggraini",
        2024,
    )
    assert cleaned.paragraphs[0].startswith("Dinas Kelautan dan Perikanan Provinsi Maluku")
    assert cleaned.paragraphs[-1].endswith("sebelum melaut.")


def test_the_given_url_stands_when_the_page_names_none() -> None:
    path = FIXTURES / "jsonld-newsarticle.html"
    given = "https://www.kabarbengawan.example/kota/pasar-apung"
    article = article_from_html(path.read_text(encoding="utf-8"), "a", "o", url=given)
    assert article is not None
    assert article.url == given


@pytest.mark.parametrize("name", ["section-index.html", "not-found.htm"])
def test_page_without_an_article(name: str) -> None:
    path = FIXTURES / name
    assert article_from_html(path.read_text(encoding="utf-8"), "a", "o") is None
    assert list(read_file(path, FIXTURES)) == [Failure(str(path), NO_ARTICLE)]


@pytest.mark.parametrize("html", ["", "   ", "bukan halaman web", "<html></html>", "<p>x</p>"])
def test_no_html_or_no_text_is_none(html: str) -> None:
    assert article_from_html(html, "a", "o") is None


def page(head: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    return f"<!DOCTYPE html><html><head>{head}</head><body><article>{body}</article></body></html>"


STORY = [
    "Pemerintah daerah membuka jalur sepeda baru sepanjang delapan kilometer di tengah kota.",
    "Jalur itu menghubungkan stasiun, pasar, dan kampus sehingga warga bisa berangkat tanpa"
    " kendaraan bermotor.",
]


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2024-08-01T06:00:00Z", "2024-08-01T06:00:00+00:00"),
        ("2024-08-01T06:00:00.000+09:00", "2024-08-01T06:00:00+09:00"),
        ("2024-08-01", "2024-08-01"),
    ],
)
def test_published_from_a_json_ld_graph(stamp: str, expected: str) -> None:
    json_ld = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "WebSite", "name": "Kabar Contoh"},'
        f'{{"@type": "NewsArticle", "headline": "Jalur Sepeda", "datePublished": "{stamp}"}}'
        "]}</script>"
    )
    article = article_from_html(page(json_ld, STORY), "a", "o")
    assert article is not None
    assert article.published == expected


def test_byline_label_is_not_part_of_the_reporter() -> None:
    head = '<meta name="author" content="Oleh: Siti Rahmawati">'
    article = article_from_html(page(head, STORY), "a", "o")
    assert article is not None
    assert article.reporter == "Siti Rahmawati"


def test_paragraphs_are_separated_by_a_blank_line() -> None:
    article = article_from_html(page("", STORY), "a", "o")
    assert article is not None
    assert article.body == "\n\n".join(STORY)


def test_an_inline_baca_juga_is_passed_to_the_cleaner_which_drops_it() -> None:
    link = '<strong>Baca juga:</strong> <a href="/sepeda-lama">Jalur sepeda lama dibongkar</a>'
    article = article_from_html(page("", [STORY[0], link, STORY[1]]), "a", "o")
    assert article is not None
    assert article.body == "\n\n".join(
        [STORY[0], "Baca juga: Jalur sepeda lama dibongkar", STORY[1]]
    )
    assert clean_article(article).paragraphs == tuple(STORY)


def test_read_html_names_the_file_and_its_id(tmp_path: Path) -> None:
    folder = tmp_path / "2024" / "maret"
    folder.mkdir(parents=True)
    path = folder / "pasar-apung.HTM"
    shutil.copy(FIXTURES / "jsonld-newsarticle.html", path)
    [article] = list(read_file(path, tmp_path))
    assert isinstance(article, RawArticle)
    assert article.article_id == "2024/maret/pasar-apung"
    assert article.origin == str(path.resolve())


def test_read_file_on_the_fixture_folder() -> None:
    items = [item for path, root in source_files(FIXTURES) for item in read_file(path, root)]
    articles = {item.article_id for item in items if isinstance(item, RawArticle)}
    assert articles == {Path(expected.name).stem for expected in EXPECTED}
    failures = {Path(item.where).name: item.reason for item in items if isinstance(item, Failure)}
    assert failures == {"not-found.htm": NO_ARTICLE, "section-index.html": NO_ARTICLE}
    assert not [item for item in items if isinstance(item, Notice)]


def test_latin1_page_is_read_with_a_notice(tmp_path: Path) -> None:
    html = page(
        '<meta charset="iso-8859-1"><meta property="og:title" content="Kafé Baru di Kota Tua">',
        [
            "Sebuah kafé bergaya kolonial dibuka di kawasan Kota Tua dengan menu kopi dari"
            " dua belas daerah penghasil kopi di Indonesia.",
            "Pemiliknya menyebut harga secangkir kopi mulai Rp25.000 dan tempat duduk untuk"
            " empat puluh tamu © 2024.",
        ],
    )
    path = tmp_path / "kafe.html"
    path.write_bytes(html.encode("latin-1"))
    notice, article = list(read_file(path, tmp_path))
    assert isinstance(notice, Notice)
    assert notice.where == str(path)
    assert "not UTF-8" in notice.message
    assert isinstance(article, RawArticle)
    assert article.title == "Kafé Baru di Kota Tua"
    assert "Sebuah kafé bergaya kolonial" in article.body
    assert article.body.endswith("empat puluh tamu © 2024.")


def test_binary_file_is_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "gambar.html"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    [failure] = list(read_html(path, tmp_path, path.read_bytes()))
    assert failure == Failure(str(path), "binary file, not text")


def test_index_and_ask_end_to_end(tmp_path: Path) -> None:
    db_path = tmp_path / "arsip.db"
    report = index_sources(db_path, [FIXTURES])
    assert report.added == len(EXPECTED)
    assert sorted(Path(failure.where).name for failure in report.failures) == [
        "not-found.htm",
        "section-index.html",
    ]
    archive = Archive(db_path)
    answer = archive.ask("Kapan pasar apung Kali Pepe buka?")
    assert answer.hits
    best = answer.hits[0]
    assert best.article_id == "jsonld-newsarticle"
    assert best.title == "Pemkot Surakarta Resmikan Pasar Apung di Kali Pepe"
    assert best.outlet == "Kabar Bengawan"
    assert best.published == "2024-03-14T09:30:00+07:00"
    assert best.reporter == "Rina Kusumawati"
    wire = archive.ask("bantuan mesin perahu nelayan Ambon").hits[0]
    assert (wire.article_id, wire.city, wire.reporter) == (
        "antara-byline",
        "Ambon",
        "Yusuf Latuconsina",
    )
