"""The archive's stored, incremental search index: after any history of indexing runs it scores
as rank-bm25 over the passages stored, and questions asked while a run writes see either the
state before it or the state after it."""

from __future__ import annotations

import math
import random
import sqlite3
import threading
from pathlib import Path

from index.analysis import analyze_question
from index.archive import Archive
from index.ingest import index_sources
from tests.test_engine import oracle_scores
from tests.test_ingest import CITIES, THINGS, synthetic_article

QUESTIONS = [
    *(f"{thing} di {city}" for thing, city in zip(THINGS, CITIES, strict=False)),
    "anggaran miliar warga",
    "layanan pasar membaik",
]


def stored_passages(db_path: Path) -> dict[str, tuple[int, list[str]]]:
    """Passage id -> (row id, index terms) of every passage stored."""
    with sqlite3.connect(db_path) as connection:
        return {
            passage_id: (row_id, terms.split())
            for row_id, passage_id, terms in connection.execute(
                "SELECT row_id, passage_id, terms FROM passages"
            )
        }


def segment_state(db_path: Path) -> tuple[int, int]:
    with sqlite3.connect(db_path) as connection:
        segments = connection.execute("SELECT count(*) FROM segments").fetchone()[0]
        deleted = connection.execute("SELECT count(*) FROM deleted_rows").fetchone()[0]
    return segments, deleted


def assert_scores_as_rank_bm25(archive: Archive, db_path: Path) -> None:
    passages = stored_passages(db_path)
    row_of = {row: passage_id for passage_id, (row, _) in passages.items()}
    row_ids = sorted(row_of)
    terms_of = dict(passages.values())
    for question in QUESTIONS:
        expected = oracle_scores(
            [terms_of[row] for row in row_ids], row_ids, analyze_question(question)
        )
        hits = archive.search(question, k=len(row_ids))
        assert {hit.passage_id for hit in hits} == {row_of[row] for row in expected}
        for hit in hits:
            assert math.isclose(hit.score, expected[passages[hit.passage_id][0]], rel_tol=1e-9)


def test_a_history_of_runs_scores_as_rank_bm25_over_what_is_stored(tmp_path: Path) -> None:
    folder, db_path = tmp_path / "news", tmp_path / "a.db"
    folder.mkdir()
    rng = random.Random(20261128)
    following: Archive | None = None
    seen_segments, seen_deleted = 0, 0
    next_number = 0
    for step in range(8):
        files = sorted(folder.iterdir())
        if step in (2, 5) and files:
            for path in rng.sample(files, 6):
                path.write_text(synthetic_article(rng.randint(0, 999), rng), "utf-8")
        if step in (3, 6) and files:
            for path in rng.sample(files, 5):
                path.unlink()
        for _ in range(rng.randint(5, 25)):
            (folder / f"{next_number:04d}.txt").write_text(
                synthetic_article(next_number, rng), "utf-8"
            )
            next_number += 1
        index_sources(db_path, [folder], prune=True, workers=1)
        segments, deleted = segment_state(db_path)
        seen_segments, seen_deleted = max(seen_segments, segments), max(seen_deleted, deleted)
        if following is None:
            following = Archive(db_path)
        else:
            following.reload()
        assert_scores_as_rank_bm25(following, db_path)
        assert_scores_as_rank_bm25(Archive(db_path), db_path)
    # The history went through several segments and deletions the index had to mask.
    assert seen_segments > 1
    assert seen_deleted > 0


def test_questions_during_runs_see_whole_runs(tmp_path: Path) -> None:
    """Each run adds two articles sharing a word no other has: a question for that word finds
    neither or both, never one, while runs keep writing and the archive keeps reloading."""
    folder, db_path = tmp_path / "news", tmp_path / "a.db"
    folder.mkdir()
    (folder / "base.txt").write_text(synthetic_article(0, random.Random(1)), "utf-8")
    index_sources(db_path, [folder], workers=1)
    archive = Archive(db_path)
    runs = 6
    failures: list[BaseException] = []

    def write() -> None:
        try:
            for run in range(runs):
                for half in ("a", "b"):
                    text = (
                        f"Medan (Warta Contoh) - Kabar ke-{run}{half} menyebut penandaunik{run}"
                        f" di pasar kota.\n\nWarga menyambutnya, kata kode{run}{half}.\n"
                    )
                    (folder / f"run{run}{half}.txt").write_text(text, "utf-8")
                index_sources(db_path, [folder], workers=1)
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    writer = threading.Thread(target=write)
    writer.start()
    while writer.is_alive():
        for run in range(runs):
            assert len(archive.ask(f"penandaunik{run}", k=5).hits) in (0, 2)
    writer.join()
    assert failures == []
    archive.reload()
    assert [len(archive.ask(f"penandaunik{run}", k=5).hits) for run in range(runs)] == [2] * runs


STORY = (
    "Pemerintah Kota Semarang membuka jalur sepeda baru sepanjang 12 kilometer yang menghubungkan"
    " Simpang Lima dengan Kawasan Kota Lama, Senin. Jalur itu dilengkapi 40 rak sepeda dan lampu"
    " penerangan setiap 50 meter.\n\nKepala Dinas Perhubungan mengatakan jalur tersebut dibangun"
    " dengan anggaran Rp9,5 miliar dan akan diperpanjang hingga Tembalang pada tahun depan."
)


def test_copies_of_a_story_are_quoted_once_and_named_by_outlet(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    for name, outlet in [("a", "Warta Contoh"), ("b", "Kabar Lain"), ("c", "Suara Timur")]:
        (folder / f"{name}.txt").write_text(f"Semarang ({outlet}) - {STORY}\n", encoding="utf-8")
    db_path = tmp_path / "archive.db"
    index_sources(db_path, [folder], workers=1)
    hits = Archive(db_path).ask("Berapa anggaran jalur sepeda di Semarang?").hits
    assert len({hit.article_id for hit in hits}) == 1
    first = hits[0]
    assert first.answer_sentence is not None
    assert first.answer_sentence in first.text
    assert set(first.also_published_by) == {"Warta Contoh", "Kabar Lain", "Suara Timur"} - {
        first.outlet
    }
