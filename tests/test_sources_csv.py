"""Tests of index.sources.table: .csv tables of articles, header names in Indonesian or English."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import pytest

from index.archive import Archive
from index.ingest import index_sources
from index.models import Failure, Notice, RawArticle, ReadItem
from index.sources import read_file
from index.sources.table import map_columns, table_published

BODY_ONE = (
    "Palembang (ANTARA) - Pemerintah kota menambah armada bus air di Sungai Musi, dari enam"
    " menjadi sepuluh kapal.\n\nSetiap kapal, menurut dinas perhubungan, memuat 30 penumpang;"
    ' tarifnya "tetap Rp5.000".'
)
BODY_TWO = "Warga Jambi menanam seribu pohon durian di bantaran Sungai Batanghari pada Minggu."


def table(rows: Sequence[Sequence[str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def read(path: Path) -> list[ReadItem]:
    return list(read_file(path, path.parent))


def articles(results: Sequence[ReadItem]) -> list[RawArticle]:
    return [result for result in results if isinstance(result, RawArticle)]


def failures(results: Sequence[ReadItem]) -> list[Failure]:
    return [result for result in results if isinstance(result, Failure)]


def test_english_header_gives_every_field(tmp_path: Path) -> None:
    path = write(
        tmp_path / "berita.csv",
        table(
            [
                ["id", "title", "url", "published", "source", "author", "body"],
                [
                    "plg-1",
                    "Bus Air Musi Bertambah",
                    "https://warta.example/plg-1",
                    "2024-02-10T08:00:00+07:00",
                    "Warta Sumatra",
                    "Rahmat Hidayat",
                    BODY_ONE,
                ],
            ]
        ),
    )
    assert read(path) == [
        RawArticle(
            article_id="plg-1",
            origin=str(path.resolve()),
            body=BODY_ONE,
            title="Bus Air Musi Bertambah",
            outlet="Warta Sumatra",
            url="https://warta.example/plg-1",
            published="2024-02-10T08:00:00+07:00",
            reporter="Rahmat Hidayat",
        )
    ]


def test_indonesian_header_with_semicolons(tmp_path: Path) -> None:
    path = write(
        tmp_path / "arsip.csv",
        table(
            [
                ["Judul", "Tanggal", "Isi", "Tautan", "Sumber", "Pewarta"],
                ["Bus Air", "10/02/2024", BODY_ONE, "https://warta.example/1", "Warta", "Rahmat"],
                ["Durian", "11-02-2024", BODY_TWO, "", "", ""],
            ],
            delimiter=";",
        ),
    )
    first, second = read(path)
    assert first == RawArticle(
        article_id="https://warta.example/1",
        origin=str(path.resolve()),
        body=BODY_ONE,
        title="Bus Air",
        outlet="Warta",
        url="https://warta.example/1",
        published="2024-02-10",
        reporter="Rahmat",
    )
    assert second == RawArticle(
        article_id="arsip#2",
        origin=str(path.resolve()),
        body=BODY_TWO,
        title="Durian",
        published="2024-02-11",
    )


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    rows = [
        ["judul", "isi", "waktu"],
        ["Bus Air", BODY_ONE, "2024-02-10 08:00"],
        ["Durian", BODY_TWO, "2024-02-11 17:30:15"],
    ]
    results = read(write(tmp_path / "t.csv", table(rows, delimiter)))
    assert [(item.title, item.body, item.published) for item in articles(results)] == [
        ("Bus Air", BODY_ONE, "2024-02-10T08:00:00"),
        ("Durian", BODY_TWO, "2024-02-11T17:30:15"),
    ]
    assert failures(results) == []


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("body", ["body", "text", "content", "isi", "konten", "article", "artikel"]),
        ("id", ["id", "article_id", "guid"]),
        ("title", ["title", "judul", "headline"]),
        ("url", ["url", "link", "tautan"]),
        ("published", ["published", "date", "tanggal", "waktu", "datetime", "published_at"]),
        ("source", ["source", "sumber", "outlet", "media", "publisher"]),
        ("reporter", ["author", "reporter", "pewarta", "penulis"]),
    ],
)
def test_column_synonyms_in_any_case(field: str, names: list[str]) -> None:
    for name in names:
        for spelled in (name, name.upper(), f" {name.title()} "):
            columns = map_columns(["lain", spelled, "body" if field != "body" else "x"])
            assert getattr(columns, field) == 1, spelled


def test_the_first_listed_name_wins_when_two_columns_mean_one_field() -> None:
    columns = map_columns(["isi", "judul", "body", "title"])
    assert (columns.body, columns.title) == (2, 3)


def test_quoted_multiline_bodies_keep_later_line_numbers_right(tmp_path: Path) -> None:
    text = (
        "judul,tanggal,isi\n"
        'Bus Air,2024-02-10,"Baris satu, dengan koma.\n\nBaris dua; ""dikutip"".\nBaris tiga"\n'
        "Rusak,kemarin sore,Isi yang tanggalnya tidak terbaca.\n"
        "Durian,2024-02-11,Isi terakhir.\n"
    )
    path = write(tmp_path / "multi.csv", text)
    results = read(path)
    assert [item.body for item in articles(results)] == [
        'Baris satu, dengan koma.\n\nBaris dua; "dikutip".\nBaris tiga',
        "Isi terakhir.",
    ]
    [failure] = failures(results)
    assert failure.where == f"{path}:6"
    assert "'kemarin sore' is not understood" in failure.reason
    assert "DD/MM/YYYY" in failure.reason
    # Row numbers count data rows, the failed one included, so ids do not shift when it is fixed.
    assert [item.article_id for item in articles(results)] == ["multi#1", "multi#3"]


def test_missing_body_column_is_one_failure_naming_what_is_accepted(tmp_path: Path) -> None:
    path = write(
        tmp_path / "tanpa-isi.csv",
        table([["judul", "tanggal"], ["Bus Air", "2024-02-10"], ["Durian", "2024-02-11"]]),
    )
    assert read(path) == [
        Failure(
            str(path),
            'missing column "body" (also accepted: text, content, isi, konten, article,'
            " artikel); found: judul, tanggal",
        )
    ]


def test_a_data_row_taken_for_a_header_is_shortened_in_the_message(tmp_path: Path) -> None:
    path = write(tmp_path / "tanpa-kepala.csv", table([["Bus Air", BODY_ONE]]))
    [failure] = read(path)
    assert isinstance(failure, Failure)
    assert failure.reason.endswith("found: Bus Air, Palembang (ANTARA) - Pemerintah kota me…")


def test_bad_rows_fail_alone(tmp_path: Path) -> None:
    text = (
        "id;judul;tanggal;isi\n"
        "a;Bus Air;10/02/2024;Isi satu.\n"
        "b;Tanggal salah;31/02/2024;Isi dua.\n"
        "c;Tanpa isi;11/02/2024;   \n"
        "d;Kurang kolom;12/02/2024\n"
        "e;Kebanyakan;12/02/2024;Isi;lebih\n"
        "f;Kolom kosong di ujung;13/02/2024;Isi enam.;\n"
        'g;Kutip liar;13/02/2024;"Isi" tujuh\n'
        "h;Durian;14/02/2024;Isi delapan.\n"
    )
    path = write(tmp_path / "campur.csv", text)
    results = read(path)
    assert [(item.article_id, item.published) for item in articles(results)] == [
        ("a", "2024-02-10"),
        ("f", "2024-02-13"),
        ("h", "2024-02-14"),
    ]
    reasons = {failure.where: failure.reason for failure in failures(results)}
    assert list(reasons) == [f"{path}:{line}" for line in (3, 4, 5, 6, 8)]
    assert "'31/02/2024' is not understood" in reasons[f"{path}:3"]
    assert reasons[f"{path}:4"] == "empty body"
    assert reasons[f"{path}:5"].startswith("row has 3 fields, the header has 4")
    assert reasons[f"{path}:6"].startswith("row has 5 fields, the header has 4")
    assert reasons[f"{path}:8"].startswith("cannot read the row")


def test_unclosed_quote_fails_its_row_and_keeps_those_before(tmp_path: Path) -> None:
    path = write(
        tmp_path / "kutip.csv",
        'judul,isi\nBus Air,"Isi satu"\nDurian,"Isi dua tanpa penutup\nLain,Isi tiga\n',
    )
    results = read(path)
    assert [item.title for item in articles(results)] == ["Bus Air"]
    [failure] = failures(results)
    assert failure.where == f"{path}:3"
    assert "unexpected end of data" in failure.reason


def test_ids_come_from_the_id_column_then_the_url_then_the_row(tmp_path: Path) -> None:
    folder = tmp_path / "2024" / "februari"
    folder.mkdir(parents=True)
    path = write(
        folder / "ekspor.csv",
        table(
            [
                ["ID", "Link", "Konten"],
                ["x-1", "https://warta.example/1", "Isi satu."],
                ["", "https://warta.example/2", "Isi dua."],
                ["", "", ""],
                ["", "", "Isi empat."],
            ]
        ),
    )
    results = list(read_file(path, tmp_path))
    assert failures(results) == []
    assert [item.article_id for item in articles(results)] == [
        "x-1",
        "https://warta.example/2",
        "2024/februari/ekspor#3",
    ]


def test_windows_1252_file_is_read_with_a_notice(tmp_path: Path) -> None:
    text = "judul;isi\nKafé “Kopi Tua”;Pemiliknya berkata: “harga tetap” – sejak 2019.\n"
    path = write(tmp_path / "excel.csv", text, encoding="cp1252")
    notice, article = read(path)
    assert isinstance(notice, Notice)
    assert notice.where == str(path)
    assert "not UTF-8; decoded as Windows-1252" in notice.message
    assert isinstance(article, RawArticle)
    assert (article.title, article.body) == (
        "Kafé “Kopi Tua”",
        "Pemiliknya berkata: “harga tetap” – sejak 2019.",
    )


def test_byte_order_mark_is_not_part_of_the_first_name(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfisi,judul\nIsi satu.,Satu\n")
    [article] = read(path)
    assert isinstance(article, RawArticle)
    assert (article.body, article.title) == ("Isi satu.", "Satu")


def test_a_body_longer_than_the_csv_default_limit(tmp_path: Path) -> None:
    body = "Kalimat panjang tentang anggaran daerah. " * 10_000
    assert len(body) > 131_072
    [article] = read(write(tmp_path / "panjang.csv", table([["isi"], [body]])))
    assert isinstance(article, RawArticle)
    assert article.body == body


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "empty file"), ("\n \n", "empty file"), ("judul,isi\n", "no rows below the header")],
)
def test_a_table_without_rows_is_a_failure(tmp_path: Path, text: str, reason: str) -> None:
    path = write(tmp_path / "kosong.csv", text)
    assert read(path) == [Failure(str(path), reason)]


def test_uppercase_suffix_is_read(tmp_path: Path) -> None:
    [article] = read(write(tmp_path / "DATA.CSV", "isi\nIsi satu.\n"))
    assert isinstance(article, RawArticle)
    assert article.article_id == "DATA#1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("2024-02-10", "2024-02-10"),
        ("10/02/2024", "2024-02-10"),
        ("1/2/2024", "2024-02-01"),
        ("10-02-2024", "2024-02-10"),
        ("10/02/2024 08:15", "2024-02-10T08:15:00"),
        ("2024-02-10 08:15", "2024-02-10T08:15:00"),
        ("2024-02-10 08:15:30", "2024-02-10T08:15:30"),
        ("2024-02-10T08:15:30+07:00", "2024-02-10T08:15:30+07:00"),
    ],
)
def test_table_published(value: str | None, expected: str | None) -> None:
    assert table_published(value) == expected


@pytest.mark.parametrize("value", ["10.02.2024", "02/30/2024", "10/02-2024", "Sabtu", "2024"])
def test_table_published_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="is not understood"):
        table_published(value)


def test_index_and_ask_end_to_end(tmp_path: Path) -> None:
    path = write(
        tmp_path / "arsip.csv",
        table(
            [
                ["judul", "tanggal", "isi", "sumber"],
                ["Bus Air Musi Bertambah", "10/02/2024", BODY_ONE, "Warta Sumatra"],
                ["Seribu Durian", "11/02/2024", BODY_TWO, "Warta Sumatra"],
                ["Rusak", "bukan tanggal", "Isi yang tidak akan diindeks.", ""],
            ],
            delimiter=";",
        ),
    )
    db_path = tmp_path / "arsip.db"
    report = index_sources(db_path, [tmp_path])
    assert report.added == 2
    # BODY_ONE spans lines 2-4, so the broken row is on line 6.
    assert [failure.where for failure in report.failures] == [f"{path}:6"]
    answer = Archive(db_path).ask("Berapa kapal bus air di Sungai Musi?")
    best = answer.hits[0]
    assert (best.article_id, best.title, best.published) == (
        "arsip#1",
        "Bus Air Musi Bertambah",
        "2024-02-10",
    )
    assert (best.city, best.outlet) == ("Palembang", "Warta Sumatra")
