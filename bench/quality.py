"""Quality benchmark: newsbot's ``Archive`` against rank-bm25, bm25s and SQLite FTS5 on FacQA.

Run ``python -m bench.quality [--split valid|train|both] [--smoke] [--facqa DIR]``.

Quality is measured per story, as ``newsbot eval`` counts it (``index.evaluate``): a FacQA
passage is one of our articles (which we may split into several passages), our ingest groups
copies of one story (1,369 FacQA passages form 1,342 stories), and a hit counts when it comes
from the gold article's story. Every system's ranking is read as its distinct stories in order,
with the same grouping; the gold's rank is its story's first appearance, and a question whose
gold story is not among the first ten (or that has no hits) is a miss.
Latency is one bot-sized question: ``Archive.ask(q, k=3)`` for us, question tokens +
``get_scores`` + top 3 for each peer, so both sides pay for turning the question into terms.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
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
from index.models import RawArticle
from index.sources import read_file, source_files

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FACQA = ROOT.parent / "shared" / "dev" / "facqa"
SAMPLE = ROOT / "index" / "sample"
SPLITS = ("valid", "train")

DEPTH = 10  # MRR@10 needs the first ten distinct articles
SEARCH_K = 30  # passages asked for first; doubled while dedupe leaves fewer than DEPTH articles
LATENCY_K = 3  # what the bot asks for
SMOKE_PASSAGES = 50
EXIT_MISSING_DATA = 2

# Hand-written questions over index/sample, for a smoke run where ../shared is not checked out.
SAMPLE_QUESTIONS = (
    ("sample-1", "Berapa nilai transaksi Festival Kopi Priangan?", "01_festival-kopi-bandung"),
    ("sample-2", "Siapa juara maraton putra Lari Tepian Toba 2024?", "02_maraton-danau-toba"),
    (
        "sample-3",
        "How many olive ridley hatchlings did the Jembrana hatchery release?",
        "11_sea-turtle-hatchery-bali",
    ),
)


@dataclass(frozen=True)
class Question:
    qid: str
    text: str
    gold: str  # the gold passage's id, which is our article_id


@dataclass(frozen=True)
class Dataset:
    description: str
    sources: tuple[Path, ...]
    splits: dict[str, tuple[Question, ...]]
    readme: Path | None


@dataclass(frozen=True)
class Measurement:
    ranking: list[str]  # distinct article ids, best first, at most DEPTH
    seconds: float  # the bot-sized (top 3) call only


@dataclass(frozen=True)
class Result:
    name: str
    ranks: tuple[int | None, ...]  # 1-based rank of the gold article, None for a miss
    seconds: tuple[float, ...]


class System(Protocol):
    name: str

    def measure(self, question: str) -> Measurement: ...


# --- data ---------------------------------------------------------------------------------


def required_files(facqa: Path, splits: Sequence[str]) -> list[Path]:
    return [facqa / "passages.jsonl", *(facqa / f"questions-{split}.jsonl" for split in splits)]


def read_questions(path: Path, keep: set[str] | None = None) -> tuple[Question, ...]:
    """Questions of one split; with ``keep``, only those whose gold passage is in it."""
    questions: list[Question] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                record = json.loads(line)
                questions.append(Question(record["qid"], record["question"], record["passage_id"]))
    return tuple(q for q in questions if keep is None or q.gold in keep)


def facqa_dataset(facqa: Path, splits: Sequence[str]) -> Dataset:
    return Dataset(
        description=f"FacQA, all passages ({facqa})",
        sources=(facqa / "passages.jsonl",),
        splits={split: read_questions(facqa / f"questions-{split}.jsonl") for split in splits},
        readme=facqa / "README.md",
    )


def smoke_dataset(facqa: Path, splits: Sequence[str], workdir: Path) -> Dataset:
    """The first passages only, and the questions they answer, so CI finishes in seconds."""
    with (facqa / "passages.jsonl").open(encoding="utf-8") as lines:
        head = [line for line in lines if line.strip()][:SMOKE_PASSAGES]
    subset = workdir / "passages-smoke.jsonl"
    subset.write_text("".join(head), encoding="utf-8")
    ids = {json.loads(line)["id"] for line in head}
    return Dataset(
        description=f"FacQA smoke: first {len(head)} passages ({facqa})",
        sources=(subset,),
        splits={
            split: read_questions(facqa / f"questions-{split}.jsonl", ids) for split in splits
        },
        readme=facqa / "README.md",
    )


def sample_dataset() -> Dataset:
    questions = tuple(Question(*fields) for fields in SAMPLE_QUESTIONS)
    return Dataset(
        description=f"smoke: index/sample with {len(questions)} hand-written questions",
        sources=(SAMPLE,),
        splits={"sample": questions},
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


def distinct(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


class Ours:
    name = "newsbot Archive.ask"

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def measure(self, question: str) -> Measurement:
        start = time.perf_counter()
        self.archive.ask(question, k=LATENCY_K)
        seconds = time.perf_counter() - start
        return Measurement(self.ranking(question), seconds)

    def ranking(self, question: str) -> list[str]:
        # Several passages of one article may come back; ask for more until ten articles remain
        # or the engine has nothing more to give.
        k = SEARCH_K
        while True:
            hits = self.archive.ask(question, k=k).hits
            ids = distinct(hit.article_id for hit in hits)
            if len(ids) >= DEPTH or len(hits) < k:
                return ids[:DEPTH]
            k *= 2


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


Tokenizer = Callable[[str], list[str]]


class Peer:
    def __init__(
        self, name: str, model: BM25Okapi, article_ids: Sequence[str], tokenize: Tokenizer
    ) -> None:
        self.name = name
        self.model = model
        self.article_ids = article_ids
        self.tokenize = tokenize

    def measure(self, question: str) -> Measurement:
        start = time.perf_counter()
        scores = np.asarray(self.model.get_scores(self.tokenize(question)), dtype=np.float64)
        top_indices(scores, LATENCY_K)
        seconds = time.perf_counter() - start
        ranking = [self.article_ids[i] for i in top_indices(scores, DEPTH)]
        return Measurement(ranking, seconds)


def timed_search(search: Callable[[str, int], list[str]], question: str) -> Measurement:
    """The ranking of ``search``, timed at the bot's size."""
    start = time.perf_counter()
    search(question, LATENCY_K)
    seconds = time.perf_counter() - start
    return Measurement(search(question, DEPTH), seconds)


class Fts5Peer:
    """SQLite FTS5 over our terms, ranked by its ``bm25()``, the question's terms OR-ed (AND
    finds nothing for most questions)."""

    name = "SQLite FTS5 bm25(), our tokens OR-ed"

    def __init__(self, article_ids: Sequence[str], documents: Sequence[Sequence[str]]) -> None:
        self.connection = sqlite3.connect(":memory:")
        # Our terms hold digits with "," and "." ("19,8"): keep them inside tokens.
        self.connection.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(article_id UNINDEXED, terms,"
            " tokenize = \"unicode61 tokenchars ',.'\")"
        )
        self.connection.executemany(
            "INSERT INTO docs (article_id, terms) VALUES (?, ?)",
            zip(article_ids, (" ".join(terms) for terms in documents), strict=True),
        )

    def search(self, question: str, k: int) -> list[str]:
        terms = dict.fromkeys(analyze_question(question))
        if not terms:
            return []
        query = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
        return [
            row[0]
            for row in self.connection.execute(
                "SELECT article_id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
                [query, k],
            )
        ]

    def measure(self, question: str) -> Measurement:
        return timed_search(self.search, question)


class Bm25sPeer:
    """bm25s with Lucene's formula and our k1 and b, over our terms."""

    name = f"bm25s {bm25s.__version__} lucene, our tokens"

    def __init__(self, article_ids: Sequence[str], documents: Sequence[Sequence[str]]) -> None:
        self.article_ids = article_ids
        self.retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
        self.retriever.index([list(terms) for terms in documents], show_progress=False)

    def search(self, question: str, k: int) -> list[str]:
        terms = analyze_question(question)
        if not terms:
            return []
        found = self.retriever.retrieve(
            [terms], k=min(k, len(self.article_ids)), show_progress=False, n_threads=0
        )
        return [
            self.article_ids[int(row)]
            for row, score in zip(found.documents[0], found.scores[0], strict=True)
            if score > 0
        ]

    def measure(self, question: str) -> Measurement:
        return timed_search(self.search, question)


def whitespace_tokens(text: str) -> list[str]:
    return text.lower().split()


def peers(articles: Sequence[RawArticle]) -> list[System]:
    ids = [article.article_id for article in articles]
    ours = [analyze(article_text(article)) for article in articles]
    plain = [whitespace_tokens(article_text(article)) for article in articles]
    return [
        Peer("rank-bm25 Okapi, our tokens", BM25Okapi(ours), ids, analyze_question),
        Peer(
            f"rank-bm25 Lucene idf k1={K1} b={B}, our tokens",
            LuceneBM25(ours, k1=K1, b=B),
            ids,
            analyze_question,
        ),
        Peer("rank-bm25 Okapi, lowercase+split", BM25Okapi(plain), ids, whitespace_tokens),
        Bm25sPeer(ids, ours),
        Fts5Peer(ids, ours),
    ]


# --- measuring ----------------------------------------------------------------------------


def gold_rank(ranking: Sequence[str], gold: str) -> int | None:
    return ranking.index(gold) + 1 if gold in ranking else None


def evaluate(
    system: System, questions: Sequence[Question], story_of: Callable[[str], str]
) -> Result:
    if questions:
        # The first call opens SQLite and fills caches; it would skew a small run's p95.
        system.measure(questions[0].text)
    measurements = [system.measure(question.text) for question in questions]
    return Result(
        name=system.name,
        ranks=tuple(
            gold_rank(distinct(map(story_of, measured.ranking)), story_of(question.gold))
            for measured, question in zip(measurements, questions, strict=True)
        ),
        seconds=tuple(m.seconds for m in measurements),
    )


def recall_at(ranks: Sequence[int | None], cutoff: int) -> float:
    return sum(rank is not None and rank <= cutoff for rank in ranks) / len(ranks)


def mrr(ranks: Sequence[int | None]) -> float:
    return sum(1 / rank for rank in ranks if rank is not None and rank <= DEPTH) / len(ranks)


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


def table_row(result: Result, ours_p50: float) -> tuple[str, ...]:
    if not result.ranks:
        return (result.name, *("-" * 6))
    p50 = percentile(result.seconds, 0.5)
    return (
        result.name,
        f"{100 * recall_at(result.ranks, 1):.1f}",
        f"{100 * recall_at(result.ranks, 5):.1f}",
        f"{100 * mrr(result.ranks):.1f}",
        f"{1000 * p50:.2f}",
        f"{1000 * percentile(result.seconds, 0.95):.2f}",
        f"{p50 / ours_p50:.2f}x" if ours_p50 > 0 else "-",
    )


def results_table(results: Sequence[Result]) -> str:
    ours = results[0]
    ours_p50 = percentile(ours.seconds, 0.5) if ours.seconds else 0.0
    return format_table([HEADER, *(table_row(result, ours_p50) for result in results)])


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
    for questions in dataset.splits.values():
        # Sastrawi stems a word slowly the first time; warm its cache so no system pays for it.
        for question in questions:
            analyze_question(question.text)
    systems: list[System] = [Ours(archive), *peers(articles)]

    def story_of(article_id: str) -> str:
        return archive.story_of_article(article_id) or article_id

    for split, questions in dataset.splits.items():
        print(f"\nsplit {split}: {len(questions)} questions")
        print(results_table([evaluate(system, questions, story_of) for system in systems]))
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
