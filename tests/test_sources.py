"""Tests of index.sources: the .txt and .jsonl(.gz) readers and the folder walk."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from index.models import Failure, Notice, RawArticle, ReadItem
from index.sources import ReadOptions, read_file, source_files
from index.sources.jsonl import iso_published, read_jsonl
from index.sources.txt import article_id_for

BODY = "Jakarta (ANTARA) - Isi berita.\n\nParagraf dua.\n"


def write_lines(path: Path, lines: list[str]) -> Path:
    data = "".join(f"{line}\n" for line in lines).encode("utf-8")
    if path.name.casefold().endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def record(**fields: Any) -> str:
    return json.dumps({"id": "a-1", "body": BODY, **fields}, ensure_ascii=False)


def articles(results: Sequence[ReadItem]) -> list[RawArticle]:
    return [result for result in results if isinstance(result, RawArticle)]


def failures(results: Sequence[ReadItem]) -> list[Failure]:
    return [result for result in results if isinstance(result, Failure)]


# --- .txt -----------------------------------------------------------------------------------


def test_txt_article(tmp_path: Path) -> None:
    path = tmp_path / "000_abc.txt"
    path.write_text(BODY, encoding="utf-8")
    [result] = list(read_file(path, tmp_path))
    assert result == RawArticle(article_id="000_abc", origin=str(path.resolve()), body=BODY)


def test_txt_ids_are_relative_to_the_folder_with_slashes(tmp_path: Path) -> None:
    nested = tmp_path / "2023" / "desember"
    nested.mkdir(parents=True)
    (nested / "berita.satu.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "atas.txt").write_text(BODY, encoding="utf-8")
    ids = []
    for path, root in source_files(tmp_path):
        assert root == tmp_path
        [result] = list(read_file(path, root))
        assert isinstance(result, RawArticle)
        ids.append(result.article_id)
    assert ids == ["2023/desember/berita.satu", "atas"]


def test_txt_file_given_directly_is_named_without_extension(tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    path = nested / "000_a5a30d36f1db9f24.txt"
    path.write_text(BODY, encoding="utf-8")
    [(file, root)] = list(source_files(path))
    assert (file, root) == (path, nested)
    [result] = list(read_file(file, root))
    assert isinstance(result, RawArticle)
    assert result.article_id == "000_a5a30d36f1db9f24"


def test_article_id_for_a_path_outside_the_root(tmp_path: Path) -> None:
    assert article_id_for(Path("/elsewhere/x/berita.txt"), tmp_path) == "berita"


def test_txt_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + BODY.encode("utf-8"))
    [result] = list(read_file(path, tmp_path))
    assert isinstance(result, RawArticle)
    assert result.body == BODY


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\t\r\n", "empty file"),
        (b"Jakarta\x00\x01\x02 biner", "binary file"),
        (bytes(range(1, 32)) * 20 + b"\x81\x8d", "not text in UTF-8, UTF-16"),
    ],
    ids=["empty", "whitespace", "nul", "control bytes"],
)
def test_unreadable_txt_is_a_failure(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "rusak.txt"
    path.write_bytes(content)
    results = list(read_file(path, tmp_path))
    assert len(results) == 1
    [failure] = results
    assert isinstance(failure, Failure)
    assert failure.where == str(path)
    assert reason in failure.reason


@pytest.mark.parametrize(
    ("data", "notice"),
    [
        ("Jakarta (ANTARA) - Kafé di Depok.".encode("latin-1"), "decoded as Windows-1252"),
        ("Jakarta (ANTARA) - “Kafé” dibuka.".encode("cp1252"), "decoded as Windows-1252"),
        ("Jakarta (ANTARA) - Kafé dibuka.".encode("utf-16"), "decoded as UTF-16"),
        ("Jakarta (ANTARA) - Kafé dibuka.".encode("utf-16-be").join([b"\xfe\xff", b""]), "UTF-16"),
    ],
    ids=["latin-1", "cp1252", "utf-16", "utf-16-be"],
)
def test_other_encodings_are_decoded_with_a_notice(
    tmp_path: Path, data: bytes, notice: str
) -> None:
    path = tmp_path / "lain.txt"
    path.write_bytes(data)
    found, article = list(read_file(path, tmp_path))
    assert isinstance(found, Notice)
    assert notice in found.message
    assert found.where == str(path)
    assert isinstance(article, RawArticle)
    assert "Kafé" in article.body


def test_missing_txt_is_a_failure(tmp_path: Path) -> None:
    [failure] = list(read_file(tmp_path / "tidak-ada.txt", tmp_path))
    assert isinstance(failure, Failure)
    assert "cannot read" in failure.reason


@pytest.mark.parametrize("name", ["besar.txt", "besar.jsonl"])
def test_file_over_the_size_limit_is_a_failure(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"x" * 3000)
    [failure] = list(read_file(path, tmp_path, ReadOptions(max_file_bytes=2048)))
    assert isinstance(failure, Failure)
    assert "over the limit of 0.00195312 MB (NEWSBOT_MAX_FILE_MB)" in failure.reason


def test_unsupported_file_is_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text("# readme", encoding="utf-8")
    [failure] = list(read_file(path, tmp_path))
    assert isinstance(failure, Failure)
    assert "unsupported" in failure.reason


# --- .jsonl and .jsonl.gz -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["data.jsonl", "data.jsonl.gz", "DATA.JSONL.GZ"])
def test_jsonl_records(tmp_path: Path, name: str) -> None:
    path = write_lines(
        tmp_path / name,
        [
            record(
                id="antara-1",
                source="ANTARA",
                url="https://example.org/1",
                title="  PGE sebut panas bumi potensial ",
                published="2023-12-05T08:09:00+07:00",
            ),
            "",
            record(id=42, source=None, url=None, title=None, published="2023-12-05"),
            record(id="  antara-3  ", title="   ", published=None),
        ],
    )
    results = list(read_file(path, tmp_path))
    assert failures(results) == []
    first, second, third = articles(results)
    assert first == RawArticle(
        article_id="antara-1",
        origin=str(path.resolve()),
        body=BODY,
        title="PGE sebut panas bumi potensial",
        outlet="ANTARA",
        url="https://example.org/1",
        published="2023-12-05T08:09:00+07:00",
    )
    assert (second.article_id, second.outlet, second.url, second.title) == ("42", None, None, None)
    assert second.published == "2023-12-05"
    assert (third.article_id, third.title, third.published) == ("antara-3", None, None)


@pytest.mark.parametrize("name", ["data.jsonl", "data.jsonl.gz"])
def test_bad_jsonl_lines_are_failures_naming_the_line(tmp_path: Path, name: str) -> None:
    path = write_lines(
        tmp_path / name,
        [
            record(id="ok-1"),
            '{"id": "rusak", "body": ',
            json.dumps({"body": BODY}),
            record(id="kosong", body="   \n "),
            record(id="tanggal", published="05/12/2023"),
            "[1, 2, 3]",
            record(id=True),
            record(id="judul", title=7),
            record(id="ok-2"),
        ],
    )
    results = list(read_file(path, tmp_path))
    assert [article.article_id for article in articles(results)] == ["ok-1", "ok-2"]
    reasons = {failure.where: failure.reason for failure in failures(results)}
    assert list(reasons) == [f"{path}:{line}" for line in range(2, 9)]
    assert "invalid JSON" in reasons[f"{path}:2"]
    assert '"id"' in reasons[f"{path}:3"]
    assert '"body"' in reasons[f"{path}:4"]
    assert "ISO 8601" in reasons[f"{path}:5"]
    assert "05/12/2023" in reasons[f"{path}:5"]
    assert "object" in reasons[f"{path}:6"]
    assert '"id"' in reasons[f"{path}:7"]
    assert '"title"' in reasons[f"{path}:8"]
    # Results come in file order.
    assert isinstance(results[0], RawArticle)
    assert isinstance(results[-1], RawArticle)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-12-05", "2023-12-05"),
        ("2023-12-05T08:09:00+07:00", "2023-12-05T08:09:00+07:00"),
        ("2023-12-05T08:09:00Z", "2023-12-05T08:09:00+00:00"),
        ("2023-12-05 08:09", "2023-12-05T08:09:00"),
        (None, None),
    ],
)
def test_iso_published(value: str | None, expected: str | None) -> None:
    assert iso_published(value) == expected


@pytest.mark.parametrize("value", ["05/12/2023", "2023-12-5", "kemarin", "2023-13-01", ""])
def test_iso_published_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        iso_published(value)


def test_truncated_gz_yields_the_lines_before_and_one_failure(tmp_path: Path) -> None:
    rng = random.Random(7)
    ids = [f"antara-{n}" for n in range(60)]
    # Bodies of random characters barely compress, so half the bytes hold many whole lines.
    lines = [
        record(id=article_id, body="".join(rng.choices("abcdefghij 0123456789", k=1500)))
        for article_id in ids
    ]
    data = gzip.compress("".join(f"{line}\n" for line in lines).encode("utf-8"))
    path = tmp_path / "potong.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    results = list(read_jsonl(path))
    *read, last = results
    assert all(isinstance(result, RawArticle) for result in read)
    read_ids = [article.article_id for article in articles(read)]
    assert 10 < len(read_ids) < len(ids)
    assert read_ids == ids[: len(read_ids)]
    assert isinstance(last, Failure)
    assert last.where == f"{path}:{len(read_ids) + 1}"
    assert "cannot read further" in last.reason


def test_gz_cut_inside_its_header_is_one_failure(tmp_path: Path) -> None:
    data = gzip.compress(f"{record()}\n".encode())
    path = tmp_path / "kepala.jsonl.gz"
    path.write_bytes(data[:5])
    results = list(read_jsonl(path))
    assert len(results) == 1
    assert isinstance(results[0], Failure)
    assert results[0].where == f"{path}:1"


def test_not_gzip_data_is_one_failure(tmp_path: Path) -> None:
    path = tmp_path / "palsu.jsonl.gz"
    path.write_bytes(f"{record()}\n".encode())
    [failure] = list(read_jsonl(path))
    assert isinstance(failure, Failure)
    assert failure.where == f"{path}:1"


def test_missing_jsonl_is_one_failure(tmp_path: Path) -> None:
    [failure] = list(read_jsonl(tmp_path / "tidak-ada.jsonl"))
    assert isinstance(failure, Failure)
    assert failure.where == f"{tmp_path / 'tidak-ada.jsonl'}:1"


def test_jsonl_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + f"{record(id='bom')}\n".encode())
    assert [result.article_id for result in articles(list(read_jsonl(path)))] == ["bom"]


def test_bad_utf8_line_loses_only_itself(tmp_path: Path) -> None:
    path = tmp_path / "latin.jsonl"
    path.write_bytes(
        f"{record(id='a')}\n{record(id='b')}\n".encode()
        + '{"id": "c", "body": "Kafé"}\n'.encode("latin-1")
        + f"{record(id='d')}\n".encode()
    )
    results = list(read_jsonl(path))
    assert [article.article_id for article in articles(results)][:2] == ["a", "b"]
    assert [failure.where for failure in failures(results)] == [f"{path}:3"]


# --- folders --------------------------------------------------------------------------------


def test_source_files_in_a_folder(tmp_path: Path) -> None:
    (tmp_path / "b" / "c").mkdir(parents=True)
    (tmp_path / "b" / "c" / "dalam.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "a.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "README.md").write_text("# bukan artikel", encoding="utf-8")
    (tmp_path / "catatan.json").write_text("{}", encoding="utf-8")
    write_lines(tmp_path / "b" / "data.jsonl", [record(id="j-1")])
    write_lines(tmp_path / "b" / "data.jsonl.gz", [record(id="g-1")])
    found = list(source_files(tmp_path))
    assert [path.relative_to(tmp_path).as_posix() for path, _ in found] == [
        "a.txt",
        "b/c/dalam.txt",
        "b/data.jsonl",
        "b/data.jsonl.gz",
    ]
    assert {root for _, root in found} == {tmp_path}
    ids = [
        result.article_id
        for path, root in found
        for result in read_file(path, root)
        if isinstance(result, RawArticle)
    ]
    assert ids == ["a", "b/c/dalam", "j-1", "g-1"]


def test_empty_folder_has_no_files(tmp_path: Path) -> None:
    assert list(source_files(tmp_path)) == []
