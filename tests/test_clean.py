"""Tests of index.clean: datelines, cross-links and footers on the seed, the corpus and inline
variants of the ANTARA wire format."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.clean import (
    clean_article,
    drop_cross_links,
    fold_spaces,
    paragraphs_of,
    split_dateline,
)
from index.models import Article, RawArticle
from index.sources import read_file

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seeds" / "000_a5a30d36f1db9f24.txt"
CORPUS_TXT = SHARED / "corpus" / "antara-ppw-txt"

FOOTER_MARKERS = ("Baca juga:", "Pewarta:", "Editor:", "Penerjemah:")


def clean(body: str, **fields: str) -> Article:
    return clean_article(RawArticle(article_id="test", origin="inline", body=body, **fields))


def read_article(path: Path) -> Article:
    [record] = list(read_file(path, path.parent))
    assert isinstance(record, RawArticle), record
    return clean_article(record)


def assert_no_footer_text(article: Article) -> None:
    for paragraph in article.paragraphs:
        for marker in FOOTER_MARKERS:
            assert marker not in paragraph, paragraph


# --- the seed -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> Article:
    if not SEED.is_file():
        pytest.skip(f"the seed article {SEED} is absent (../shared is not checked out)")
    return read_article(SEED)


def test_seed_metadata(seed: Article) -> None:
    assert seed.article_id == "000_a5a30d36f1db9f24"
    assert seed.city == "Jakarta"
    assert seed.outlet == "ANTARA"
    assert seed.reporter == "Yashinta Difa Pramudyani"
    assert seed.editor == "Azizah Fitriyanti"
    assert seed.translator is None
    assert seed.copyright_year == 2019
    assert seed.language == "id"
    assert seed.title is None


def test_seed_paragraphs(seed: Article) -> None:
    assert len(seed.paragraphs) == 10
    assert seed.paragraphs[0].startswith("Kemitraan strategis antara ASEAN dan Rusia")
    assert "(ANTARA)" not in seed.paragraphs[0]
    assert seed.paragraphs[-1].startswith("Wawasan yang telah diadopsi")
    assert_no_footer_text(seed)
    assert not any("Copyright" in paragraph for paragraph in seed.paragraphs)
    assert all(paragraph == paragraph.strip() for paragraph in seed.paragraphs)


# --- the 50 corpus files --------------------------------------------------------------------


def corpus_files() -> list[object]:
    if not CORPUS_TXT.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{CORPUS_TXT} is absent"))]
    return [pytest.param(path, id=path.name) for path in sorted(CORPUS_TXT.glob("*.txt"))]


def test_corpus_has_fifty_files() -> None:
    if not CORPUS_TXT.is_dir():
        pytest.skip(f"{CORPUS_TXT} is absent")
    assert len(list(CORPUS_TXT.glob("*.txt"))) == 50


@pytest.mark.parametrize("path", corpus_files())
def test_corpus_file_is_cleaned(path: Path) -> None:
    article = read_article(path)
    assert article.city
    assert article.reporter
    assert article.outlet == "ANTARA"
    assert article.paragraphs
    assert_no_footer_text(article)
    assert not any("COPYRIGHT" in paragraph for paragraph in article.paragraphs)
    assert not any("(ANTARA)" in paragraph for paragraph in article.paragraphs)


# --- inline variants of the format ----------------------------------------------------------


def test_glued_teaser_before_the_dateline_is_dropped() -> None:
    article = clean(
        "Ini dikarenakan panas bumi merupakan energi yang dapat dikontrolJakarta (ANTARA) - "
        "Direktur Utama PT Pertamina Geothermal Energy Tbk (PGE) Julfi Hadi menyebut panas "
        "bumi energi terbarukan paling potensial.\n\nParagraf kedua berita ini."
    )
    assert article.city == "Jakarta"
    assert article.outlet == "ANTARA"
    assert article.paragraphs == (
        "Direktur Utama PT Pertamina Geothermal Energy Tbk (PGE) Julfi Hadi menyebut panas "
        "bumi energi terbarukan paling potensial.",
        "Paragraf kedua berita ini.",
    )


def test_teaser_ending_in_a_name_is_dropped() -> None:
    article = clean(
        "Hal itu disampaikan Presiden Joko WidodoJakarta (ANTARA) - Presiden meninjau pasar."
    )
    assert article.city == "Jakarta"
    assert article.paragraphs == ("Presiden meninjau pasar.",)


@pytest.mark.parametrize(
    ("teaser", "city"),
    [
        ("Betul (diperiksa) besok (Rabu), pukul 14.00 WIB", "Jakarta"),
        ("SDM Pertamina yang memang unggul di kawasan ASEAN", "Jakarta"),
        ("Maka akan tersambung dan tiba di stasiun, langsung bisa naik KRL", "Kabupaten Bogor"),
        ("Panel surya itu menjadi sumber energi bersih dan juga atap yang ", "Jakarta"),
    ],
    ids=["WIB", "ASEAN", "KRL", "space"],
)
def test_teaser_ending_in_an_acronym_or_a_space_is_dropped(teaser: str, city: str) -> None:
    article = clean(f"{teaser}{city} (ANTARA) - Penyidik memeriksa saksi.")
    assert article.city == city
    assert article.paragraphs == ("Penyidik memeriksa saksi.",)


def test_cross_link_in_its_own_paragraph_is_dropped() -> None:
    article = clean(
        "Jakarta (ANTARA) - Paragraf pertama.\n\nBaca juga: Judul berita lain\n\nParagraf kedua."
    )
    assert article.paragraphs == ("Paragraf pertama.", "Paragraf kedua.")


def test_cross_link_glued_to_the_end_of_a_paragraph_is_dropped() -> None:
    article = clean(
        "Jakarta (ANTARA) - Paragraf pertama.\n\n"
        "Harga cabai naik 20 persen pekan ini. Baca juga: Harga bawang turun di Pasar Induk\n\n"
        "Paragraf ketiga."
    )
    assert article.paragraphs == (
        "Paragraf pertama.",
        "Harga cabai naik 20 persen pekan ini.",
        "Paragraf ketiga.",
    )


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("Satu. Baca juga: Dua", "Satu."),
        ("Baca juga: Dua", ""),
        ("Satu. baca juga : Dua", "Satu."),
        ("Tanpa tautan.", "Tanpa tautan."),
    ],
)
def test_drop_cross_links(paragraph: str, expected: str) -> None:
    assert drop_cross_links(paragraph).strip() == expected


def test_glued_reporter_and_editor_footer() -> None:
    article = clean(
        "Jakarta (ANTARA) - Isi berita pertama.\n\n"
        "Baca juga: Polri tetapkan tersangka baru kasus KUHP"
        "Pewarta: Melalusa SusthiraEditor: Ahmad Wijaya\n\n"
        "COPYRIGHT © ANTARA 2023\n"
    )
    assert article.reporter == "Melalusa Susthira"
    assert article.editor == "Ahmad Wijaya"
    assert article.copyright_year == 2023
    assert article.paragraphs == ("Isi berita pertama.",)


def test_footer_glued_to_the_last_paragraph() -> None:
    article = clean(
        "Jakarta (ANTARA) - Isi berita pertama yang selesai di sini."
        "Pewarta: Benardy FerdiansyahEditor: Ahmad Wijaya\n\nCOPYRIGHT © ANTARA 2023"
    )
    assert article.reporter == "Benardy Ferdiansyah"
    assert article.editor == "Ahmad Wijaya"
    assert article.paragraphs == ("Isi berita pertama yang selesai di sini.",)


@pytest.mark.parametrize(
    ("copyright_line", "year"),
    [
        ("COPYRIGHT © ANTARA 2023", 2023),
        ("Copyright © ANTARA 2019", 2019),
        ("copyright (c) ANTARA 2021", 2021),
    ],
)
def test_copyright_line(copyright_line: str, year: int) -> None:
    article = clean(f"Isi berita tanpa dateline.\n\nPewarta: Budi\n\n{copyright_line}")
    assert article.copyright_year == year
    assert article.outlet == "ANTARA"  # from the copyright holder, as no dateline names it
    assert article.paragraphs == ("Isi berita tanpa dateline.",)


def test_translator_footer() -> None:
    article = clean(
        "Beijing (ANTARA) - Isi berita dari Xinhua.\n\n"
        "Penerjemah: Xinhua\nEditor: Santoso\nCOPYRIGHT © ANTARA 2023"
    )
    assert article.translator == "Xinhua"
    assert article.reporter is None
    assert article.editor == "Santoso"
    assert article.city == "Beijing"
    assert article.paragraphs == ("Isi berita dari Xinhua.",)


def test_multi_word_city_and_antara_news_agency() -> None:
    article = clean(
        "Sukabumi, Jawa Barat (ANTARA News) - Pusat Pelayanan Terpadu menelusuri anak korban."
        '\n\n"Kami menerima informasi," kata dia.'
    )
    assert article.city == "Sukabumi, Jawa Barat"
    assert article.outlet == "ANTARA News"
    assert article.paragraphs == (
        "Pusat Pelayanan Terpadu menelusuri anak korban.",
        '"Kami menerima informasi," kata dia.',
    )


@pytest.mark.parametrize("opening", ["ANTARA - ", "ANTARA -", "ANTARA – "])
def test_video_item_without_a_city(opening: str) -> None:
    article = clean(f"{opening}Yesung merilis album baru.\n\n(Video: Budi Santoso)")
    assert article.city is None
    assert article.outlet == "ANTARA"
    assert article.paragraphs == ("Yesung merilis album baru.", "(Video: Budi Santoso)")


def test_no_dateline_at_all() -> None:
    body = (
        "Presiden Prabowo Subianto menegaskan inflasi yang rendah dijaga oleh pemerintah.\n\n"
        "Menurut dia, harga pangan di pasar stabil."
    )
    article = clean(body)
    assert article.city is None
    assert article.outlet is None
    assert article.reporter is None
    assert article.copyright_year is None
    assert article.paragraphs == (
        "Presiden Prabowo Subianto menegaskan inflasi yang rendah dijaga oleh pemerintah.",
        "Menurut dia, harga pangan di pasar stabil.",
    )


def test_word_copyright_in_a_body_sentence_does_not_cut_the_body() -> None:
    article = clean(
        "Jakarta (ANTARA) - Musisi itu menjelaskan.\n\n"
        "Perusahaan rekaman itu memegang copyright atas lagu tersebut dan akan menuntut "
        "setiap pelanggar hak cipta, kata dia.\n\nParagraf penutup berita.\n\n"
        "Pewarta: BudiEditor: Ani\n\nCOPYRIGHT © ANTARA 2023"
    )
    assert article.paragraphs == (
        "Musisi itu menjelaskan.",
        "Perusahaan rekaman itu memegang copyright atas lagu tersebut dan akan menuntut "
        "setiap pelanggar hak cipta, kata dia.",
        "Paragraf penutup berita.",
    )
    assert article.copyright_year == 2023
    assert article.reporter == "Budi"
    assert article.editor == "Ani"


def test_labels_far_from_the_end_belong_to_the_body() -> None:
    long_paragraph = "Kalimat panjang berita ini terus berlanjut. " * 12
    article = clean(
        f"Jakarta (ANTARA) - Wawancara dengan Editor: Budi soal buku.\n\n{long_paragraph}"
    )
    assert article.reporter is None
    assert article.editor is None
    assert article.paragraphs[0] == "Wawancara dengan Editor: Budi soal buku."


def test_dateline_deep_in_the_first_paragraph_is_body_text() -> None:
    lead = "Kalimat pembuka yang sangat panjang tanpa dateline sama sekali. " * 8
    article = clean(f"{lead}Jakarta (ANTARA) - lanjutan.")
    assert article.city is None
    assert article.paragraphs == (f"{lead}Jakarta (ANTARA) - lanjutan.",)


def test_record_fields_win_over_the_text() -> None:
    article = clean(
        "Jakarta (ANTARA) - Isi.\n\nCOPYRIGHT © ANTARA 2023",
        title="  Judul \n berita  ",
        outlet="antaranews",
        url="https://example.org/berita/1",
        published="2023-12-05",
    )
    assert article.outlet == "antaranews"
    assert article.title == "Judul berita"
    assert article.url == "https://example.org/berita/1"
    assert article.published == "2023-12-05"
    assert article.city == "Jakarta"


def test_windows_line_endings() -> None:
    article = clean("Jakarta (ANTARA) - Satu.\r\n\r\nDua.\r\n\r\nPewarta: Budi\r\nEditor: Ani\r\n")
    assert article.paragraphs == ("Satu.", "Dua.")
    assert article.reporter == "Budi"
    assert article.editor == "Ani"


def test_paragraphs_of_folds_whitespace() -> None:
    assert paragraphs_of("  satu\n dua  \n\n\n\t\ntiga   empat \n\n  ") == [
        "satu dua",
        "tiga empat",
    ]


def test_english_article_language() -> None:
    article = clean(
        "Beijing (ANTARA) - The trade between China and Indonesia grew in 2023, and the "
        "ministers said that the talks were productive for both of the countries."
    )
    assert article.language == "en"


def test_split_dateline_keeps_text_without_a_dateline() -> None:
    dateline = split_dateline("Tidak ada dateline di sini.")
    assert (dateline.city, dateline.agency, dateline.rest) == (
        None,
        None,
        "Tidak ada dateline di sini.",
    )


def test_body_opening_with_a_hyphenated_acronym_is_kept() -> None:
    # Read as a bare agency before: outlet "TNI", first paragraph "Polri gelar ...".
    article = clean("TNI-Polri gelar apel pengamanan Natal di Monas.\n\nParagraf dua.")
    assert article.outlet is None
    assert article.paragraphs[0] == "TNI-Polri gelar apel pengamanan Natal di Monas."


@pytest.mark.parametrize(
    "lead",
    [
        # detik-0927 lost its lead up to "(FISIP)-" and got the city "Ilmu Politik" before.
        "Mahasiswa yang melontarkan komentar tanpa empati terhadap mahasiswa yang jatuh dari "
        "gedung Fakultas Ilmu Sosial dan Ilmu Politik (FISIP)-terancam dikeluarkan dari kampus.",
        "Menurut data Badan Pusat Statistik (BPS) - yang dirilis Senin - inflasi turun.",
    ],
    ids=["FISIP", "BPS"],
)
def test_parenthesised_acronym_followed_by_a_dash_is_not_a_dateline(lead: str) -> None:
    article = clean(f"{lead}\n\nParagraf dua.")
    assert article.city is None
    assert article.outlet is None
    assert article.paragraphs == (lead, "Paragraf dua.")


def test_capitalised_city_dateline_is_not_an_outlet() -> None:
    # "JAKARTA – ", "SPANYOL - " (about 50 IndoSum articles) were read as an agency before.
    article = clean("JAKARTA – Penyidik Polda Metro Jaya masih memproses dua kasus.")
    assert article.outlet is None


@given(st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x85\xa0\u2000\u2028\u3000ab.", max_size=30))
def test_fold_spaces_is_the_regular_expression_it_replaces(text: str) -> None:
    assert fold_spaces(text) == re.sub(r"\s+", " ", text).strip()
