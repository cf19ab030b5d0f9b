"""Scale benchmark: newsbot's BM25 engine at a million passages, against bm25s, SQLite FTS5 and
rank-bm25 measured in the same run, on the same passages and questions.

Run ``python -m bench.scale [--smoke] [--passages N] [--questions Q] [--seed S] [--shared DIR]``.

Corpus. Word frequencies are counted with ``index.analysis.words`` over the bodies of every
article in ``../shared/corpus``; N passages of 60 to 120 words are drawn from them by frequency
with a seeded numpy ``Generator`` (about one word in 15 ends a sentence with a full stop, the
next is capitalised) and written one a line to a temporary file: the raw text every build
reads. The words of a passage are independent draws, so posting lists have the lengths real
Indonesian news gives them, but passages have no topics.

Questions. Q real FacQA questions (valid and train), the first Q of a seeded shuffle.

Builds, from the raw text file to an index that answers questions, each system in a fresh
subprocess. Every system's terms but Lucene's (below) come from our analyzer (``analyze``: each
distinct chunk of text between spaces analysed once per process), run in two worker processes
(``index.workers.Workers(2)``) over chunks of 20,000 passages, so the systems differ in the
index they build from the same terms: ours, ``SegmentBuilder.build`` per chunk in the
workers (the analyzer's ``chunk_analyzer`` given each distinct chunk of the texts once; the
peers' token lists come from ``analyze`` per passage, the same terms, which the table's parts
show apart), shifted to the chunk's rows and put together with ``Segment.merge`` into a
``BM25Engine``; bm25s, ``BM25(method="lucene").index`` over the token lists; SQLite FTS5, an
``fts5(terms)`` table filled in one transaction and optimized; rank-bm25, ``BM25Okapi`` with
Lucene's IDF (our formula; the same code path and speed as plain Okapi) over the token lists.
Peak memory of a build is the resident memory of the whole process tree (main process and
workers), sampled every 20 ms. rank-bm25 runs on at most 100,000 passages; its figures at N are
extrapolated linearly and marked ``*``. FTS5 runs on min(N, 100,000) passages, and at N too
when that run is predicted (linearly) to take at most 4 minutes, or with ``--fts5-full``.

Latency. For each system: one warm-up pass over the questions, then R passes; p50 and p95 over
the Q x R timings of one question each, top 10. Every system pays for analysing the question:
ours ``analyze_question`` + ``BM25Engine.search``; bm25s and rank-bm25 get the same tokens
(for a like-for-like comparison, not their own tokenizers); FTS5 gets them OR-ed, each quoted,
and ranks by ``bm25()``. rank-bm25, and FTS5 past 100,000 passages, make one pass after warming
up on the first question only: their questions take a tenth of a second and more. Ratios are
the peer's figure over ours at the same passage count: above 1, ours is faster or smaller.

The archive. Ours is also written the way the indexer writes it (``write_articles`` five
passages an article, ``index_new_passages`` every 100,000 passages, ``mark_indexed``); that
time is reported apart and not counted as the build. A fresh process then times
``Archive(path)`` plus the first ``ask`` (the OS page cache holds the file: it was just
written), answers the questions through ``Archive.ask`` (hits read from SQLite) and reports its
peak resident memory; then 1,000 new passages are analysed (and their segment built), written
with ``write_articles``, indexed, marked, and the archive ``reload``-ed. The target is the time
from written to ``reload`` returning (the issue's "searchable after they are written"); the
analysis and the write are printed beside it. A question for a word only they hold must find
them.

Lucene. Where Debian's liblucene8-java and a JDK are installed, ``bench/lucene/ScaleBench.java``
is compiled into a temporary folder and run at N passages in two JVMs (``-Xmx1g``). The first
builds: one ``IndexWriter`` (``IndonesianAnalyzer`` with its own stopwords and stemmer,
``BM25Similarity`` with our k1 and b, a 256 MB RAM buffer, terms with frequencies and norms but no
positions, as ours) fed the same chunks of the raw text by two threads, closed (merges finished,
committed) without a force-merge; build time is from opening the writer to ``close`` returning.
The second opens the index (``FSDirectory``) and answers as the others do (R timed passes,
after five warm-up passes for the JIT compiler where the others get one): each question
analysed by the same analyzer into a ``BooleanQuery`` of SHOULD term queries, top 10, query
cache off, timed with ``System.nanoTime``. Peak memory is each JVM's
resident memory sampled every 20 ms; the table shows the larger of the two.

Check. On the rank-bm25 corpus, our top-10 scores must equal rank-bm25's within 1e-9
(relative); the largest difference is printed.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt

from bench.report import MeasurementError, format_table, positive
from bench.report import run_child as run_measurement

if TYPE_CHECKING:
    from index.engine import Segment, SegmentBuilder
    from index.models import StoredArticle
    from index.workers import Workers

Item = TypeVar("Item")
Result = TypeVar("Result")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared"
EXIT_MISSING_DATA = 2

DEFAULT_PASSAGES = 1_000_000
DEFAULT_QUESTIONS = 200
DEFAULT_SEED = 20_240_601
SMOKE_PASSAGES = 3_000
SMOKE_QUESTIONS = 20
REPETITIONS = 3
SLOW_REPETITIONS = 1  # rank-bm25, and FTS5 past PEER_LIMIT passages
PEER_LIMIT = 100_000  # rank-bm25's corpus at most; FTS5 is measured here and at N
FTS5_BUDGET_S = 240  # FTS5 at N when its run is predicted to take at most this long

CHUNK = 20_000  # passages a worker analyses at once; a multiple of PASSAGES_PER_ARTICLE
SMOKE_CHUNK = 1_000
WORKERS = 2
AHEAD = 4  # chunks handed to the workers ahead of the one being consumed
PASSAGES_PER_ARTICLE = 5
STORE_SEGMENT_PASSAGES = 100_000  # as index.ingest: a stored segment every this many passages
MIN_WORDS, MAX_WORDS = 60, 120
SENTENCE_WORDS = 15  # one word in this many ends a sentence, on average
ADDED = 1_000
MARKER = "skalabenchmark"  # in every added passage and in no other
MARKER_QUESTION = f"Apa itu {MARKER}?"
DEPTH = 10
SAMPLE_SECONDS = 0.02
INDEXED_AT = "2026-01-01T00:00:00+00:00"
SCORE_TOLERANCE = 1e-9  # ours against rank-bm25, relative
FLOAT32_TOLERANCE = 1e-5  # ours against bm25s, which scores in float32

LUCENE_RUNNER = ROOT / "bench" / "lucene" / "ScaleBench.java"
JAVA_LIBRARIES = Path("/usr/share/java")  # where Debian's liblucene8-java puts its jars
# Debian names them by an upstream version that need not be the package's (8.7.0 in 8.8.1-4).
LUCENE_JARS = ("lucene-core-8*.jar", "lucene-analyzers-common-8*.jar")
LUCENE_HEAP = "-Xmx1g"
LUCENE_RAM_BUFFER_MB = 256

# The targets for our engine at 1,000,000 passages.
TARGET_PASSAGES = 1_000_000
TARGET_P50_MS = 2.0
TARGET_P95_MS = 8.0
TARGET_BUILD_S = 20.0
TARGET_BUILD_GB = 1.5
TARGET_SERVE_GB = 0.6
TARGET_OPEN_S = 1.0
TARGET_ADD_S = 0.5
# Issue "Answers": a whole answer (analysis, search, re-ranking, sentence choice) at 1M passages.
TARGET_ANSWER_P50_MS = 30.0
TARGET_ANSWER_P95_MS = 100.0
# The synthetic articles' publication days: spread over two years up to the bench's "now", so a
# question for "minggu lalu" searches a week of them.
PUBLISHED_UNTIL = "2026-11-28"
PUBLISHED_DAYS = 730
DATED_PHRASE = "minggu lalu"

# For a smoke run without ../shared: a tiny vocabulary (counts fall as 1/rank) and questions.
BUILTIN_WORDS = (
    "yang dan di untuk dengan ini dari itu juga dalam pada akan tidak indonesia ke tersebut "
    "bisa tahun menjadi ada presiden jakarta pemerintah harga pasar rupiah persen ekonomi bank "
    "kota warga polisi sekolah pemilu partai menteri kebijakan banjir gempa bencana listrik "
    "energi minyak gas batu bara sawit ekspor impor investasi pajak anggaran pembangunan jalan "
    "tol bandara pelabuhan kereta api sepak bola timnas piala dunia turnamen pemain pelatih"
).split()
BUILTIN_QUESTIONS = (
    "Berapa persen inflasi Indonesia tahun ini?",
    "Siapa pelatih timnas sepak bola Indonesia?",
    "Kapan pemilu presiden diadakan?",
    "Apa kebijakan pemerintah soal harga minyak?",
    "Di mana banjir melanda kota Jakarta?",
)


# --- helpers for the children -------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    """Passages ``first`` to ``first + count - 1`` of the file, from byte ``offset``."""

    path: str
    offset: int
    first: int
    count: int


def read_chunk(chunk: Chunk) -> list[str]:
    with open(chunk.path, "rb") as lines:
        lines.seek(chunk.offset)
        return [lines.readline().decode("utf-8").rstrip("\n") for _ in range(chunk.count)]


def analysed_chunk(chunk: Chunk) -> list[list[str]]:
    """Index terms of each passage, as the indexer analyses a passage's text."""
    from index.analysis import INDONESIAN, analyze

    return [analyze(text, INDONESIAN) for text in read_chunk(chunk)]


def segment_of_chunk(chunk: Chunk) -> Segment:
    """A worker's job for our build: the chunk's segment, rows numbered from 0, as the indexer
    builds one from passage texts."""
    return segment_builder().build(range(chunk.count), read_chunk(chunk))


@functools.cache
def segment_builder() -> SegmentBuilder:
    """One per worker process: it remembers the chunks of text it has analysed."""
    from index.analysis import INDONESIAN, chunk_analyzer
    from index.engine import SegmentBuilder

    return SegmentBuilder(chunk_analyzer(INDONESIAN))


def terms_of_chunk(chunk: Chunk) -> list[str]:
    """A worker's job for the peers' builds: each passage's terms, separated by spaces."""
    return [" ".join(terms) for terms in analysed_chunk(chunk)]


def stored_chunk(chunk: Chunk) -> tuple[list[str], Segment]:
    """A worker's job for writing the archive: the terms as stored, and the chunk's segment."""
    from index.engine import Segment

    terms = analysed_chunk(chunk)
    return [" ".join(passage) for passage in terms], Segment.build(enumerate(terms))


def in_order(
    pool: Workers, function: Callable[[Item], Result], items: Sequence[Item]
) -> Iterator[Result]:
    """``function`` of each item, computed by the workers, yielded in order; at most ``AHEAD``
    items are handed out beyond the one awaited, so results do not pile up."""
    pending: deque[Future[Result]] = deque()
    for item in items:
        pending.append(pool.submit(function, item))
        if len(pending) > AHEAD:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def token_lists(lines: Iterable[str], interned: dict[str, str]) -> Iterator[list[str]]:
    """Space-separated terms as lists, each distinct term one string object (as a tokenizer's
    vocabulary would hold it): a million passages of fresh strings would not fit in memory."""
    for line in lines:
        yield [interned.setdefault(term, term) for term in line.split()]


def peer_corpus(chunks: Sequence[Chunk]) -> list[list[str]]:
    """Every passage's terms as a list, analysed by the workers: what the peers index."""
    from index.workers import Workers

    interned: dict[str, str] = {}
    corpus: list[list[str]] = []
    with Workers(WORKERS) as pool:
        for terms in in_order(pool, terms_of_chunk, chunks):
            corpus.extend(token_lists(terms, interned))
    return corpus


def rss_kb(pid: int | str, field: str = "VmRSS") -> int:
    """A memory figure of ``/proc/PID/status`` in kB (Linux); 0 when there is none."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def tree_rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants (Linux ``/proc``)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss_kb(current)
        tasks = Path(f"/proc/{current}/task")
        try:
            for task in tasks.iterdir():
                stack.extend(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


class TreeMemory:
    """The peak resident memory of a process (this one unless ``root`` is given) and its
    children while the block runs, sampled every ``SAMPLE_SECONDS``."""

    def __init__(self, root: int | None = None) -> None:
        self.peak_kb = 0
        self._root = os.getpid() if root is None else root
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-memory", daemon=True)

    def sample(self) -> None:
        self.peak_kb = max(self.peak_kb, tree_rss_kb(self._root))

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.sample()

    def __enter__(self) -> TreeMemory:
        self.sample()
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def peak_rss_kb() -> int:
    """This process's peak resident memory. Linux's ``VmHWM``, not ``ru_maxrss``: a process
    started by (v)fork and exec inherits its parent's peak into ``ru_maxrss``."""
    return rss_kb("self", "VmHWM") or workers_peak_rss_kb(resource.RUSAGE_SELF)


def workers_peak_rss_kb(who: int = resource.RUSAGE_CHILDREN) -> int:
    """The largest peak of the finished child processes (at least this process's resident
    memory when it started them; see ``peak_rss_kb``)."""
    peak = resource.getrusage(who).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak // 1024 if sys.platform == "darwin" else peak


Ranked = list[tuple[int, float]]  # (passage number, score), best first


def latencies(
    ask: Callable[[str], Ranked], questions: Sequence[str], repetitions: int, warm_all: bool
) -> tuple[list[float], list[Ranked]]:
    """Seconds of each timed question, and the last pass's rankings."""
    for question in questions if warm_all else questions[:1]:
        ask(question)
    gc.collect()
    seconds: list[float] = []
    rankings: list[Ranked] = []
    for _ in range(repetitions):
        rankings = []
        for question in questions:
            start = time.perf_counter()
            ranked = ask(question)
            seconds.append(time.perf_counter() - start)
            rankings.append(ranked)
    return seconds, rankings


def chunks_of(spec: Mapping[str, Any]) -> list[Chunk]:
    return [Chunk(spec["passages"], *fields) for fields in spec["chunks"]]


def questions_of(spec: Mapping[str, Any]) -> list[str]:
    questions: list[str] = json.loads(Path(spec["questions"]).read_text(encoding="utf-8"))
    return questions


# --- the children: one measurement each ----------------------------------------------------


def measure_ours(spec: Mapping[str, Any]) -> dict[str, Any]:
    from index.analysis import analyze_question
    from index.engine import BM25Engine, Segment
    from index.workers import Workers

    chunks, questions = chunks_of(spec), questions_of(spec)
    start = time.perf_counter()
    with TreeMemory() as memory:
        with Workers(WORKERS) as pool:
            parts = [
                segment.shifted(chunk.first)
                for chunk, segment in zip(
                    chunks, in_order(pool, segment_of_chunk, chunks), strict=True
                )
            ]
        analysed = time.perf_counter()
        segment = Segment.merge(parts)
        del parts
        merged = time.perf_counter()
        engine = BM25Engine([segment])
        built = time.perf_counter()

    def ask(question: str) -> Ranked:
        return [
            (hit.row_id, hit.score) for hit in engine.search(analyze_question(question), DEPTH)
        ]

    seconds, rankings = latencies(ask, questions, spec["repetitions"], warm_all=True)
    peak_kb = max(memory.peak_kb, peak_rss_kb())
    # Where a question's time goes: analysing it, and the postings its terms make it score.
    analysis, _ = latencies(lambda q: [(len(analyze_question(q)), 0.0)], questions, 1, True)
    scored = [
        sum(
            len(found[0]) * occurrences
            for term, occurrences in Counter(analyze_question(question)).items()
            if (found := segment.postings(term)) is not None
        )
        for question in questions
    ]
    return {
        "build": built - start,
        "parts": {
            "analysis and SegmentBuilder.build in the workers": analysed - start,
            "Segment.merge": merged - analysed,
            "BM25Engine": built - merged,
        },
        "peak_kb": peak_kb,
        "seconds": seconds,
        "rankings": rankings,
        "facts": {
            "terms": len(segment.terms),
            "postings": len(segment.rows),
            "analysis_p50_ms": 1000 * float(np.percentile(analysis, 50)),
            "scored": [int(np.percentile(scored, q)) for q in (50, 95, 100)],
        },
    }


def measure_bm25s(spec: Mapping[str, Any]) -> dict[str, Any]:
    import bm25s  # type: ignore[import-untyped]  # no type hints

    from index.analysis import analyze_question
    from index.engine import K1, B

    chunks, questions = chunks_of(spec), questions_of(spec)
    start = time.perf_counter()
    with TreeMemory() as memory:
        corpus = peer_corpus(chunks)
        analysed = time.perf_counter()
        retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
        retriever.index(corpus, show_progress=False)
        del corpus
        built = time.perf_counter()

    def ask(question: str) -> Ranked:
        found = retriever.retrieve(
            [analyze_question(question)], k=DEPTH, show_progress=False, n_threads=0
        )
        return [
            (int(row), float(score))
            for row, score in zip(found.documents[0], found.scores[0], strict=True)
            if score > 0
        ]

    seconds, rankings = latencies(ask, questions, spec["repetitions"], warm_all=True)
    return {
        "build": built - start,
        "parts": {
            "analysis in the workers, token lists": analysed - start,
            "BM25.index": built - analysed,
        },
        "peak_kb": max(memory.peak_kb, peak_rss_kb()),
        "seconds": seconds,
        "rankings": rankings,
    }


def measure_fts5(spec: Mapping[str, Any]) -> dict[str, Any]:
    from index.analysis import analyze_question
    from index.workers import Workers

    chunks, questions = chunks_of(spec), questions_of(spec)
    start = time.perf_counter()
    with TreeMemory() as memory:
        db = sqlite3.connect(spec["db"])
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("CREATE VIRTUAL TABLE passages USING fts5(terms)")
        with Workers(WORKERS) as pool, db:  # one transaction
            for chunk, terms in zip(chunks, in_order(pool, terms_of_chunk, chunks), strict=True):
                db.executemany(
                    "INSERT INTO passages (rowid, terms) VALUES (?, ?)",
                    enumerate(terms, start=chunk.first),
                )
        inserted = time.perf_counter()
        with db:
            db.execute("INSERT INTO passages (passages) VALUES ('optimize')")
        built = time.perf_counter()

    def ask(question: str) -> Ranked:
        terms = dict.fromkeys(analyze_question(question))
        if not terms:
            return []
        match = " OR ".join(f'"{term}"' for term in terms)
        rows = db.execute(
            "SELECT rowid, rank FROM passages WHERE passages MATCH ? ORDER BY rank LIMIT ?",
            (match, DEPTH),
        )
        return [(row, -rank) for row, rank in rows]

    seconds, rankings = latencies(
        ask, questions, spec["repetitions"], warm_all=spec["repetitions"] > SLOW_REPETITIONS
    )
    peak_kb = max(memory.peak_kb, peak_rss_kb())
    db.close()
    return {
        "build": built - start,
        "parts": {
            "analysis in the workers, INSERT in one transaction": inserted - start,
            "optimize": built - inserted,
        },
        "peak_kb": peak_kb,
        "seconds": seconds,
        "rankings": rankings,
        "facts": {"file_mb": Path(spec["db"]).stat().st_size / 2**20},
    }


def measure_rank_bm25(spec: Mapping[str, Any]) -> dict[str, Any]:
    from bench.quality import LuceneBM25, top_indices
    from index.analysis import analyze_question
    from index.engine import K1, B, BM25Engine, Segment

    chunks, questions = chunks_of(spec), questions_of(spec)
    before_kb = tree_rss_kb(os.getpid())
    start = time.perf_counter()
    with TreeMemory() as memory:
        corpus = peer_corpus(chunks)
        analysed = time.perf_counter()
        model = LuceneBM25(corpus, k1=K1, b=B)
        built = time.perf_counter()

    def ask(question: str) -> Ranked:
        scores = np.asarray(model.get_scores(analyze_question(question)), dtype=np.float64)
        return [(int(row), float(scores[row])) for row in top_indices(scores, DEPTH)]

    seconds, rankings = latencies(ask, questions, spec["repetitions"], warm_all=False)
    peak_kb = max(memory.peak_kb, peak_rss_kb())
    # Not part of the measurement: our engine over the same terms, for the score check.
    engine = BM25Engine([Segment.build(enumerate(corpus))])
    ours = [
        [(hit.row_id, hit.score) for hit in engine.search(analyze_question(question), DEPTH)]
        for question in questions
    ]
    return {
        "build": built - start,
        "parts": {
            "analysis in the workers, token lists": analysed - start,
            "BM25Okapi (Lucene idf)": built - analysed,
        },
        "peak_kb": peak_kb,
        "base_kb": before_kb,
        "seconds": seconds,
        "rankings": rankings,
        "check": compare_scores(ours, rankings),
    }


def lucene_jars(libraries: Path) -> dict[str, Path]:
    """The jar in ``libraries`` for each pattern of ``LUCENE_JARS`` that one matches (the last
    name when several do)."""
    return {
        pattern: max(matches)
        for pattern in LUCENE_JARS
        if (matches := list(libraries.glob(pattern)))
    }


def compile_lucene_runner(classes: Path, jars: Iterable[Path]) -> str:
    """``LUCENE_RUNNER`` compiled into ``classes``; the classpath that runs it."""
    classpath = os.pathsep.join(str(jar) for jar in jars)
    completed = subprocess.run(
        ["javac", "-encoding", "UTF-8", "-cp", classpath, "-d", str(classes), str(LUCENE_RUNNER)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise RuntimeError(
            f"javac could not compile {LUCENE_RUNNER} against {classpath} (its errors are"
            " above): fix the runner, or install the Lucene 8 jars it was written for"
        )
    return os.pathsep.join([str(classes), classpath])


def run_lucene_runner(
    classpath: str, arguments: Sequence[str]
) -> tuple[dict[str, Any], int, float]:
    """The JSON object the compiled runner prints last, its JVM's peak resident memory, and
    its wall time (starting the JVM included)."""
    command = ["java", LUCENE_HEAP, "-cp", classpath, LUCENE_RUNNER.stem, *arguments]
    start = time.perf_counter()
    with (
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as process,
        TreeMemory(process.pid) as memory,
    ):
        stdout, stderr = process.communicate()
    wall = time.perf_counter() - start
    if process.returncode != 0 or not stdout.strip():
        sys.stderr.write(stderr)
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        raise RuntimeError(
            f"java {LUCENE_RUNNER.stem} {arguments[0]} exited with {process.returncode}:"
            f" {lines[0] if lines else 'no output'} (the JVM's error output is above)"
        )
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return result, memory.peak_kb, wall


def measure_lucene(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Lucene's build in one JVM, its answers in another, from the same raw text and
    questions; compiling the runner is not measured."""
    from index.engine import K1, B

    questions = questions_of(spec)
    similarity = [repr(K1), repr(B)]
    with tempfile.TemporaryDirectory(prefix="lucene-", dir=Path(spec["db"]).parent) as tmp:
        work = Path(tmp)
        classpath = compile_lucene_runner(work / "classes", lucene_jars(JAVA_LIBRARIES).values())
        index = work / "index"
        built, build_kb, build_wall = run_lucene_runner(
            classpath,
            [
                "build",
                spec["passages"],
                str(index),
                *similarity,
                str(WORKERS),
                str(LUCENE_RAM_BUFFER_MB),
                *(f"{offset}:{first}:{count}" for offset, first, count in spec["chunks"]),
            ],
        )
        passages = sum(count for _, _, count in spec["chunks"])
        if built["documents"] != passages:
            raise RuntimeError(
                f"Lucene indexed {built['documents']:,} documents of {passages:,} passages:"
                f" check that {spec['passages']} has one passage a line"
            )
        index_mb = sum(path.stat().st_size for path in index.iterdir()) / 2**20
        question_file = work / "questions.txt"
        # The runner reads a question a line: a line break inside one would split it.
        question_file.write_text(
            "".join(" ".join(question.splitlines()) + "\n" for question in questions),
            encoding="utf-8",
        )
        served, serve_kb, _ = run_lucene_runner(
            classpath,
            ["serve", str(index), str(question_file), *similarity, str(spec["repetitions"])],
        )
    return {
        "build": built["build"],
        "parts": {
            f"IndexWriter.addDocument on {WORKERS} threads (analysis and indexing)": built["add"],
            "IndexWriter.close (flush, merges, commit)": built["close"],
        },
        "peak_kb": max(build_kb, serve_kb),
        "memory": {"build JVM": build_kb, "serving JVM": serve_kb},
        "seconds": served["seconds"],
        "rankings": served["rankings"],
        "facts": {
            "lucene": served["lucene"],
            "java": served["java"],
            "segments": built["segments"],
            "index_mb": index_mb,
            "jvm_start_s": build_wall - built["build"],
            "open_s": served["open"],
        },
    }


def compare_scores(ours: Sequence[Ranked], theirs: Sequence[Ranked]) -> dict[str, Any]:
    """The largest relative difference between the scores at the same rank, and how many
    questions have the same passages in the same order and the same number of hits."""
    largest = 0.0
    same_rows = same_length = 0
    for mine, other in zip(ours, theirs, strict=True):
        same_length += len(mine) == len(other)
        same_rows += [row for row, _ in mine] == [row for row, _ in other]
        for (_, a), (_, b) in zip(mine, other, strict=False):
            largest = max(largest, abs(a - b) / max(abs(b), 1e-300))
    return {
        "largest": largest,
        "same_rows": same_rows,
        "same_length": same_length,
        "questions": len(ours),
    }


def stored_articles(
    first: int, texts: Sequence[str], terms: Sequence[str], prefix: str
) -> list[StoredArticle]:
    """Articles of ``PASSAGES_PER_ARTICLE`` passages; passage ``first`` starts the first."""
    from index.models import Article, Passage, StoredArticle

    items: list[StoredArticle] = []
    for start in range(0, len(texts), PASSAGES_PER_ARTICLE):
        article_id = f"{prefix}-{(first + start) // PASSAGES_PER_ARTICLE:07d}"
        passages = tuple(
            Passage(f"{article_id}#{ordinal}", article_id, ordinal, text)
            for ordinal, text in enumerate(texts[start : start + PASSAGES_PER_ARTICLE], start=1)
        )
        number = (first + start) // PASSAGES_PER_ARTICLE
        published = date.fromisoformat(PUBLISHED_UNTIL) - timedelta(days=number % PUBLISHED_DAYS)
        items.append(
            StoredArticle(
                article=Article(
                    article_id, "bench-scale", (), published=published.isoformat(), language="id"
                ),
                content_hash=article_id,
                passages=passages,
                terms=tuple(terms[start : start + PASSAGES_PER_ARTICLE]),
                signature=(),
            )
        )
    return items


def measure_store(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The archive written as the indexer writes it: not part of any build figure."""
    from index.store import index_new_passages, mark_indexed, open_for_writing, write_articles
    from index.workers import Workers

    chunks = chunks_of(spec)
    path = Path(spec["db"])
    write = index = 0.0
    start = time.perf_counter()
    with TreeMemory() as memory:
        db = open_for_writing(path)
        unindexed: list[Segment] = []
        with Workers(WORKERS) as pool:
            for chunk, (terms, segment) in zip(
                chunks, in_order(pool, stored_chunk, chunks), strict=True
            ):
                began = time.perf_counter()
                items = stored_articles(chunk.first, read_chunk(chunk), terms, "scale")
                first_row = write_articles(db, items, INDEXED_AT)
                unindexed.append(segment.shifted(first_row))
                wrote = time.perf_counter()
                if sum(map(len, unindexed)) >= STORE_SEGMENT_PASSAGES:
                    index_new_passages(db, unindexed)
                    unindexed.clear()
                write += wrote - began
                index += time.perf_counter() - wrote
        began = time.perf_counter()
        index_new_passages(db, unindexed)
        mark_indexed(db, INDEXED_AT, "bench", changed=True)
        segments = db.execute("SELECT count(*) FROM segments").fetchone()[0]
        db.close()
        index += time.perf_counter() - began
    return {
        "write": time.perf_counter() - start,
        "parts": {"write_articles": write, "index_new_passages and mark_indexed": index},
        "peak_kb": memory.peak_kb,
        "facts": {
            "file_mb": sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20,
            "segments": segments,
        },
    }


def measure_serve(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Open the archive, answer; then add passages and follow them."""
    began = time.perf_counter()
    from index.analysis import INDONESIAN, analyze
    from index.archive import DEFAULT_K, Archive
    from index.engine import Segment
    from index.store import index_new_passages, mark_indexed, open_for_writing, write_articles

    questions = questions_of(spec)
    path = Path(spec["db"])
    imported_kb = rss_kb("self")
    start = time.perf_counter()
    now = datetime.combine(date.fromisoformat(PUBLISHED_UNTIL), dt_time(12), UTC)
    archive = Archive(path, clock=lambda: now)
    opened = time.perf_counter()
    first = archive.ask(questions[0], k=DEPTH)
    answered = time.perf_counter()
    opened_kb = peak_rss_kb()

    def ask(question: str) -> Ranked:
        return [(0, hit.score) for hit in archive.ask(question, k=DEPTH).hits]

    seconds, _ = latencies(ask, questions, spec["repetitions"], warm_all=True)

    # Issue "Answers": the whole answer a reader gets (k=3), beside BM25 alone through the same
    # archive (analysis, search, hits read), and for questions that name a time.
    def search(question: str) -> Ranked:
        return [(0, hit.score) for hit in archive.search(question, DEFAULT_K)]

    def answer(question: str) -> Ranked:
        return [(0, hit.score) for hit in archive.ask(question).hits]

    search_seconds, _ = latencies(search, questions, spec["repetitions"], warm_all=True)
    answer_seconds, _ = latencies(answer, questions, spec["repetitions"], warm_all=True)
    dated_questions = [f"{question} {DATED_PHRASE}" for question in questions]
    days_start = time.perf_counter()
    answer(dated_questions[0])
    days_load = time.perf_counter() - days_start
    dated_seconds, _ = latencies(answer, dated_questions, spec["repetitions"], warm_all=True)
    serving_kb = peak_rss_kb()

    added = Path(spec["added"]).read_text(encoding="utf-8").splitlines()
    # As the indexer adds them: analysed and their segment built, then written; searchable
    # once the segment is stored and the archive has followed.
    add_start = time.perf_counter()
    terms = [analyze(text, INDONESIAN) for text in added]
    segment = Segment.build(enumerate(terms))
    analysed = time.perf_counter()
    writer = open_for_writing(path)
    items = stored_articles(0, added, [" ".join(t) for t in terms], "added")
    first_row = write_articles(writer, items, INDEXED_AT)
    written = time.perf_counter()
    index_new_passages(writer, [segment.shifted(first_row)])
    mark_indexed(writer, INDEXED_AT, "bench", changed=True)
    writer.close()
    archive.reload()
    searchable = time.perf_counter()
    hits = archive.ask(MARKER_QUESTION, k=DEPTH).hits
    return {
        "imports": start - began,
        "open": opened - start,
        "first_answer": answered - opened,
        "first_hits": len(first.hits),
        "opened_kb": opened_kb,
        "imported_kb": imported_kb,
        "seconds": seconds,
        "search_seconds": search_seconds,
        "answer_seconds": answer_seconds,
        "dated_seconds": dated_seconds,
        "days_load": days_load,
        "peak_kb": serving_kb,
        "add": searchable - written,
        "add_analysis": analysed - add_start,
        "add_write": written - analysed,
        "added_found": sum(hit.passage_id.startswith("added-") for hit in hits),
        "marker_hits": len(hits),
    }


MEASURES: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "ours": measure_ours,
    "bm25s": measure_bm25s,
    "fts5": measure_fts5,
    "rank_bm25": measure_rank_bm25,
    "lucene": measure_lucene,
    "store": measure_store,
    "serve": measure_serve,
}


def child_main(spec_json: str) -> int:
    spec = json.loads(spec_json)
    result = MEASURES[spec["kind"]](spec)
    result["rss_kb"] = peak_rss_kb()
    result["workers_rss_kb"] = workers_peak_rss_kb()
    print(json.dumps(result))
    return 0


def run_child(spec: Mapping[str, Any]) -> dict[str, Any]:
    return run_measurement("bench.scale", spec)


# --- data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    words: tuple[str, ...]
    counts: npt.NDArray[np.int64]
    description: str


def corpus_vocabulary(corpus: Path) -> Vocabulary:
    """Raw word frequencies over the body of every article in ``corpus``."""
    from index.analysis import words
    from index.models import RawArticle
    from index.sources import ReadOptions, read_file, source_files

    counts: Counter[str] = Counter()
    articles = failures = 0
    for path, root in source_files(corpus):
        for item in read_file(path, root, ReadOptions()):
            if isinstance(item, RawArticle):
                counts.update(words(item.body))
                articles += 1
            else:
                failures += 1
    ordered = counts.most_common()
    return Vocabulary(
        words=tuple(word for word, _ in ordered),
        counts=np.asarray([count for _, count in ordered], dtype=np.int64),
        description=(
            f"{len(ordered):,} distinct words, {sum(counts.values()):,} words in {articles:,}"
            f" article bodies of {corpus}" + (f" ({failures} unreadable)" if failures else "")
        ),
    )


def builtin_vocabulary() -> Vocabulary:
    return Vocabulary(
        words=tuple(BUILTIN_WORDS),
        counts=np.asarray([1000 // rank for rank in range(1, len(BUILTIN_WORDS) + 1)]),
        description=f"{len(BUILTIN_WORDS)} built-in words (counts 1/rank): a smoke run only",
    )


class PassageGenerator:
    """Passages of ``MIN_WORDS`` to ``MAX_WORDS`` words drawn by frequency, in sentences."""

    def __init__(self, vocabulary: Vocabulary, rng: np.random.Generator) -> None:
        words = list(vocabulary.words)
        capitalised = [word[:1].upper() + word[1:] for word in words]
        # Row = 1 for a sentence's first word, + 2 for its last (which takes the full stop).
        self.forms = np.array(
            [words, capitalised, [f"{w}." for w in words], [f"{w}." for w in capitalised]],
            dtype=object,
        )
        self.cumulative = np.cumsum(vocabulary.counts)
        self.rng = rng

    def passages(self, count: int) -> list[str]:
        rng = self.rng
        lengths = rng.integers(MIN_WORDS, MAX_WORDS + 1, size=count)
        total = int(lengths.sum())
        picks = np.searchsorted(
            self.cumulative, rng.integers(0, int(self.cumulative[-1]), size=total), side="right"
        )
        ends = rng.random(total) < 1 / SENTENCE_WORDS
        bounds = np.cumsum(lengths)
        ends[bounds - 1] = True
        starts = np.empty(total, dtype=bool)
        starts[0] = True
        starts[1:] = ends[:-1]
        tokens = self.forms[starts + 2 * ends.astype(np.int64), picks]
        return [
            " ".join(tokens[begin:end].tolist())
            for begin, end in zip(bounds - lengths, bounds, strict=True)
        ]


def write_passages(generator: PassageGenerator, count: int, path: Path, chunk: int) -> list[int]:
    """``count`` passages one a line; the byte offset of each chunk's first line."""
    offsets: list[int] = []
    with path.open("wb") as out:
        for start in range(0, count, chunk):
            offsets.append(out.tell())
            lines = generator.passages(min(chunk, count - start))
            out.write(("\n".join(lines) + "\n").encode("utf-8"))
        out.flush()
        # On disk before any build is timed: the kernel writing the file back meanwhile would
        # take a core from whichever system it is measuring.
        os.fsync(out.fileno())
    return offsets


def added_passages(generator: PassageGenerator, rng: np.random.Generator) -> list[str]:
    """``ADDED`` passages, each with ``MARKER`` at a random place."""
    texts: list[str] = []
    for text in generator.passages(ADDED):
        words = text.split(" ")
        words.insert(int(rng.integers(0, len(words) + 1)), MARKER)
        texts.append(" ".join(words))
    return texts


def read_questions(facqa: Path) -> list[str]:
    questions: list[str] = []
    for split in ("valid", "train"):
        with (facqa / f"questions-{split}.jsonl").open(encoding="utf-8") as lines:
            questions.extend(json.loads(line)["question"] for line in lines if line.strip())
    return questions


def sample_questions(questions: Sequence[str], count: int, seed: int) -> list[str]:
    order = np.random.default_rng([seed, 2]).permutation(len(questions))
    return [questions[int(i)] for i in order[:count]]


# --- the run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    passages: Path
    offsets: tuple[int, ...]
    chunk: int
    questions: Path
    added: Path

    def chunks(self, count: int) -> list[list[int]]:
        """[offset, first, count] of each chunk of the first ``count`` passages."""
        return [
            [offset, first, min(self.chunk, count - first)]
            for offset, first in zip(self.offsets, range(0, count, self.chunk), strict=False)
        ]


@dataclass
class System:
    """One row of the table: a system at a passage count, measured or not."""

    name: str
    passages: int
    build: float | None = None
    peak_kb: int | None = None
    seconds: tuple[float, ...] = ()
    repetitions: int = 0
    rankings: list[Ranked] = field(default_factory=list)
    extrapolated_from: int | None = None
    note: str | None = None  # why it was not measured, or FAILED
    compare: bool = True  # ratios to ours make sense
    result: dict[str, Any] = field(default_factory=dict)


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def measure(  # noqa: PLR0917  # reads as a sentence at each call
    name: str, kind: str, corpus: Corpus, count: int, repetitions: int, db: Path
) -> System:
    """One system measured in its own process; its database, if any, is removed after unless
    it is the archive."""
    progress(f"{name}, {count:,} passages ...")
    spec = {
        "kind": kind,
        "passages": str(corpus.passages),
        "chunks": corpus.chunks(count),
        "questions": str(corpus.questions),
        "added": str(corpus.added),
        "repetitions": repetitions,
        "db": str(db),
    }
    try:
        result = run_child(spec)
    except MeasurementError as error:
        print(error, file=sys.stderr)
        return System(name, count, note=f"FAILED: {error.reason}")
    finally:
        if kind not in ("store", "serve"):
            for leftover in db.parent.glob(db.name + "*"):
                leftover.unlink()
    return System(
        name,
        count,
        build=result.get("build", result.get("write")),
        peak_kb=result["peak_kb"],
        seconds=tuple(result.get("seconds", ())),
        repetitions=repetitions,
        rankings=[
            [(row, score) for row, score in ranked] for ranked in result.get("rankings", [])
        ],
        result=result,
    )


def extrapolated(system: System, count: int) -> System:
    """rank-bm25 scores every passage for every term: time and memory grow linearly."""
    if system.build is None or system.peak_kb is None or system.passages >= count:
        return system
    factor = count / system.passages
    base = int(system.result.get("base_kb", 0))
    return System(
        system.name,
        count,
        build=system.build * factor,
        peak_kb=int(base + (system.peak_kb - base) * factor),
        seconds=tuple(s * factor for s in system.seconds),
        repetitions=system.repetitions,
        extrapolated_from=system.passages,
        result=system.result,
    )


def lucene_status(libraries: Path) -> str | None:
    """Why Lucene cannot be measured with the jars in ``libraries``, and what to install; None
    when it can."""
    jars = lucene_jars(libraries)
    missing = [str(libraries / pattern) for pattern in LUCENE_JARS if pattern not in jars]
    if missing:
        return (
            f"Debian's liblucene8-java is not installed (no {', '.join(missing)}):"
            " `apt-get install liblucene8-java` to measure it"
        )
    tools = [tool for tool in ("java", "javac") if shutil.which(tool) is None]
    if tools:
        return (
            f"{' and '.join(tools)} not found on PATH: install a JDK"
            " (`apt-get install default-jdk-headless`) to measure it"
        )
    return None


# --- output -------------------------------------------------------------------------------

HEADER = (
    "system",
    "passages",
    "build s",
    "peak MB",
    "p50 ms",
    "p95 ms",
    "build/ours",
    "peak/ours",
    "p50/ours",
    "p95/ours",
)


def ms(seconds: Sequence[float], fraction: float) -> float:
    return 1000 * float(np.percentile(seconds, 100 * fraction))


def ratio(value: float | None, ours: float | None, mark: str) -> str:
    if value is None or ours is None or ours <= 0:
        return "-"
    return f"{value / ours:.2f}x{mark}"


def table_row(system: System, ours: System | None) -> tuple[str, ...]:
    if system.note is not None:
        return (system.name, f"{system.passages:,}", *("-" * 8))
    mark = "*" if system.extrapolated_from else ""
    build = f"{system.build:.2f}{mark}" if system.build is not None else "-"
    peak = f"{system.peak_kb / 1024:,.0f}{mark}" if system.peak_kb is not None else "-"
    p50 = ms(system.seconds, 0.5) if system.seconds else None
    p95 = ms(system.seconds, 0.95) if system.seconds else None
    ours_p50 = ms(ours.seconds, 0.5) if ours and ours.seconds else None
    ours_p95 = ms(ours.seconds, 0.95) if ours and ours.seconds else None
    is_ours = ours is None or system is ours or not system.compare
    return (
        system.name,
        f"{system.passages:,}",
        build,
        peak,
        f"{p50:.2f}{mark}" if p50 is not None else "-",
        f"{p95:.2f}{mark}" if p95 is not None else "-",
        *(
            ("-",) * 4
            if is_ours
            else (
                ratio(system.build, ours.build if ours else None, mark),
                ratio(system.peak_kb, ours.peak_kb if ours else None, mark),
                ratio(p50, ours_p50, mark),
                ratio(p95, ours_p95, mark),
            )
        ),
    )


def raw_row(system: System) -> tuple[str, ...]:
    seconds = system.seconds
    if not seconds:
        return (system.name, f"{system.passages:,}", *("-" * 8))
    mark = "*" if system.extrapolated_from else ""
    return (
        system.name,
        f"{system.passages:,}",
        str(len(seconds)),
        str(system.repetitions),
        *(f"{ms(seconds, fraction):.3f}{mark}" for fraction in (0.0, 0.5, 0.9, 0.95, 0.99, 1.0)),
    )


def parts_line(system: System) -> str | None:
    parts = system.result.get("parts")
    if not parts or system.extrapolated_from:
        return None
    detail = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in parts.items())
    memory = system.result.get("memory") or {
        "main process": system.result.get("rss_kb", 0),
        "largest worker": system.result.get("workers_rss_kb", 0),
    }
    peaks = ", ".join(f"{name} {kb / 1024:,.0f} MB" for name, kb in memory.items())
    return f"  {system.name} at {system.passages:,}: {detail}; peak RSS {peaks}"


def agreement_lines(ours: System, peers: Sequence[System], k1: float) -> list[str]:
    """How the peers' top 10 compare with ours at the same passage count."""
    lines: list[str] = []
    for peer in peers:
        if peer.note or not peer.rankings or not ours.rankings or peer.extrapolated_from:
            continue
        pairs = list(zip(ours.rankings, peer.rankings, strict=True))
        overlap = sum(
            len({row for row, _ in mine} & {row for row, _ in other}) / len(mine)
            for mine, other in pairs
            if mine
        ) / max(1, sum(1 for mine, _ in pairs if mine))
        line = f"  {peer.name} at {peer.passages:,}: {100 * overlap:.1f}% of our top-10 passages"
        if peer.name.startswith("bm25s"):
            # bm25s's Lucene scores lack BM25's (k1 + 1) factor and are float32.
            equal = sum(
                len(mine) == len(other)
                and all(
                    abs(a - b * (k1 + 1)) <= FLOAT32_TOLERANCE * abs(a)
                    for (_, a), (_, b) in zip(mine, other, strict=True)
                )
                for mine, other in pairs
            )
            line += (
                f"; top-10 scores x (k1+1) equal ours within {FLOAT32_TOLERANCE:g} (float32) in"
                f" {equal}/{len(pairs)} questions, so a passage missing is a tie at the 10th"
                " score broken another way"
            )
        elif peer.name.startswith("SQLite"):
            line += (
                " (its IDF is ln((N - n + 0.5) / (n + 0.5)), floored near 0 for terms in half"
                " the passages, and a repeated question term counts once)"
            )
        elif peer.name.startswith("Lucene"):
            line += (
                " (its own tokenizer, stopwords and stemmer make other terms, and it keeps"
                " lengths in one byte: neither terms nor scores are ours, so no score check)"
            )
        lines.append(line)
    return lines


def print_environment(args: argparse.Namespace, vocabulary: Vocabulary, chunk: int) -> None:
    cpu = "unknown"
    if Path("/proc/cpuinfo").is_file():
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    versions = []
    for package in ("numpy", "rank-bm25", "bm25s"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} not installed")
    print(f"commit: {git_commit()}")
    print(
        f"python {sys.version.split()[0]}, {', '.join(versions)}, SQLite {sqlite3.sqlite_version}"
    )
    print(
        f"CPU: {cpu}; {os.cpu_count()} CPUs reported; builds use {WORKERS} worker processes"
        " (index.workers.Workers), queries one core"
    )
    print(
        f"seed {args.seed}; {args.passages:,} passages in chunks of {chunk:,};"
        f" {args.questions} questions, top {DEPTH}; {REPETITIONS} timed passes after a warm-up"
        f" pass ({SLOW_REPETITIONS} for rank-bm25 and FTS5 past {PEER_LIMIT:,} passages)"
    )
    print(f"term statistics: {vocabulary.description}")


def git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + (" with uncommitted changes" if dirty else "")


def print_targets(ours: System, store: System, serve: System, count: int) -> None:
    at = "" if count == TARGET_PASSAGES else f" (measured at {count:,} passages, not 1,000,000)"
    print(f"\ntargets for our engine at {TARGET_PASSAGES:,} passages{at}:")
    rows: list[tuple[str, ...]] = []

    def target(name: str, goal: str, measured: str, met: bool) -> None:
        rows.append((name, goal, measured, "met" if met else "NOT met"))

    if ours.note is None and ours.build is not None and ours.peak_kb is not None:
        p50, p95 = ms(ours.seconds, 0.5), ms(ours.seconds, 0.95)
        build_gb = ours.peak_kb / 2**20
        target(
            "query p50, analyze_question + search",
            f"<= {TARGET_P50_MS} ms",
            f"{p50:.2f} ms",
            p50 <= TARGET_P50_MS,
        )
        target("query p95", f"<= {TARGET_P95_MS} ms", f"{p95:.2f} ms", p95 <= TARGET_P95_MS)
        target(
            "build from raw text, both cores",
            f"<= {TARGET_BUILD_S:.0f} s",
            f"{ours.build:.2f} s",
            ours.build <= TARGET_BUILD_S,
        )
        target(
            "peak memory building, all processes",
            f"<= {TARGET_BUILD_GB} GB",
            f"{build_gb:.3f} GB",
            build_gb <= TARGET_BUILD_GB,
        )
    if serve.note is None:
        result = serve.result
        serving_gb = result["peak_kb"] / 2**20
        open_s = result["open"] + result["first_answer"]
        target(
            "peak memory serving, Archive process",
            f"<= {TARGET_SERVE_GB} GB",
            f"{serving_gb:.3f} GB",
            serving_gb <= TARGET_SERVE_GB,
        )
        target(
            "open the archive + first answer",
            f"<= {TARGET_OPEN_S:.0f} s",
            f"{open_s:.3f} s",
            open_s <= TARGET_OPEN_S,
        )
        answer_p50 = ms(result["answer_seconds"], 0.5)
        answer_p95 = ms(result["answer_seconds"], 0.95)
        target(
            "whole answer p50, Archive.ask (k=3)",
            f"<= {TARGET_ANSWER_P50_MS:.0f} ms",
            f"{answer_p50:.2f} ms",
            answer_p50 <= TARGET_ANSWER_P50_MS,
        )
        target(
            "whole answer p95",
            f"<= {TARGET_ANSWER_P95_MS:.0f} ms",
            f"{answer_p95:.2f} ms",
            answer_p95 <= TARGET_ANSWER_P95_MS,
        )
        target(
            f"{ADDED:,} added passages searchable after written",
            f"<= {TARGET_ADD_S} s",
            f"{result['add']:.3f} s",
            result["add"] <= TARGET_ADD_S and result["added_found"] == DEPTH,
        )
    print(format_table([("target", "goal", "measured", "verdict"), *rows]))
    if serve.note is None:
        result = serve.result
        print(
            f"  Archive(path) {1000 * result['open']:.1f} ms, first ask"
            f" {1000 * result['first_answer']:.1f} ms ({result['first_hits']} hits); imports"
            f" before it (not counted) {result['imports']:.2f} s; the OS page cache held the"
            " file"
        )
        print(
            f"  serving process memory: {result['imported_kb'] / 1024:,.0f} MB resident after"
            f" imports, peak {result['opened_kb'] / 1024:,.0f} MB once open and the first"
            f" question answered, {result['peak_kb'] / 1024:,.0f} MB after all the questions"
            " (GB here = 2^30 bytes)"
        )
        print(
            f"  the {ADDED:,} added passages were analysed (with their segment) in"
            f" {result['add_analysis']:.3f} s and written in {result['add_write']:.3f} s before"
            f" the clock started, as the indexer does both before they count as written; in"
            f" all {result['add_analysis'] + result['add_write'] + result['add']:.3f} s; after"
            f" the add, {MARKER_QUESTION!r} returned {result['marker_hits']} hits,"
            f" {result['added_found']} of them added passages (all {DEPTH} must be)"
        )
    if serve.note is None:
        print(answer_lines(serve.result))
    if store.note is None and store.build is not None:
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in store.result["parts"].items())
        facts = store.result["facts"]
        print(
            f"  the archive (not a build figure): {store.passages:,} passages written in"
            f" {store.build:.1f} s with analysis on {WORKERS} workers ({parts});"
            f" {facts['file_mb']:,.0f} MB on disk, {facts['segments']} stored segments;"
            f" peak memory {store.result['peak_kb'] / 1024:,.0f} MB"
        )
    for system in (store, serve):
        if system.note is not None:
            print(f"  {system.name}: {system.note}")


def answer_lines(result: Mapping[str, Any]) -> str:
    """The whole answer beside BM25 alone, through the same archive."""
    search_p50 = ms(result["search_seconds"], 0.5)
    rows = [("through the archive", "p50 ms", "p95 ms", "p50 / BM25 alone")]
    for name, key in (
        ("BM25 alone: Archive.search (k=3)", "search_seconds"),
        ("whole answer: Archive.ask (k=3)", "answer_seconds"),
        (f"whole answer, question + {DATED_PHRASE!r}", "dated_seconds"),
        (f"Archive.ask (k={DEPTH}), the table's row", "seconds"),
    ):
        p50 = ms(result[key], 0.5)
        rows.append(
            (name, f"{p50:.2f}", f"{ms(result[key], 0.95):.2f}", f"{p50 / search_p50:.1f}x")
        )
    return (
        "\n".join(f"  {line}" for line in format_table(rows).splitlines())
        + f"\n  the first question naming a time read every passage's publication day in"
        f" {1000 * result['days_load']:.0f} ms (once per index generation)"
    )


def lucene_lines(lucene: System, missing: str | None) -> list[str]:
    """What was measured of Lucene, and how; or why it was not."""
    title = "Lucene 8 with IndonesianAnalyzer:"
    if missing is not None:
        return [f"{title} not measured: {missing}"]
    if lucene.note is not None:
        return [f"{title} {lucene.note} (the whole error is on stderr)"]
    facts = lucene.result["facts"]
    seconds = lucene.seconds
    per_pass = len(seconds) // max(1, lucene.repetitions)
    pass_p50s = ", ".join(
        f"{ms(seconds[first : first + per_pass], 0.5):.2f}"
        for first in range(0, len(seconds), per_pass)
    )
    return [
        f"{title} Lucene {facts['lucene']} (Debian's liblucene8-java) on Java {facts['java']},"
        f" {LUCENE_HEAP}, build and answers each in a JVM of its own",
        f"  build: {WORKERS} threads feeding one IndexWriter, {LUCENE_RAM_BUFFER_MB} MB RAM"
        " buffer, terms with frequencies and norms (no positions); closed, not force-merged:"
        f" {facts['segments']} segments, {facts['index_mb']:,.1f} MB on disk; build s leaves"
        f" out starting the JVM ({facts['jvm_start_s']:.2f} s)",
        f"  answers: the index opened in {1000 * facts['open_s']:.0f} ms (FSDirectory); each"
        " question analysed by IndonesianAnalyzer into SHOULD term queries, top"
        f" {DEPTH}, one thread, query cache off; timings include the analysis; p50 of each"
        f" timed pass {pass_p50s} ms, after five warm-up passes (the others get one) so that"
        " the JIT compiler has done its work, as in a server that has run a while",
        "  peak MB: the larger of the two JVMs' resident peaks (build parts has both); the"
        " Python process that starts them is not counted",
    ]


def report(results: Results, lucene_missing: str | None) -> None:
    from index.engine import K1

    groups, ours_rows = results.groups, results.ours_rows
    rows: list[tuple[str, ...]] = [HEADER]
    for group, ours in zip(groups, ours_rows, strict=True):
        rows.extend(table_row(system, ours) for system in group)
    print()
    print(format_table(rows))
    print(
        "ratios are the peer's figure over ours at the same passage count (above 1: ours is"
        " faster or smaller); peak MB is the build's process tree, or the process's peak if"
        " higher while answering"
    )
    extrapolated_rows = [s for group in groups for s in group if s.extrapolated_from]
    for system in extrapolated_rows:
        print(
            f"* {system.name}: measured at {system.extrapolated_from:,} passages, extrapolated"
            " linearly (it scores every passage for every query term; its memory above the"
            " interpreter's grows with the passages)"
        )
    print("\n".join(lucene_lines(results.lucene, lucene_missing)))
    for system in (s for group in groups for s in group if s is not results.lucene):
        if system.note and system.note != "not measured":
            print(f"{system.name} at {system.passages:,}: {system.note}")

    print("\nbuild parts:")
    for group in groups:
        for system in group:
            line = parts_line(system)
            if line:
                print(line)
    for group in groups:
        for system in group:
            facts = system.result.get("facts")
            if facts and "postings" in facts:
                p50, p95, most = facts["scored"]
                print(
                    f"  {system.name} at {system.passages:,}: {facts['terms']:,} terms,"
                    f" {facts['postings']:,} postings; a question's postings scored: p50"
                    f" {p50:,}, p95 {p95:,}, max {most:,}; analyze_question alone p50"
                    f" {facts['analysis_p50_ms']:.3f} ms"
                )

    print(f"\nagreement with our top {DEPTH}, same questions:")
    for group, ours in zip(groups, ours_rows, strict=True):
        print("\n".join(agreement_lines(ours, [s for s in group if s is not ours], K1)))
    check = results.rank.result.get("check")
    if check is not None:
        met = check["largest"] <= SCORE_TOLERANCE and check["same_length"] == check["questions"]
        print(
            f"  check, ours against rank-bm25 (Lucene idf) at {results.rank.passages:,} passages:"
            f" largest relative difference of the top-{DEPTH} scores {check['largest']:.3g}"
            f" (must be <= {SCORE_TOLERANCE:g}): {'passed' if met else 'FAILED'}; same passages"
            f" in the same order for {check['same_rows']}/{check['questions']} questions, the"
            f" same number of hits for {check['same_length']}/{check['questions']}"
        )

    print("\nraw latency percentiles, ms:")
    raw: list[tuple[str, ...]] = [
        ("system", "passages", "samples", "passes", "min", "p50", "p90", "p95", "p99", "max"),
    ]
    raw.extend(raw_row(system) for group in groups for system in group if system.seconds)
    print(format_table(raw))


def prepare_corpus(
    args: argparse.Namespace, workdir: Path, vocabulary: Vocabulary, facqa: Path
) -> Corpus:
    """The passages, the passages to add later, and the questions, written to ``workdir``."""
    started = time.perf_counter()
    chunk = SMOKE_CHUNK if args.smoke else CHUNK
    generator = PassageGenerator(vocabulary, np.random.default_rng([args.seed, 1]))
    passages = workdir / "passages.txt"
    offsets = write_passages(generator, args.passages, passages, chunk)
    added = workdir / "added.txt"
    added_rng = np.random.default_rng([args.seed, 3])
    added_texts = added_passages(PassageGenerator(vocabulary, added_rng), added_rng)
    added.write_text("\n".join(added_texts) + "\n", encoding="utf-8")
    if (facqa / "questions-valid.jsonl").is_file():
        pool = read_questions(facqa)
        source = f"FacQA valid+train, {len(pool):,} questions ({facqa})"
    else:
        pool = list(BUILTIN_QUESTIONS)
        source = "built-in questions (FacQA is missing): a smoke run only"
    questions = sample_questions(pool, args.questions, args.seed)
    question_file = workdir / "questions.json"
    question_file.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    print(
        f"passages: {args.passages:,} generated in {time.perf_counter() - started:.1f} s (not"
        f" timed), {passages.stat().st_size / 2**20:,.0f} MB of raw text; questions:"
        f" {len(questions)} drawn from {source}"
    )
    return Corpus(passages, tuple(offsets), chunk, question_file, added)


@dataclass(frozen=True)
class Results:
    groups: list[list[System]]  # rows at N, then (when N is larger) at PEER_LIMIT
    ours_rows: list[System]  # our engine in each group, what the others are compared with
    rank: System
    lucene: System
    store: System
    serve: System

    def failures(self) -> list[str]:
        systems = [*(s for group in self.groups for s in group), self.store, self.serve]
        return [s.name for s in systems if s.note and s.note.startswith("FAILED")]


def fts5_prediction(measured: System, count: int) -> float | None:
    """Seconds FTS5 would take at ``count`` passages (build, one pass over the questions),
    from its run at fewer: both grow about linearly with the passages."""
    if measured.note is not None or measured.build is None or not measured.seconds:
        return None
    passes = measured.repetitions or 1
    one_pass = sum(measured.seconds) / passes
    return (measured.build + one_pass) * count / measured.passages


def measure_all(
    corpus: Corpus, count: int, workdir: Path, fts5_full: bool, lucene_missing: str | None
) -> Results:
    """Every system, one after another, each in its own process; Lucene unless it is
    missing."""
    small = min(count, PEER_LIMIT)

    def db(name: str) -> Path:
        return workdir / f"{name}.db"

    ours = measure("newsbot BM25Engine", "ours", corpus, count, REPETITIONS, db("ours"))
    main = [ours, measure("bm25s lucene", "bm25s", corpus, count, REPETITIONS, db("bm25s"))]
    rank = measure("rank-bm25 BM25Okapi", "rank_bm25", corpus, small, SLOW_REPETITIONS, db("r"))
    small_fts5 = measure("SQLite FTS5 bm25()", "fts5", corpus, small, REPETITIONS, db("fts5"))
    groups, ours_rows = [main], [ours]
    if count > small:
        predicted = fts5_prediction(small_fts5, count)
        if fts5_full or (predicted is not None and predicted <= FTS5_BUDGET_S):
            main.append(
                measure("SQLite FTS5 bm25()", "fts5", corpus, count, SLOW_REPETITIONS, db("f"))
            )
        else:
            why = "its run at fewer failed" if predicted is None else f"~{predicted:.0f} s"
            main.append(
                System(
                    "SQLite FTS5 bm25()",
                    count,
                    note=f"not measured: predicted from {small:,} passages {why}, over the"
                    f" {FTS5_BUDGET_S} s budget (--fts5-full runs it anyway)",
                )
            )
        main.append(extrapolated(rank, count))
        ours_small = measure("newsbot BM25Engine", "ours", corpus, small, REPETITIONS, db("o"))
        groups.append([ours_small, small_fts5, rank])
        ours_rows.append(ours_small)
    else:
        main += [small_fts5, rank]
    lucene_name = "Lucene 8 IndonesianAnalyzer"
    lucene = (
        System(lucene_name, count, note="not measured")
        if lucene_missing is not None
        else measure(lucene_name, "lucene", corpus, count, REPETITIONS, db("lucene"))
    )
    main.append(lucene)
    archive = db("archive")
    store = measure("archive written", "store", corpus, count, 0, archive)
    serve = System("newsbot Archive.ask", count, note="not measured: the archive was not written")
    if store.note is None:
        serve = measure("newsbot Archive.ask", "serve", corpus, count, REPETITIONS, archive)
        serve.compare = False  # the same engine, plus SQLite: no peer of ours
    if serve.note is None:
        main.insert(1, serve)
    return Results(groups, ours_rows, rank, lucene, store, serve)


def run(args: argparse.Namespace, workdir: Path, vocabulary: Vocabulary, facqa: Path) -> int:
    started = time.perf_counter()
    print_environment(args, vocabulary, SMOKE_CHUNK if args.smoke else CHUNK)
    corpus = prepare_corpus(args, workdir, vocabulary, facqa)
    lucene_missing = lucene_status(JAVA_LIBRARIES)
    results = measure_all(corpus, args.passages, workdir, args.fts5_full, lucene_missing)
    report(results, lucene_missing)
    print_targets(results.ours_rows[0], results.store, results.serve, args.passages)
    print(f"\nwhole run {time.perf_counter() - started:.0f} s")
    failures = results.failures()
    if failures:
        print(f"{len(failures)} measurement(s) failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


# --- main ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"a run of seconds for CI ({SMOKE_PASSAGES:,} passages, {SMOKE_QUESTIONS}"
        " questions unless given)",
    )
    parser.add_argument(
        "--passages", type=positive, metavar="N", help=f"default {DEFAULT_PASSAGES:,}"
    )
    parser.add_argument(
        "--questions", type=positive, metavar="Q", help=f"default {DEFAULT_QUESTIONS}"
    )
    parser.add_argument("--seed", type=int, metavar="S", default=DEFAULT_SEED)
    parser.add_argument(
        "--shared", type=Path, default=DEFAULT_SHARED, help="the shared folder (corpus, dev)"
    )
    parser.add_argument(
        "--fts5-full",
        action="store_true",
        help=f"measure FTS5 at N passages even when predicted to take over {FTS5_BUDGET_S} s",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.passages is None:
        args.passages = SMOKE_PASSAGES if args.smoke else DEFAULT_PASSAGES
    if args.questions is None:
        args.questions = SMOKE_QUESTIONS if args.smoke else DEFAULT_QUESTIONS
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        return child_main(args.child)
    corpus, facqa = args.shared / "corpus", args.shared / "dev" / "facqa"
    missing = [
        path
        for path in (corpus, facqa / "questions-valid.jsonl", facqa / "questions-train.jsonl")
        if not path.exists()
    ]
    if missing and not args.smoke:
        print(
            "shared data not found; expected "
            + ", ".join(str(path) for path in missing)
            + f" (pass --shared DIR, or check out ../shared next to {ROOT})",
            file=sys.stderr,
        )
        return EXIT_MISSING_DATA
    if args.passages <= DEPTH:
        print(f"--passages must be more than {DEPTH}", file=sys.stderr)
        return EXIT_MISSING_DATA
    vocabulary = corpus_vocabulary(corpus) if corpus.is_dir() else builtin_vocabulary()
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-scale-") as tmp:
        return run(args, Path(tmp), vocabulary, facqa)


if __name__ == "__main__":
    sys.exit(main())
