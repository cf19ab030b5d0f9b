"""The ``newsbot`` command: index, ask, stats, run.

With ``__main__.py`` this is the only module that reads the environment, prints or exits.
Exit codes: 0 success, 1 failure, 2 usage or settings error, 3 partial (some inputs failed).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NoReturn

import click
from dotenv import dotenv_values

from bot.config import BotSettings, ConfigError, database_path, read_options
from bot.render import render_answer_text
from bot.texts import texts_for
from index.analysis import detect_language
from index.archive import DEFAULT_K, Archive, stats_of
from index.conversations import Conversations
from index.errors import NewsbotError
from index.evaluate import DEPTH as EVAL_DEPTH
from index.evaluate import EvalReport, QuestionFileError, evaluate, read_questions
from index.ingest import PIPELINE_VERSION, IndexProgress, index_sources
from index.models import Answer, ArchiveStats, DateWindow, IndexReport
from index.rank import FEATURES, RankingWeights
from index.sources import is_url

EXIT_FAILURE = 1
EXIT_SETTINGS = 2
EXIT_PARTIAL = 3


def load_environment() -> dict[str, str]:
    """``.env`` in the working directory, overridden by the real environment."""
    from_file = {key: value for key, value in dotenv_values(".env").items() if value is not None}
    return {**from_file, **os.environ}


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def window_json(window: DateWindow | None) -> dict[str, str] | None:
    if window is None:
        return None
    return {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "phrase": window.phrase,
    }


def answer_json(answer: Answer) -> dict[str, Any]:
    """The answer for scripts; when ``answered`` is false the hits are the nearest matches."""
    return {
        "question": answer.question,
        "answered": answer.answered,
        "terms": list(answer.terms),
        "window": window_json(answer.window),
        "asked_window": window_json(answer.asked_window),
        "undated_articles": answer.undated_articles,
        "hits": [
            {
                "rank": hit.rank,
                "score": hit.score,
                "confidence": round(hit.confidence, 3),
                "article_id": hit.article_id,
                "passage_id": hit.passage_id,
                "text": hit.text,
                "title": hit.title,
                "source": hit.outlet,
                "url": hit.url,
                "published": hit.published,
                "reporter": hit.reporter,
                "answer_sentence": hit.answer_sentence,
                "also_published_by": list(hit.also_published_by),
            }
            for hit in answer.hits
        ],
    }


def report_text(report: IndexReport) -> str:
    lines = [
        f"added {report.added}, updated {report.updated}, unchanged {report.unchanged},"
        f" failed {report.failed}"
    ]
    if report.removed:
        lines.append(f"removed {report.removed} whose source is gone")
    lines.extend(f"warning: {notice.where}: {notice.message}" for notice in report.notices)
    lines.extend(f"failed: {failure.where}: {failure.reason}" for failure in report.failures)
    return "\n".join(lines)


def stats_text(stats: ArchiveStats, db_path: Path) -> str:
    outlets = ", ".join(f"{name} ({count})" for name, count in stats.outlets) or "none"
    first, last = stats.first_published or "?", stats.last_published or "?"
    return "\n".join(
        [
            f"archive:      {db_path}",
            f"articles:     {stats.articles}",
            f"passages:     {stats.passages}",
            f"stories:      {stats.stories} (copies of one story count once)",
            f"outlets:      {outlets}",
            f"published:    {first} to {last}",
            f"last indexed: {stats.last_indexed or 'never'}",
            f"pipeline:     {pipeline_note(stats.pipeline_version)}",
        ]
    )


def pipeline_note(version: str | None) -> str:
    if version == PIPELINE_VERSION:
        return f"{version} (current)"
    return (
        f"{version or 'unknown'}; this newsbot cleans and analyses with version"
        f" {PIPELINE_VERSION}: run newsbot index on your sources to reprocess the articles"
    )


def open_archive(db_path: Path, ranking: RankingWeights | None = None) -> Archive:
    try:
        return Archive(db_path, ranking)
    except NewsbotError as error:
        fail(str(error))


def questions_from(batch: IO[str]) -> Iterator[str]:
    for line in batch:
        if question := line.strip():
            yield question


db_option = click.option(
    "--db",
    "db",
    metavar="PATH",
    help="The SQLite archive. Default: $NEWSBOT_DB, else ./newsbot.db.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """newsbot: answer questions about a news archive by quoting the passages that answer them."""


@main.command()
@db_option
@click.option("--prune", is_flag=True, help="Remove articles whose source file or record is gone.")
@click.option("--rebuild", is_flag=True, help="Start the archive's articles over from SOURCES.")
# Text, not click.Path: a Path would turn a feed's http://host into http:/host.
@click.argument("sources", nargs=-1, required=True)
def index(db: str | None, prune: bool, rebuild: bool, sources: tuple[str, ...]) -> None:
    """Add new and changed articles from SOURCES (files, folders or RSS/Atom feed URLs); skip
    unchanged ones."""
    environment = load_environment()
    try:
        options = read_options(environment)
    except ConfigError as error:
        fail(str(error), EXIT_SETTINGS)
    db_path = database_path(environment, db)
    show_bar = sys.stderr.isatty()
    with click.progressbar(
        length=1, label="Indexing", file=sys.stderr, hidden=not show_bar
    ) as bar:

        def progress(event: IndexProgress) -> None:
            bar.length = event.files_total
            bar.label = f"Indexing ({event.articles_read} articles)"
            if event.files_done > bar.pos:
                bar.update(event.files_done - bar.pos)
            else:
                bar.render_progress()

        try:
            report = index_sources(
                db_path,
                [source if is_url(source) else Path(source) for source in sources],
                progress,
                options,
                prune=prune,
                rebuild=rebuild,
            )
        except NewsbotError as error:
            fail(str(error))
    click.echo(report_text(report))
    if report.failures:
        indexed_any = report.added + report.updated + report.unchanged
        sys.exit(EXIT_PARTIAL if indexed_any else EXIT_FAILURE)


@main.command()
@db_option
@click.option("-k", "k", default=DEFAULT_K, show_default=True, help="Passages per question.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per question.")
@click.option(
    "--batch",
    type=click.File("r", encoding="utf-8"),
    help="Answer every line of FILE as a question ('-' reads standard input).",
)
@click.argument("question", required=False)
def ask(
    db: str | None, k: int, as_json: bool, batch: IO[str] | None, question: str | None
) -> None:
    """Answer QUESTION (or every line of --batch FILE) from the archive."""
    if k < 1:
        raise click.UsageError("-k must be at least 1")
    if batch is not None and question is None:
        questions = questions_from(batch)
    elif question is not None and batch is None:
        questions = iter([question])
    else:
        raise click.UsageError("give either a QUESTION or --batch FILE")
    archive = open_archive(database_path(load_environment(), db))
    for text in questions:
        answer = archive.ask(text, k)
        if as_json:
            click.echo(json.dumps(answer_json(answer), ensure_ascii=False))
        else:
            click.echo(render_answer_text(answer, texts_for(detect_language(text))))
        sys.stdout.flush()


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def eval_text(report: EvalReport) -> str:
    lines = [
        f"questions {report.questions}",
        f"R@1 {100 * report.recall_at_1:.1f}  R@5 {100 * report.recall_at_5:.1f}"
        f"  MRR@10 {100 * report.mrr_at_10:.1f}",
        f"declined {percent(report.declined)}",
    ]
    if report.answer_in_sentence is not None:
        lines.append(
            f"answer in the marked sentence {percent(report.answer_in_sentence)}"
            f" (of {report.with_answer} questions with an answer);"
            f" in the first quote, from any article {percent(report.answer_in_first_quote)}"
        )
    if report.unanswerable:
        lines.append(
            f"unanswerable questions {report.unanswerable}:"
            f" declined {percent(report.unanswerable_declined)}"
        )
    if report.gold_left_out:
        lines.append(
            f"asked again without their gold story {report.gold_left_out}:"
            f" declined {percent(report.gold_left_out_declined)}"
        )
    return "\n".join(lines)


@main.command(name="eval")
@db_option
@click.option("--json", "as_json", is_flag=True, help="The report as one JSON object.")
@click.option(
    "--without",
    "switched_off",
    multiple=True,
    type=click.Choice(FEATURES),
    help="Rank without this feature (repeatable), to measure what it adds.",
)
@click.option(
    "--leave-out-gold",
    is_flag=True,
    help="Also ask each answerable question with its gold story left out of the index; the"
    " archive should decline it.",
)
@click.argument("question_files", type=click.File("r", encoding="utf-8"), nargs=-1, required=True)
def evaluate_answers(
    db: str | None,
    as_json: bool,
    switched_off: tuple[str, ...],
    leave_out_gold: bool,
    question_files: tuple[IO[str], ...],
) -> None:
    """Measure the answers to QUESTION_FILES (JSONL: question, article_id, answer; an
    article_id of null marks a question no article answers): R@1, R@5, MRR@10, the share
    whose answer is in the marked sentence, and the declines."""
    try:
        items = [item for file in question_files for item in read_questions(file, file.name)]
    except QuestionFileError as error:
        fail(str(error), EXIT_SETTINGS)
    ranking = RankingWeights().without(*switched_off)
    archive = open_archive(database_path(load_environment(), db), ranking)

    def ask_without(question: str, gold: str) -> Answer:
        return archive.ask(question, EVAL_DEPTH, leave_out=[gold])

    report = evaluate(
        items,
        lambda text: archive.ask(text, EVAL_DEPTH),
        archive.story_of_article,
        ask_without if leave_out_gold else None,
    )
    click.echo(json.dumps(dataclasses.asdict(report)) if as_json else eval_text(report))


@main.command()
@db_option
def stats(db: str | None) -> None:
    """What the archive holds: articles, passages, outlets, dates, last indexing."""
    db_path = database_path(load_environment(), db)
    try:
        stats = stats_of(db_path)
    except NewsbotError as error:
        fail(str(error))
    click.echo(stats_text(stats, db_path))


@main.command()
@db_option
def run(db: str | None) -> None:
    """Run the Telegram bot: long polling, or a webhook when NEWSBOT_WEBHOOK_URL is set."""
    try:
        settings = BotSettings.from_env(load_environment(), db)
    except ConfigError as error:
        fail(str(error), EXIT_SETTINGS)
    try:
        # Telegram loads only here: the indexer's worker processes import this module again
        # (it is the program's main) and need none of it.
        # PTB's durations as timedelta, its coming default; otherwise it warns at every flood
        # wait Telegram asks for.
        os.environ.setdefault("PTB_TIMEDELTA", "1")
        from bot.app import run as run_bot  # noqa: PLC0415

        if not settings.db_path.is_file():
            open_archive(settings.db_path)  # fails, saying how to create the archive
        # The bot's own tables come with the archive's schema: this brings it up to date.
        conversations = Conversations(settings.db_path)
        run_bot(settings, open_archive(settings.db_path), conversations)
    except NewsbotError as error:
        fail(str(error))
