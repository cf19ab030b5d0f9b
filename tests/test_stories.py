"""Stories: copies of one article from different sources are grouped, others are not."""

from __future__ import annotations

import gzip
import json
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest

from index.analysis import content_tokens
from index.ingest import index_sources
from index.stories import (
    BINS,
    Signature,
    band_keys,
    comparable_tokens,
    decode,
    encode,
    part_number,
    shingles,
    signature,
    similarity,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"

STORY = (
    "Pemerintah Kota Semarang mulai mengoperasikan tiga puluh bus listrik pada rute baru yang"
    " menghubungkan Stasiun Tawang dengan bandara. Tarif ditetapkan empat ribu rupiah sekali"
    " jalan, sementara pelajar dan lansia membayar seribu rupiah. Setiap bus mampu menempuh dua"
    " ratus lima puluh kilometer sekali pengisian daya di depo Tugu pada malam hari."
)
REWRITE = STORY.replace("tiga puluh", "30").replace("Pemerintah Kota", "Pemkot")
OTHER = (
    "Petani bawang merah di Brebes mencatat hasil panen empat belas ton per hektare setelah"
    " beralih ke irigasi tetes. Biaya pemasangan sekitar delapan belas juta rupiah per hektare"
    " dan kelompok tani berencana memperluas lahan pada musim tanam berikutnya."
)


def sig(text: str) -> Signature:
    return signature(content_tokens(text))


def test_signature_is_deterministic_and_sized() -> None:
    assert sig(STORY) == sig(STORY)
    assert len(sig(STORY)) == BINS
    assert len(band_keys(sig(STORY))) == 16
    assert sig("") == ()
    assert band_keys(()) == []
    assert decode(encode(sig(STORY))) == sig(STORY)


def test_shingles_of_short_text() -> None:
    assert shingles(["dua", "kata"]) == {"dua kata"}
    assert shingles([]) == set()
    assert shingles(list("abcdef")) == {"a b c d e", "b c d e f"}


def test_similarity_tells_copies_from_other_stories() -> None:
    assert similarity(sig(STORY), sig(STORY)) == 1.0
    assert similarity(sig(STORY), sig(REWRITE)) >= 0.5
    assert similarity(sig(STORY), sig(OTHER)) < 0.2
    assert similarity((), sig(OTHER)) == 0.0


@pytest.mark.parametrize(
    "figure", ["Rp 3,717 miliar", "Rp 3, 717 miliar", "Rp 3 717 miliar", "Rp 3.717 miliar"]
)
def test_a_figure_written_with_stray_spaces_is_one_token(figure: str) -> None:
    assert comparable_tokens(content_tokens(figure)) == ["rp", "3717", "miliar"]
    copy = STORY.replace("empat ribu rupiah", figure)
    assert sig(copy) == sig(STORY.replace("empat ribu rupiah", "Rp 3,717 miliar"))


def test_numbers_apart_stay_apart() -> None:
    assert comparable_tokens(["tanggal", "1", "februari", "2006", "pukul", "20-28"]) == [
        "tanggal",
        "1",
        "februari",
        "2006",
        "pukul",
        "2028",
    ]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Teguh Karya (1934-2001) berkarya", "Teguh Karya (1934 - 2001) berkarya"),
        ("tiket pesawat Jakarta-Tokyo hilang", "tiket pesawat Jakarta - Tokyo hilang"),
        ("wisata pantai-pantai Bali", "wisata pantai Bali"),
    ],
)
def test_copies_spelt_differently_compare_alike(one: str, other: str) -> None:
    assert comparable_tokens(content_tokens(one)) == comparable_tokens(content_tokens(other))


def write(folder: Path, name: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(f"Semarang (Warta Contoh) - {body}\n", "utf-8")


def story_ids(db_path: Path) -> dict[str, str]:
    with sqlite3.connect(db_path) as connection:
        return dict(connection.execute("SELECT id, story_id FROM articles"))


def test_copies_share_a_story_and_updates_leave_it(tmp_path: Path) -> None:
    first, second = tmp_path / "outlet-a", tmp_path / "outlet-b"
    write(first, "bus.txt", STORY)
    write(second, "bus-copy.txt", STORY)
    write(second, "bawang.txt", OTHER)
    db_path = tmp_path / "a.db"
    index_sources(db_path, [first, second])
    stories = story_ids(db_path)
    assert stories["bus-copy"] == stories["bus"] == "bus"
    assert stories["bawang"] == "bawang"
    write(second, "bus-copy.txt", OTHER)
    index_sources(db_path, [second])
    assert story_ids(db_path)["bus-copy"] == "bawang"


def test_pruned_article_leaves_no_story_rows(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    write(folder, "bus.txt", STORY)
    db_path = tmp_path / "a.db"
    index_sources(db_path, [folder])
    (folder / "bus.txt").unlink()
    index_sources(db_path, [folder], prune=True)
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT count(*) FROM story_bands").fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM signatures").fetchone() == (0,)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_shared_corpus_copies_share_stories(tmp_path: Path) -> None:
    db_path = tmp_path / "shared.db"
    sources = [CORPUS / "antara-ppw-txt", CORPUS / "antara-ppw" / "antara-ppw.jsonl.gz"]
    sources += [CORPUS / "detik-1000" / "detik-1000.jsonl.gz"]
    index_sources(db_path, sources)
    stories = story_ids(db_path)
    for path in (CORPUS / "antara-ppw-txt").glob("*.txt"):
        assert stories[path.stem] == stories[f"antara-{path.stem.split('_', 1)[1]}"], path.name
    by_body: dict[str, list[str]] = defaultdict(list)
    for name in ("antara-ppw/antara-ppw.jsonl.gz", "detik-1000/detik-1000.jsonl.gz"):
        with gzip.open(CORPUS / name, "rt", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                by_body[record["body"].strip()].append(record["id"])
    duplicates = [ids for ids in by_body.values() if len(ids) > 1]
    for ids in duplicates:
        assert len({stories[article_id] for article_id in ids}) == 1, ids


@pytest.mark.parametrize(
    ("title", "part"),
    [
        ("MPF, melahirkan unicorn dari Indonesia (2)", "2"),
        ("Bahasa Jawa jadi tantangan bagi pemain Srimulat (Bag 2)", "2"),
        ("Podcast kota, Part 3: jalan kaki", "3"),
        ("Eps. 4 - Pasar terapung", "4"),
        ("Harga cabai naik 10 persen", None),
        (None, None),
    ],
)
def test_part_number(title: str | None, part: str | None) -> None:
    assert part_number(title) == part


def test_episodes_of_a_series_are_not_one_story(tmp_path: Path) -> None:
    records = tmp_path / "series.jsonl"
    lines = [
        {"id": f"ep-{n}", "title": f"Podcast kota pesisir (Bag {n})", "body": f"{STORY} {n}."}
        for n in (1, 2)
    ]
    lines.append({"id": "copy-1", "title": "Podcast kota pesisir (Bag 1)", "body": STORY})
    lines.append({"id": "same-text", "title": "Podcast kota pesisir (Bag 3)", "body": STORY})
    records.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    db_path = tmp_path / "a.db"
    index_sources(db_path, [records])
    stories = story_ids(db_path)
    assert stories["ep-1"] == stories["copy-1"] == "ep-1"
    assert stories["ep-2"] == "ep-2"
    # The very same text is one story whatever the titles say.
    assert stories["same-text"] == stories["copy-1"]
