"""The ``newsbot`` command: outputs and exit codes as the acceptance checks drive them."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from index.rank import FEATURES

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "index" / "sample"
SHARED = ROOT.parent / "shared"
needs_shared = pytest.mark.skipif(
    not (SHARED / "corpus").is_dir(), reason="../shared (the reference corpora) is not here"
)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSBOT_DB", raising=False)
    return CliRunner()


@pytest.fixture
def sample_db(runner: CliRunner, tmp_path: Path) -> Path:
    db = tmp_path / "sample.db"
    result = runner.invoke(main, ["index", "--db", str(db), str(SAMPLE)])
    assert result.exit_code == 0, result.output
    return db


def ask_json(runner: CliRunner, db: Path, *args: str) -> dict[str, object]:
    result = runner.invoke(main, ["ask", "--db", str(db), "--json", *args])
    assert result.exit_code == 0, result.output
    answer: dict[str, object] = json.loads(result.output)
    return answer


def test_index_reports_counts_and_is_idempotent(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    first = runner.invoke(main, ["index", "--db", str(db), str(SAMPLE)])
    assert first.exit_code == 0
    assert "added 12, updated 0, unchanged 0, failed 0" in first.output
    second = runner.invoke(main, ["index", "--db", str(db), str(SAMPLE)])
    assert "added 0, updated 0, unchanged 12, failed 0" in second.output


def test_changed_article_is_updated(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    article = folder / "one.txt"
    article.write_text("Jakarta (Warta Contoh) - Harga cabai naik 10 persen.\n", encoding="utf-8")
    db = tmp_path / "a.db"
    runner.invoke(main, ["index", "--db", str(db), str(folder)])
    article.write_text("Jakarta (Warta Contoh) - Harga cabai turun 4 persen.\n", encoding="utf-8")
    result = runner.invoke(main, ["index", "--db", str(db), str(folder)])
    assert "added 0, updated 1, unchanged 0, failed 0" in result.output
    answer = ask_json(runner, db, "harga cabai")
    hits = answer["hits"]
    assert isinstance(hits, list)
    assert len(hits) == 1
    assert "turun 4 persen" in hits[0]["text"]


def test_ask_json_shape(runner: CliRunner, sample_db: Path) -> None:
    answer = ask_json(runner, sample_db, "Berapa tarif bus listrik di Semarang?")
    assert answer["answered"] is True
    assert answer["question"] == "Berapa tarif bus listrik di Semarang?"
    hits = answer["hits"]
    assert isinstance(hits, list)
    assert 1 <= len(hits) <= 3
    first = hits[0]
    assert set(first) == {
        "rank",
        "score",
        "confidence",
        "article_id",
        "passage_id",
        "text",
        "title",
        "source",
        "url",
        "published",
        "reporter",
        "answer_sentence",
        "also_published_by",
    }
    assert first["rank"] == 1
    assert first["answer_sentence"] == (
        "Direktur Utama PT Semarang Mobilitas Hijau, Bayu Adinegoro, mengatakan tarif ditetapkan"
        " Rp4.000 sekali jalan."
    )
    assert first["also_published_by"] == []
    assert first["article_id"] == "06_bus-listrik-semarang"
    assert "Rp4.000 sekali jalan" in first["text"]
    assert isinstance(first["passage_id"], str)
    assert first["source"] == "Warta Contoh"
    assert [hit["rank"] for hit in hits] == list(range(1, len(hits) + 1))
    assert all(0 <= hit["confidence"] <= 1 for hit in hits)
    assert first["confidence"] >= 0.9
    assert (answer["window"], answer["asked_window"], answer["undated_articles"]) == (
        None,
        None,
        0,
    )
    assert answer["terms"] == ["tarif", "bus", "listrik", "semarang"]


def test_ask_k_limits_hits(runner: CliRunner, sample_db: Path) -> None:
    answer = ask_json(runner, sample_db, "-k", "1", "bus listrik Semarang")
    hits = answer["hits"]
    assert isinstance(hits, list)
    assert len(hits) == 1


def test_ask_human_output(runner: CliRunner, sample_db: Path) -> None:
    result = runner.invoke(main, ["ask", "--db", str(sample_db), "tarif bus listrik Semarang"])
    assert result.exit_code == 0
    assert "Pertanyaan: tarif bus listrik Semarang" in result.output
    assert "Rp4.000 sekali jalan" in result.output
    assert "Warta Contoh · Semarang · sekitar 2 Juni 2025" in result.output


def test_stopword_only_question_is_not_answered(runner: CliRunner, sample_db: Path) -> None:
    answer = ask_json(runner, sample_db, "apa yang dan di mana?")
    assert answer == {
        "question": "apa yang dan di mana?",
        "answered": False,
        "terms": [],
        "window": None,
        "asked_window": None,
        "undated_articles": 0,
        "hits": [],
    }
    unknown = ask_json(runner, sample_db, "xylofonqwerty")
    assert unknown["answered"] is False


def test_ask_not_found_human_output(runner: CliRunner, sample_db: Path) -> None:
    result = runner.invoke(main, ["ask", "--db", str(sample_db), "xylofonqwerty"])
    assert result.exit_code == 0
    assert "Tidak ada berita di arsip yang menjawab pertanyaan itu." in result.output


def test_batch_streams_one_json_line_per_question(runner: CliRunner, sample_db: Path) -> None:
    questions = "Berapa tarif bus listrik?\n\nHow many hatchlings were released?\nxyzzyq\n"
    result = runner.invoke(
        main, ["ask", "--db", str(sample_db), "--json", "-k", "2", "--batch", "-"], input=questions
    )
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["question"] for line in lines] == [
        "Berapa tarif bus listrik?",
        "How many hatchlings were released?",
        "xyzzyq",
    ]
    assert [line["answered"] for line in lines] == [True, True, False]
    assert lines[1]["hits"][0]["article_id"] == "11_sea-turtle-hatchery-bali"
    assert all(len(line["hits"]) <= 2 for line in lines)


def test_ask_usage_errors(runner: CliRunner, sample_db: Path, tmp_path: Path) -> None:
    neither = runner.invoke(main, ["ask", "--db", str(sample_db)])
    assert neither.exit_code == 2
    questions = tmp_path / "q.txt"
    questions.write_text("bus\n", encoding="utf-8")
    both = runner.invoke(main, ["ask", "--db", str(sample_db), "--batch", str(questions), "bus"])
    assert both.exit_code == 2
    bad_k = runner.invoke(main, ["ask", "--db", str(sample_db), "-k", "0", "bus"])
    assert bad_k.exit_code == 2


@pytest.mark.parametrize("command", ["ask", "stats"])
def test_missing_database_says_what_to_run(
    runner: CliRunner, tmp_path: Path, command: str
) -> None:
    missing = tmp_path / "nothing.db"
    args = [command, "--db", str(missing)] + (["bus"] if command == "ask" else [])
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert f"newsbot index --db {missing}" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_unreadable_database_is_reported(runner: CliRunner, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite" * 100)
    result = runner.invoke(main, ["stats", "--db", str(garbage)])
    assert result.exit_code == 1
    assert "newsbot index" in result.output


def test_db_defaults_to_environment(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "env.db"
    monkeypatch.setenv("NEWSBOT_DB", str(db))
    assert runner.invoke(main, ["index", str(SAMPLE)]).exit_code == 0
    assert db.is_file()
    result = runner.invoke(main, ["stats"])
    assert "articles:     12" in result.output


def test_db_defaults_to_dotenv_file(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("NEWSBOT_DB=from-dotenv.db\n", encoding="utf-8")
    assert runner.invoke(main, ["index", str(SAMPLE)]).exit_code == 0
    assert (tmp_path / "from-dotenv.db").is_file()


def test_stats(runner: CliRunner, sample_db: Path) -> None:
    result = runner.invoke(main, ["stats", "--db", str(sample_db)])
    assert result.exit_code == 0
    assert "articles:     12" in result.output
    assert "Warta Contoh (12)" in result.output
    assert "last indexed: 20" in result.output


def test_partial_failure_exit_code_and_report(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "good.txt").write_text("Medan (Warta Contoh) - Durian panen raya.\n", "utf-8")
    (folder / "empty.txt").write_text("", "utf-8")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02")
    records = folder / "feed.jsonl.gz"
    with gzip.open(records, "wt", encoding="utf-8") as out:
        out.write(json.dumps({"id": "a-1", "body": "Harga beras stabil di Medan."}) + "\n")
        out.write("{not json\n")
    db = tmp_path / "a.db"
    result = runner.invoke(main, ["index", "--db", str(db), str(folder)])
    assert result.exit_code == 3
    assert "added 2, updated 0, unchanged 0, failed 3" in result.output
    assert f"failed: {folder / 'empty.txt'}: empty file" in result.output
    assert f"failed: {records}:2: invalid JSON" in result.output
    assert "binary file" in result.output


def test_everything_failing_is_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["index", "--db", str(tmp_path / "a.db"), "no/such/folder"])
    assert result.exit_code == 1
    assert "failed: no/such/folder: no such file or folder" in result.output


def test_id_conflict_is_reported_not_overwritten(runner: CliRunner, tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    for folder, text in ((first, "Harga garam naik."), (second, "Harga gula turun.")):
        folder.mkdir()
        (folder / "same.txt").write_text(f"Jakarta (Warta Contoh) - {text}\n", "utf-8")
    db = tmp_path / "a.db"
    runner.invoke(main, ["index", "--db", str(db), str(first)])
    result = runner.invoke(main, ["index", "--db", str(db), str(second)])
    assert result.exit_code == 1
    assert "id 'same' already belongs to" in result.output
    answer = ask_json(runner, db, "harga garam")
    hits = answer["hits"]
    assert isinstance(hits, list)
    assert "garam" in hits[0]["text"]


@needs_shared
def test_acceptance_seed_question(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    sources = [
        SHARED / "seeds",
        SHARED / "corpus" / "antara-ppw-txt",
        SHARED / "corpus" / "antara-ppw" / "antara-ppw.jsonl.gz",
    ]
    result = runner.invoke(main, ["index", "--db", str(db), *map(str, sources)])
    assert result.exit_code == 0, result.output
    answer = ask_json(runner, db, "Berapa nilai perdagangan ASEAN dan Rusia pada 2018?")
    hits = answer["hits"]
    assert isinstance(hits, list)
    assert hits[0]["article_id"] == "000_a5a30d36f1db9f24"
    assert "19,8 miliar dolar AS" in hits[0]["text"]
    txt_ids = {path.stem for path in sources[1].glob("*.txt")} | {"000_a5a30d36f1db9f24"}
    with sqlite3.connect(db) as connection:
        texts = [
            text
            for article_id, text in connection.execute("SELECT article_id, text FROM passages")
            if article_id in txt_ids
        ]
    assert len({*txt_ids}) == 51
    assert texts
    assert not [text for text in texts if "Baca juga:" in text or "Pewarta:" in text]


def test_unwritable_database_path_is_reported(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["index", "--db", str(tmp_path), str(SAMPLE)])
    assert result.exit_code == 1
    assert f"Cannot write the archive at {tmp_path}" in result.output
    assert "Traceback" not in result.output


def test_eval_measures_answers_on_a_question_file(
    runner: CliRunner, sample_db: Path, tmp_path: Path
) -> None:
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        '{"question": "Berapa tarif bus listrik di Semarang?", "article_id":'
        ' "06_bus-listrik-semarang", "answer": "Rp4.000 sekali jalan"}\n'
        '{"question": "Siapa juara catur dunia 1972?", "article_id": "tidak-ada"}\n',
        encoding="utf-8",
    )
    result = runner.invoke(main, ["eval", "--db", str(sample_db), "--json", str(questions)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["questions"] == 2
    assert report["recall_at_1"] == 0.5
    assert report["answer_in_sentence"] == 1.0
    text = runner.invoke(main, ["eval", "--db", str(sample_db), str(questions)]).output
    assert "R@1 50.0" in text
    assert "answer in the marked sentence 100.0% (of 1 questions with an answer)" in text


def test_eval_names_a_bad_line(runner: CliRunner, sample_db: Path, tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    questions.write_text('{"question": "Apa?"}\n', encoding="utf-8")
    result = runner.invoke(main, ["eval", "--db", str(sample_db), str(questions)])
    assert result.exit_code == 2
    assert "line 1: needs" in result.output


def test_eval_counts_declines_of_unanswerable_questions_and_ablates_features(
    runner: CliRunner, sample_db: Path, tmp_path: Path
) -> None:
    answerable = tmp_path / "answerable.jsonl"
    answerable.write_text(
        '{"question": "Berapa tarif bus listrik di Semarang?", "article_id":'
        ' "06_bus-listrik-semarang"}\n',
        encoding="utf-8",
    )
    unanswerable = tmp_path / "unanswerable.jsonl"
    unanswerable.write_text(
        '{"question": "Siapa juara catur dunia 1972?", "article_id": null}\n', encoding="utf-8"
    )
    arguments = ["eval", "--db", str(sample_db), "--leave-out-gold"]
    result = runner.invoke(main, [*arguments, str(answerable), str(unanswerable)])
    assert result.exit_code == 0, result.output
    assert "unanswerable questions 1: declined 100.0%" in result.output
    assert "asked again without their gold story 1: declined 100.0%" in result.output
    for feature in FEATURES:
        ablated = runner.invoke(
            main, [*arguments, "--without", feature, "--json", str(answerable)]
        )
        assert ablated.exit_code == 0, ablated.output
        assert json.loads(ablated.output)["recall_at_1"] == 1.0
    unknown = runner.invoke(main, [*arguments, "--without", "title", str(answerable)])
    assert unknown.exit_code == 2
    assert "'title' is not one of" in unknown.output


def test_a_declined_question_lists_its_nearest_matches(runner: CliRunner, sample_db: Path) -> None:
    answer = ask_json(runner, sample_db, "Siapa juara catur dunia tahun 1972?")
    assert answer["answered"] is False
    hits = answer["hits"]
    assert isinstance(hits, list)
    assert hits
    assert all(hit["confidence"] < 0.5 for hit in hits)
    text = runner.invoke(main, ["ask", "--db", str(sample_db), "Siapa juara catur dunia?"])
    assert "Tidak ada berita di arsip yang menjawab pertanyaan itu." in text.output
    assert "Mungkin terkait:" in text.output
