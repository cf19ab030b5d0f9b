"""Indexing runs: incremental updates, prune, rebuild, one writer, crash safety."""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils

from index.archive import Archive
from index.errors import ArchiveOutdatedError, WriterBusyError
from index.ingest import PIPELINE_VERSION, index_sources
from index.schema import MIGRATIONS
from index.store import writer_lock

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "index" / "sample"
NEWSBOT = Path(sys.executable).with_name("newsbot")

CITIES = ["Medan", "Padang", "Makassar", "Manado", "Kupang", "Ambon", "Jayapura", "Palu"]
THINGS = ["jembatan", "pasar", "sekolah", "pelabuhan", "bendungan", "puskesmas", "terminal"]


def synthetic_article(number: int, rng: random.Random) -> str:
    city, thing = rng.choice(CITIES), rng.choice(THINGS)
    paragraphs = [
        f"{city} (Warta Contoh) - Pemerintah kota meresmikan {thing} nomor {number} yang"
        f" dibangun dengan anggaran Rp{rng.randint(2, 90)},{rng.randint(1, 9)} miliar.",
        *(
            f"Warga {city} menyambut {thing} itu dengan gembira pada hari ke-{rng.randint(1, 30)}"
            f" dan berharap layanan {rng.choice(THINGS)} ikut membaik, kata kode{number}x{k}."
            for k in range(rng.randint(2, 5))
        ),
        f"Pewarta: Penulis {number % 17}\nEditor: Penyunting {number % 5}\n"
        "Copyright © Warta Contoh 2025",
    ]
    return "\n\n".join(paragraphs) + "\n"


def write_corpus(folder: Path, count: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        (folder / f"{number:05d}.txt").write_text(synthetic_article(number, rng), "utf-8")
    return folder


def counts(db_path: Path) -> tuple[int, int]:
    with sqlite3.connect(db_path) as connection:
        articles = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
        passages = connection.execute("SELECT count(*) FROM passages").fetchone()[0]
    return articles, passages


def assert_consistent(db_path: Path) -> None:
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orphans = connection.execute(
            "SELECT count(*) FROM passages WHERE article_id NOT IN (SELECT id FROM articles)"
        ).fetchone()[0]
        empty = connection.execute(
            "SELECT count(*) FROM articles WHERE id NOT IN (SELECT article_id FROM passages)"
        ).fetchone()[0]
    assert (orphans, empty) == (0, 0)


def test_rerun_touches_nothing_and_changes_only_what_changed(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "news", 30)
    db_path = tmp_path / "a.db"
    first = index_sources(db_path, [folder])
    assert (first.added, first.updated, first.unchanged) == (30, 0, 0)
    again = index_sources(db_path, [folder])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 30)
    (folder / "00003.txt").write_text("Medan (Warta Contoh) - Isi baru sama sekali.\n", "utf-8")
    changed = index_sources(db_path, [folder])
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 29)


def test_prune_removes_articles_whose_source_is_gone(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "news", 10)
    records = tmp_path / "feed.jsonl"
    records.write_text(
        '{"id": "r-1", "body": "Harga beras turun."}\n{"id": "r-2", "body": "Harga gula naik."}\n',
        "utf-8",
    )
    db_path = tmp_path / "a.db"
    index_sources(db_path, [folder, records])
    (folder / "00004.txt").unlink()
    records.write_text('{"id": "r-1", "body": "Harga beras turun."}\n', "utf-8")
    kept = index_sources(db_path, [folder, records])
    assert kept.removed == 0
    assert counts(db_path)[0] == 12
    pruned = index_sources(db_path, [folder, records], prune=True)
    assert pruned.removed == 2
    assert counts(db_path)[0] == 10
    assert_consistent(db_path)


def test_prune_keeps_records_after_a_broken_line(tmp_path: Path) -> None:
    records = tmp_path / "feed.jsonl"
    records.write_text('{"id": "r-1", "body": "Satu."}\n{"id": "r-2", "body": "Dua."}\n', "utf-8")
    db_path = tmp_path / "a.db"
    index_sources(db_path, [records])
    records.write_text('{"id": "r-1", "body": "Satu."}\n{broken\n', "utf-8")
    report = index_sources(db_path, [records], prune=True)
    assert report.removed == 0
    assert report.failed == 1


def test_rebuild_starts_over_and_keeps_other_tables(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "news", 5)
    db_path = tmp_path / "a.db"
    index_sources(db_path, [folder])
    with sqlite3.connect(db_path) as connection:
        connection.execute(
            "INSERT INTO feedback VALUES ('answer-1', 7, 1, 'Berapa tarif?', '[]', 0)"
        )
        connection.execute("CREATE TABLE operator_notes (note TEXT)")
        connection.execute("INSERT INTO operator_notes VALUES ('kept')")
    report = index_sources(db_path, [SAMPLE], rebuild=True)
    assert (report.added, report.unchanged) == (12, 0)
    assert counts(db_path)[0] == 12
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT question FROM feedback").fetchall() == [
            ("Berapa tarif?",)
        ]
        assert connection.execute("SELECT note FROM operator_notes").fetchall() == [("kept",)]


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    db_path = tmp_path / "a.db"
    with writer_lock(db_path), pytest.raises(WriterBusyError, match="Wait for it to finish"):
        index_sources(db_path, [SAMPLE])
    assert index_sources(db_path, [SAMPLE]).added == 12


def test_a_second_index_command_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    db_path = tmp_path / "a.db"
    with writer_lock(db_path):
        result = subprocess.run(
            [str(NEWSBOT), "index", "--db", str(db_path), str(SAMPLE)],
            capture_output=True,
            text=True,
            check=False,
        )
    assert result.returncode == 1
    assert "is writing to" in result.stderr


def test_running_archive_follows_another_writer(tmp_path: Path) -> None:
    db_path = tmp_path / "a.db"
    index_sources(db_path, [SAMPLE])
    archive = Archive(db_path)
    assert not archive.ask("kapal layar Teluk Ternate").answered
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "kapal.txt").write_text(
        "Ternate (Warta Contoh) - Lomba kapal layar Teluk Ternate diikuti 41 kapal.\n", "utf-8"
    )
    index_sources(db_path, [extra])
    deadline = time.monotonic() + 30
    while not archive.ask("kapal layar Teluk Ternate").answered:
        assert time.monotonic() < deadline, "the archive never saw the new article"
        time.sleep(0.01)


def test_parallel_and_serial_runs_store_the_same(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "news", 150)
    serial, parallel = tmp_path / "serial.db", tmp_path / "parallel.db"
    index_sources(serial, [folder], workers=1)
    index_sources(parallel, [folder], workers=2)
    query = "SELECT passage_id, text, terms FROM passages ORDER BY passage_id"
    with sqlite3.connect(serial) as one, sqlite3.connect(parallel) as two:
        assert one.execute(query).fetchall() == two.execute(query).fetchall()


def test_killed_indexer_leaves_a_consistent_archive(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "news", 1500)
    shutil.copytree(SAMPLE, folder / "sample")
    db_path = tmp_path / "a.db"
    index_sources(db_path, [SAMPLE])
    index_sources(tmp_path / "base.db", [SAMPLE])
    rng = random.Random(20261128)
    for delay in sorted(rng.uniform(0.5, 4.0) for _ in range(3)):
        process = subprocess.Popen(
            [str(NEWSBOT), "index", "--db", str(db_path), str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
        assert_consistent(db_path)
        assert Archive(db_path).ask("tarif bus listrik Semarang").answered
    finished = index_sources(db_path, [folder])
    assert finished.failed == 0
    assert_consistent(db_path)
    clean = tmp_path / "clean.db"
    index_sources(clean, [folder])
    # The clean archive holds the folder (with its copy of the sample); the killed one also
    # holds the sample indexed at the start under its own ids.
    assert counts(clean)[0] == 1512
    assert counts(db_path) == (
        counts(clean)[0] + 12,
        counts(clean)[1] + counts(tmp_path / "base.db")[1],
    )


def children_of(pid: int) -> set[int]:
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(child) for child in listed.split()}


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
def test_workers_of_a_killed_indexer_exit(tmp_path: Path) -> None:
    """SIGKILL runs no clean-up in the indexer: its worker processes notice and exit."""
    folder = write_corpus(tmp_path / "news", 3000)
    process = subprocess.Popen(
        [str(NEWSBOT), "index", "--db", str(tmp_path / "a.db"), str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    # The resource tracker is a child too; the two workers come with the first batch.
    while len(workers) < 3 and process.poll() is None and time.monotonic() < deadline:
        workers = children_of(process.pid)
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert len(workers) >= 3, "the indexer finished before its workers could be seen"
    deadline = time.monotonic() + 10
    while any(is_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if is_running(pid)]


def test_archive_of_an_older_version_is_upgraded_by_indexing(tmp_path: Path) -> None:
    db_path = tmp_path / "old.db"
    old = sqlite_utils.Database(db_path)
    MIGRATIONS[0](old)
    old.execute("PRAGMA user_version = 1")
    old.table("articles").insert(
        {
            "id": "lama",
            "origin": str(tmp_path / "gone.txt"),
            "content_hash": "x",
            "language": "id",
            "indexed_at": "2020-01-01T00:00:00+00:00",
        }
    )
    old.table("passages").insert(
        {
            "passage_id": "lama#1",
            "article_id": "lama",
            "ordinal": 1,
            "text": "Harga garam naik.",
            "terms": "harga garam naik",
        }
    )
    old.close()
    with pytest.raises(ArchiveOutdatedError, match=f"newsbot index --db {db_path}"):
        Archive(db_path)
    index_sources(db_path, [SAMPLE])
    archive = Archive(db_path)
    assert archive.ask("harga garam").hits[0].article_id == "lama"
    assert archive.ask("tarif bus listrik").answered
    assert archive.stats().pipeline_version == PIPELINE_VERSION


def test_one_record_in_two_files_is_one_article(tmp_path: Path) -> None:
    line = '{"id": "e-1", "title": "Banjir surut", "body": "Banjir di Medan surut."}\n'
    latest, category = tmp_path / "latest.jsonl", tmp_path / "daerah.jsonl"
    latest.write_text(line, "utf-8")
    category.write_text(line, "utf-8")
    report = index_sources(tmp_path / "a.db", [latest, category])
    assert (report.added, report.failed) == (1, 0)


def test_two_records_claiming_one_id_in_a_run(tmp_path: Path) -> None:
    records = tmp_path / "feed.jsonl"
    records.write_text(
        '{"id": "e-1", "body": "Banjir di Medan surut."}\n'
        '{"id": "e-1", "body": "Harga beras turun."}\n',
        "utf-8",
    )
    report = index_sources(tmp_path / "a.db", [records])
    assert report.added == 1
    [failure] = report.failures
    assert "id 'e-1' appears twice in this run" in failure.reason


def test_a_run_that_changes_nothing_keeps_the_generation(tmp_path: Path) -> None:
    db_path = tmp_path / "a.db"
    index_sources(db_path, [SAMPLE])
    with sqlite3.connect(db_path) as connection:
        before = connection.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    index_sources(db_path, [SAMPLE])
    with sqlite3.connect(db_path) as connection:
        after = connection.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    assert before == after == ("1",)


def test_the_dateline_city_is_searchable_though_not_quoted(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "Pelaihari, Kompas - Unjuk rasa warga di gedung dewan berakhir rusuh.\n", "utf-8"
    )
    (folder / "b.txt").write_text("Banjir merendam sawah warga di tepi sungai.\n", "utf-8")
    db_path = tmp_path / "a.db"
    index_sources(db_path, [folder], workers=1)
    hits = Archive(db_path).ask("Di mana lokasi kota Pelaihari?").hits
    assert [hit.article_id for hit in hits] == ["a"]
    assert "Pelaihari" not in hits[0].text
