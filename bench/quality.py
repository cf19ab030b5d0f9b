"""Quality benchmark: newsbot's ``Archive`` against rank-bm25, bm25s and SQLite FTS5 on FacQA.

Run ``python -m bench.quality [--split valid|train|both] [--smoke] [--facqa DIR]``.

Every figure is counted by ``index.evaluate.evaluate``, the code behind ``newsbot eval``: each
system turns a question into an ``Answer`` of up to ten hits, one per story, and a hit counts
when its story is the gold article's story (a FacQA passage is one of our articles, and our
ingest groups copies of one story: 1,369 FacQA passages form 1,342 stories). Ours is
``Archive.ask(q, k=10)``, which may decline (a declined question is a miss); a peer's answer is
its ranking read as distinct stories in order, with the same grouping, never declined.
Latency is the system's own call for that answer: ``Archive.ask`` for us; question tokens,
scoring and the top passages (enough for ten stories) for each peer, so both sides pay for
turning the question into terms.

Two blocks follow the table of each split: our ranking with each feature of
``index.rank.FEATURES`` switched off, and with all of them (BM25 alone); and the gate, the share
of questions our archive declines: the answerable ones, the committed unanswerable ones
(``bench/questions/unanswerable.jsonl``) and the answerable ones asked with their gold story
left out of the index.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import re
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import bm25s  # type: ignore[import-untyped]  # no type hints
import numpy as np
import numpy.typing as npt
from rank_bm25 import BM25Okapi

from bench.report import format_table
from index.analysis import analyze, analyze_question
from index.archive import Archive
from index.engine import K1, B
from index.evaluate import DEPTH, EvalQuestion, EvalReport, evaluate, read_questions
from index.models import Answer, Hit, RawArticle
from index.rank import FEATURES, RankingWeights
from index.sources import read_file, source_files

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FACQA = ROOT.parent / "shared" / "dev" / "facqa"
SAMPLE = ROOT / "index" / "sample"
UNANSWERABLE = ROOT / "bench" / "questions" / "unanswerable.jsonl"
SPLITS = ("valid", "train")

OURS = "newsbot Archive.ask"
SEARCH_K = 30  # passages a peer ranks first; doubled while they hold fewer than DEPTH stories
SMOKE_PASSAGES = 50
SMOKE_QUESTIONS = 8  # per split, and of the unanswerable ones
EXIT_MISSING_DATA = 2

# Hand-written questions over index/sample, for a smoke run where ../shared is not checked out.
SAMPLE_QUESTIONS = (
    EvalQuestion("Berapa nilai transaksi Festival Kopi Priangan?", "01_festival-kopi-bandung"),
    EvalQuestion("Siapa juara maraton putra Lari Tepian Toba 2024?", "02_maraton-danau-toba"),
    EvalQuestion(
        "How many olive ridley hatchlings did the Jembrana hatchery release?",
        "11_sea-turtle-hatchery-bali",
    ),
)


@dataclass(frozen=True)
class Dataset:
    description: str
    sources: tuple[Path, ...]
    splits: dict[str, tuple[EvalQuestion, ...]]
    unanswerable: tuple[EvalQuestion, ...]
    readme: Path | None


@dataclass(frozen=True)
class Measurement:
    answer: Answer  # up to DEPTH hits, one per story
    seconds: float  # the system's own call only


@dataclass(frozen=True)
class Result:
    name: str
    report: EvalReport
    seconds: tuple[float, ...]


class System(Protocol):
    name: str

    def measure(self, question: str) -> Measurement: ...


# --- data ---------------------------------------------------------------------------------


def required_files(facqa: Path, splits: Sequence[str]) -> list[Path]:
    return [facqa / "passages.jsonl", *(facqa / f"questions-{split}.jsonl" for split in splits)]


def questions_in(path: Path, keep: set[str] | None = None) -> tuple[EvalQuestion, ...]:
    """The questions of one file, as ``newsbot eval`` reads them; with ``keep``, only those
    whose gold article is in it."""
    with path.open(encoding="utf-8") as lines:
        questions = read_questions(lines, str(path))
    return tuple(q for q in questions if keep is None or q.article_id in keep)


def unanswerable_questions(limit: int | None = None) -> tuple[EvalQuestion, ...]:
    """The committed questions no article answers (``"article_id": null``)."""
    questions = [q for q in questions_in(UNANSWERABLE) if q.article_id is None]
    return tuple(questions[:limit])


def facqa_dataset(facqa: Path, splits: Sequence[str]) -> Dataset:
    return Dataset(
        description=f"FacQA, all passages ({facqa})",
        sources=(facqa / "passages.jsonl",),
        splits={split: questions_in(facqa / f"questions-{split}.jsonl") for split in splits},
        unanswerable=unanswerable_questions(),
        readme=facqa / "README.md",
    )


def smoke_dataset(facqa: Path, splits: Sequence[str], workdir: Path) -> Dataset:
    """The first passages only, and a few of the questions they answer, so CI finishes in
    seconds."""
    with (facqa / "passages.jsonl").open(encoding="utf-8") as lines:
        head = [line for line in lines if line.strip()][:SMOKE_PASSAGES]
    subset = workdir / "passages-smoke.jsonl"
    subset.write_text("".join(head), encoding="utf-8")
    ids = {json.loads(line)["id"] for line in head}
    return Dataset(
        description=f"FacQA smoke: first {len(head)} passages ({facqa})",
        sources=(subset,),
        splits={
            split: questions_in(facqa / f"questions-{split}.jsonl", ids)[:SMOKE_QUESTIONS]
            for split in splits
        },
        unanswerable=unanswerable_questions(SMOKE_QUESTIONS),
        readme=facqa / "README.md",
    )


def sample_dataset() -> Dataset:
    return Dataset(
        description=f"smoke: index/sample with {len(SAMPLE_QUESTIONS)} hand-written questions",
        sources=(SAMPLE,),
        splits={"sample": SAMPLE_QUESTIONS},
        unanswerable=unanswerable_questions(SMOKE_QUESTIONS),
        readme=None,
    )


def read_articles(sources: Iterable[Path]) -> list[RawArticle]:
    """The records exactly as ``index_sources`` reads them, so peers see the same corpus."""
    articles: list[RawArticle] = []
    for source in sources:
        for path, root in source_files(source):
            articles.extend(item for item in read_file(path, root) if isinstance(item, RawArticle))
    return articles


def article_text(article: RawArticle) -> str:
    return f"{article.title}\n{article.body}" if article.title else article.body


# --- systems ------------------------------------------------------------------------------


class Ours:
    """``Archive.ask`` with its ten best stories."""

    def __init__(self, archive: Archive, name: str = OURS) -> None:
        self.archive = archive
        self.name = name

    def measure(self, question: str) -> Measurement:
        start = time.perf_counter()
        answer = self.ask(question)
        seconds = time.perf_counter() - start
        return Measurement(answer, seconds)

    def ask(self, question: str) -> Answer:
        return self.archive.ask(question, k=DEPTH)

    def ask_without(self, question: str, gold: str) -> Answer:
        return self.archive.ask(question, k=DEPTH, leave_out=[gold])


class LuceneBM25(BM25Okapi):  # type: ignore[misc]  # rank_bm25 is untyped
    """BM25Okapi with Lucene's never-negative IDF, the formula our engine uses."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
        for word, frequency in nd.items():
            self.idf[word] = math.log1p((self.corpus_size - frequency + 0.5) / (frequency + 0.5))
        self.average_idf = sum(self.idf.values()) / len(self.idf)


def top_indices(scores: npt.NDArray[np.float64], k: int) -> npt.NDArray[np.int64]:
    """Best first, ties by corpus order; a zero score matched no term and is not a hit."""
    matched = np.flatnonzero(scores > 0)
    order = np.lexsort((matched, -scores[matched]))[:k]
    result: npt.NDArray[np.int64] = matched[order]
    return result


Ranked = list[tuple[int, float]]  # (position in the corpus, score), best first
Search = Callable[[str, int], Ranked]  # (question, k) -> at most k ranked passages
Tokenizer = Callable[[str], list[str]]


class Peer:
    """A peer's ranking read as our answer: one hit per distinct story, in rank order."""

    def __init__(
        self,
        name: str,
        search: Search,
        articles: Sequence[RawArticle],
        stories: Sequence[str],
    ) -> None:
        self.name = name
        self.search = search
        self.articles = articles
        self.stories = stories  # the story of each article, in corpus order

    def measure(self, question: str) -> Measurement:
        start = time.perf_counter()
        ranked = self.ranking(question)
        seconds = time.perf_counter() - start
        return Measurement(self.answer(question, ranked), seconds)

    def ranking(self, question: str) -> Ranked:
        """Enough passages for DEPTH stories, or all the peer finds."""
        k = SEARCH_K
        while True:
            ranked = self.search(question, k)
            stories = {self.stories[position] for position, _ in ranked}
            if len(stories) >= DEPTH or len(ranked) < k:
                return ranked
            k *= 2

    def answer(self, question: str, ranked: Ranked) -> Answer:
        hits: list[Hit] = []
        seen: set[str] = set()
        for position, score in ranked:
            story = self.stories[position]
            if story in seen:
                continue
            seen.add(story)
            article = self.articles[position]
            hits.append(
                Hit(
                    rank=len(hits) + 1,
                    score=score,
                    passage_id=article.article_id,
                    text=article_text(article),
                    article_id=article.article_id,
                    title=article.title,
                    outlet=article.outlet,
                    url=article.url,
                    published=article.published,
                    story_id=story,
                )
            )
            if len(hits) == DEPTH:
                break
        return Answer(question=question, hits=tuple(hits))


def rank_bm25_search(model: BM25Okapi, tokenize: Tokenizer) -> Search:
    def search(question: str, k: int) -> Ranked:
        scores = np.asarray(model.get_scores(tokenize(question)), dtype=np.float64)
        return [(int(row), float(scores[row])) for row in top_indices(scores, k)]

    return search


class Fts5Search:
    """SQLite FTS5 over our terms, ranked by its ``bm25()``, the question's terms OR-ed (AND
    finds nothing for most questions)."""

    name = "SQLite FTS5 bm25(), our tokens OR-ed"

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self.connection = sqlite3.connect(":memory:")
        # Our terms hold digits with "," and "." ("19,8"): keep them inside tokens.
        self.connection.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(terms, tokenize = \"unicode61 tokenchars ',.'\")"
        )
        self.connection.executemany(
            "INSERT INTO docs (rowid, terms) VALUES (?, ?)",
            enumerate(" ".join(terms) for terms in documents),
        )

    def __call__(self, question: str, k: int) -> Ranked:
        terms = dict.fromkeys(analyze_question(question))
        if not terms:
            return []
        query = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
        # bm25() is lower for a better match.
        return [
            (int(row), -float(score))
            for row, score in self.connection.execute(
                "SELECT rowid, bm25(docs) FROM docs WHERE docs MATCH ? ORDER BY bm25(docs)"
                " LIMIT ?",
                [query, k],
            )
        ]


class Bm25sSearch:
    """bm25s with Lucene's formula and our k1 and b, over our terms."""

    name = f"bm25s {bm25s.__version__} lucene, our tokens"

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self.size = len(documents)
        self.retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
        self.retriever.index([list(terms) for terms in documents], show_progress=False)

    def __call__(self, question: str, k: int) -> Ranked:
        terms = analyze_question(question)
        if not terms:
            return []
        found = self.retriever.retrieve(
            [terms], k=min(k, self.size), show_progress=False, n_threads=0
        )
        return [
            (int(row), float(score))
            for row, score in zip(found.documents[0], found.scores[0], strict=True)
            if score > 0
        ]


def whitespace_tokens(text: str) -> list[str]:
    return text.lower().split()


def peers(articles: Sequence[RawArticle], archive: Archive) -> list[System]:
    stories = [
        archive.story_of_article(article.article_id) or article.article_id for article in articles
    ]
    ours = [analyze(article_text(article)) for article in articles]
    plain = [whitespace_tokens(article_text(article)) for article in articles]
    fts5, bm25s_search = Fts5Search(ours), Bm25sSearch(ours)
    searches: list[tuple[str, Search]] = [
        ("rank-bm25 Okapi, our tokens", rank_bm25_search(BM25Okapi(ours), analyze_question)),
        (
            f"rank-bm25 Lucene idf k1={K1} b={B}, our tokens",
            rank_bm25_search(LuceneBM25(ours, k1=K1, b=B), analyze_question),
        ),
        (
            "rank-bm25 Okapi, lowercase+split",
            rank_bm25_search(BM25Okapi(plain), whitespace_tokens),
        ),
        (bm25s_search.name, bm25s_search),
        (fts5.name, fts5),
    ]
    return [Peer(name, search, articles, stories) for name, search in searches]


def ablations(db_path: Path) -> list[Ours]:
    """Ours with each ranking feature switched off, then with all of them (BM25 alone)."""
    weights = RankingWeights()
    variants = [(f"newsbot without {feature}", weights.without(feature)) for feature in FEATURES]
    variants.append(("newsbot BM25 only", weights.without(*FEATURES)))
    return [Ours(Archive(db_path, ranking), name) for name, ranking in variants]


# --- measuring ----------------------------------------------------------------------------


def measure(
    system: System,
    questions: Sequence[EvalQuestion],
    story_of_article: Callable[[str], str | None],
) -> Result:
    """The system's report on the questions, as ``newsbot eval`` counts it, and the time each
    question took."""
    if questions:
        # The first call opens SQLite and fills caches; it would skew a small run's p95.
        system.measure(questions[0].question)
    seconds: list[float] = []

    def ask(question: str) -> Answer:
        measured = system.measure(question)
        seconds.append(measured.seconds)
        return measured.answer

    report = evaluate(questions, ask, story_of_article)
    return Result(system.name, report, tuple(seconds))


def gate(
    ours: Ours,
    questions: Sequence[EvalQuestion],
    unanswerable: Sequence[EvalQuestion],
) -> EvalReport:
    """Our declines: on the answerable questions, the unanswerable ones, and the answerable
    ones asked again with their gold story left out."""
    return evaluate(
        [*questions, *unanswerable],
        ours.ask,
        ours.archive.story_of_article,
        ask_without=ours.ask_without,
    )


_NAME = re.compile(r"\b[A-Z][a-z]{5,}\b")


def misspelled(question: EvalQuestion) -> EvalQuestion | None:
    """The question with a letter left out of the middle of its longest capitalised word of
    six letters or more (a name, typed in haste); ``None`` when it has none."""
    names = _NAME.findall(question.question)
    if not names:
        return None
    name = max(names, key=len)
    typo = name[: len(name) // 2] + name[len(name) // 2 + 1 :]
    return replace(question, question=question.question.replace(name, typo, 1))


def spelling_line(archive: Archive, db_path: Path, questions: Sequence[EvalQuestion]) -> str:
    """R@1 on the questions with a name misspelled, with and without spelling correction."""
    typed = [typo for question in questions if (typo := misspelled(question))]
    without = Archive(db_path, RankingWeights().without("spelling"))
    recall = [
        evaluate(typed, functools.partial(system.ask, k=DEPTH), archive.story_of_article)
        for system in (archive, without)
    ]
    return (
        f"misspelled names ({len(typed)} questions, a letter left out of a name):"
        f" R@1 {100 * recall[0].recall_at_1:.1f} with spelling,"
        f" {100 * recall[1].recall_at_1:.1f} without"
    )


def percentile(values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def index_corpus(db_path: Path, sources: Sequence[Path]) -> float:
    """Seconds ``index_sources`` took; failures are printed, not fatal."""
    from index.ingest import index_sources

    start = time.perf_counter()
    report = index_sources(db_path, sources)
    seconds = time.perf_counter() - start
    for failure in report.failures:
        print(f"index failure: {failure.where}: {failure.reason}")
    return seconds


# --- output -------------------------------------------------------------------------------

HEADER = ("system", "R@1", "R@5", "MRR@10", "p50 ms", "p95 ms", "p50/ours")
ABLATION_HEADER = ("ablation", "R@1", "R@5", "MRR@10", "declined")


def percent(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.1f}"


def quality_cells(report: EvalReport) -> tuple[str, str, str]:
    return (percent(report.recall_at_1), percent(report.recall_at_5), percent(report.mrr_at_10))


def table_row(result: Result, ours_p50: float) -> tuple[str, ...]:
    if not result.report.questions:
        return (result.name, *("-" * 6))
    p50 = percentile(result.seconds, 0.5)
    return (
        result.name,
        *quality_cells(result.report),
        f"{1000 * p50:.2f}",
        f"{1000 * percentile(result.seconds, 0.95):.2f}",
        f"{p50 / ours_p50:.2f}x" if ours_p50 > 0 else "-",
    )


def results_table(results: Sequence[Result]) -> str:
    ours = results[0]
    ours_p50 = percentile(ours.seconds, 0.5) if ours.seconds else 0.0
    return format_table([HEADER, *(table_row(result, ours_p50) for result in results)])


def ablation_table(results: Sequence[Result]) -> str:
    """Quality only: the variants are timed, but their latency is not what they show."""
    rows = [
        (result.name, *quality_cells(result.report), percent(result.report.declined))
        if result.report.questions
        else (result.name, *("-" * 4))
        for result in results
    ]
    return format_table([ABLATION_HEADER, *rows])


def gate_line(report: EvalReport) -> str:
    return (
        f"declined: answerable {percent(report.declined)}%,"
        f" unanswerable (ours, {report.unanswerable}) {percent(report.unanswerable_declined)}%,"
        f" gold left out ({report.gold_left_out}) {percent(report.gold_left_out_declined)}%"
    )


def reported_rows(readme: Path | None) -> list[tuple[str, ...]]:
    """The README's reference table rows (system, R@1, R@5, MRR@10), if it has one."""
    if readme is None or not readme.is_file():
        return []
    rows: list[tuple[str, ...]] = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        cells = tuple(cell.strip() for cell in line.strip().strip("|").split("|"))
        is_row = line.startswith("|") and len(cells) == 4
        # Skip the header and the |---| separator line.
        if is_row and cells[0] != "system" and not set(cells[1]) <= {"-", ":"}:
            rows.append(cells)
    return rows


def print_reported(readme: Path | None) -> None:
    rows = reported_rows(readme)
    if rows:
        print(f"\nreported in {readme}, not measured here (valid split, all passages):")
        print(format_table([("system", "R@1", "R@5", "MRR@10"), *rows]))


# --- main ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__)
    parser.add_argument("--split", choices=(*SPLITS, "both"), default="valid")
    parser.add_argument("--smoke", action="store_true", help="a tiny run for CI")
    parser.add_argument("--facqa", type=Path, default=DEFAULT_FACQA, help="the FacQA folder")
    return parser.parse_args(argv)


def choose_dataset(args: argparse.Namespace, workdir: Path) -> Dataset | None:
    """``None`` when the FacQA files are missing and only a real run would do."""
    splits = SPLITS if args.split == "both" else (args.split,)
    missing = [path for path in required_files(args.facqa, splits) if not path.is_file()]
    if missing:
        if args.smoke:
            return sample_dataset()
        print(
            "FacQA dev set not found; expected "
            + ", ".join(str(path) for path in missing)
            + f" (pass --facqa DIR, or check out ../shared next to {ROOT})",
            file=sys.stderr,
        )
        return None
    if args.smoke:
        return smoke_dataset(args.facqa, splits, workdir)
    return facqa_dataset(args.facqa, splits)


def run(dataset: Dataset, db_path: Path) -> None:
    seconds = index_corpus(db_path, dataset.sources)
    rss_after_indexing = peak_rss_mb()
    archive = Archive(db_path)
    stats = archive.stats()
    articles = read_articles(dataset.sources)
    print(f"corpus: {dataset.description}")
    print(
        f"  {stats.articles} articles, {stats.passages} passages; indexed in {seconds:.2f} s"
        f" ({len(articles) / seconds:.0f} records/s, {stats.passages / seconds:.0f} passages/s)"
    )
    print(f"  peak RSS after indexing: {rss_after_indexing:.1f} MB")
    for questions in [*dataset.splits.values(), dataset.unanswerable]:
        # Sastrawi stems a word slowly the first time; warm its cache so no system pays for it.
        for question in questions:
            analyze_question(question.question)
    ours = Ours(archive)
    systems: list[System] = [ours, *peers(articles, archive)]
    variants = ablations(db_path)
    story_of_article = archive.story_of_article
    for split, questions in dataset.splits.items():
        print(f"\nsplit {split}: {len(questions)} questions")
        results = [measure(system, questions, story_of_article) for system in systems]
        print(results_table(results))
        ablated = [measure(variant, questions, story_of_article) for variant in variants]
        print()
        print(ablation_table([results[0], *ablated]))
        print()
        print(gate_line(gate(ours, questions, dataset.unanswerable)))
        print(spelling_line(archive, db_path, questions))
    print_reported(dataset.readme)
    print(f"\npeak RSS at the end (peers built): {peak_rss_mb():.1f} MB")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-") as tmp:
        workdir = Path(tmp)
        dataset = choose_dataset(args, workdir)
        if dataset is None:
            return EXIT_MISSING_DATA
        run(dataset, workdir / "archive.db")
    return 0


if __name__ == "__main__":
    sys.exit(main())
