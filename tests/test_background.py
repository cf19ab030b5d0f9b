"""Indexing in a niced child process: progress and report come back; stopping terminates it."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.archive import Archive
from index.background import index_in_background
from index.errors import NewsbotError
from index.ingest import IndexProgress

SAMPLE = Path(__file__).resolve().parents[1] / "index" / "sample"


class StopError(Exception):
    pass


def test_the_child_indexes_and_reports(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    heard: list[IndexProgress] = []
    report = index_in_background(db_path, [SAMPLE], heard.append)
    assert report.added == 12
    assert heard
    assert heard[-1].articles_read == 12
    assert "Rp4.000" in Archive(db_path).ask("tarif bus listrik Semarang").hits[0].text


def test_stopping_terminates_the_child_and_the_archive_stays_whole(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    index_in_background(db_path, [SAMPLE])
    news = tmp_path / "news"
    news.mkdir()
    for number in range(300):
        (news / f"{number}.txt").write_text(
            f"Kudus (Warta Contoh) - Harga gula di pasar nomor {number} naik hari ini.\n", "utf-8"
        )

    def stop(event: IndexProgress) -> None:
        raise StopError

    with pytest.raises(StopError):
        index_in_background(db_path, [news], stop)
    # The previous articles are all there, and the next run completes the job.
    assert index_in_background(db_path, [SAMPLE, news]).unchanged >= 12
    assert Archive(db_path).stats().articles == 312


def test_a_failure_in_the_child_says_why(tmp_path: Path) -> None:
    not_a_database = tmp_path / "archive.db"
    not_a_database.write_text("not sqlite", "utf-8")
    with pytest.raises(NewsbotError, match=r"archive\.db"):
        index_in_background(not_a_database, [SAMPLE])
