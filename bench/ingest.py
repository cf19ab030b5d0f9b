"""Ingest benchmark: what cleaning extracts and leaves behind, and how fast raw files become
searchable, against naive and rank-bm25 peers measured in the same run.

Run ``python -m bench.ingest [--smoke] [--synthetic N] [--workers W] [--shared DIR]``.

1. Extraction on every article of ``../shared/corpus`` and the seed: the share of articles whose
   reporter, translator, editor and date were extracted among those whose raw text has them
   (decided by plain regexes of this file, not the cleaner's), the corpus README's counts against
   the raw text and the cleaner, and the passages still holding cross-links, footers, ad slots or
   datelines (the target is 0 for each).
2. Field-by-field accuracy against the 100 hand-labelled articles in ``bench/labels``.
3. Throughput from raw files to searchable (``index_sources`` into a fresh database, ``Archive``
   built on it, one question asked), each measurement in a fresh subprocess so no stem memo
   carries over, on the shared corpora and on N synthetic articles drawn from their statistics.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import multiprocessing
import os
import random
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from bench.report import MeasurementError, format_table, positive
from bench.report import run_child as run_measurement
from index.clean import clean_article
from index.models import Article, RawArticle
from index.sources import read_file, source_files
from index.split import split_passages, split_sentences

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared"
SAMPLE = ROOT / "index" / "sample"
LABELS = ROOT / "bench" / "labels" / "ingest-sample.jsonl"
EXIT_MISSING_DATA = 2

DEFAULT_SYNTHETIC = 100_000
SMOKE_SYNTHETIC = 200
NAIVE_SUBSET = 2_000
SMOKE_NAIVE_SUBSET = 20
SMOKE_STATS_ARTICLES = 300
SEED = 20_231_205
SPIN_LOOPS = 5_000_000
SHARD_ARTICLES = 10_000  # one .jsonl.gz per this many synthetic articles, under the size cap
QUESTION = "Berapa nilai perdagangan antara ASEAN dan Rusia pada 2018?"
TARGET_RATE = 1_000  # articles/s with both cores

MAX_MISMATCH_LINES = 40
EXAMPLES_PER_KIND = 3
SNIPPET_CHARS = 100
VALUE_CHARS = 60

# --- independent regexes over the raw body (deliberately not the cleaner's) -------------------

HAS_REPORTER = re.compile(r"(?:Pewarta|Reporter)\s*:")
HAS_TRANSLATOR = re.compile(r"Penerjemah\s*:")
HAS_EDITOR = re.compile(r"Editor\s*:")
HAS_WEEKDAY_DATE = re.compile(
    r"\b(?:Senin|Selasa|Rabu|Kamis|Jumat|Jum'at|Sabtu|Minggu)\s*\(\d{1,2}/\d{1,2}\)"
)
HAS_COPYRIGHT_YEAR = re.compile(r"Copyright\s*(?:©|\(c\))[^\n]{0,40}?(?:19|20)\d\d", re.I)


@dataclass(frozen=True)
class Leftover:
    """Something that must not survive into a passage, and the pattern that finds it."""

    name: str
    pattern: re.Pattern[str]
    first_passage_only: bool = False  # a dash opens list items later in an article


# "Baca juga" in any case (IndoSum writes "[Baca Juga: ...]") but as a word ("dibaca juga" is
# prose); "pewarta" in lower case is prose too ("kepada pewarta", to reporters).
BACA_JUGA = re.compile(r"\bbaca\s+juga\b", re.I)
LEFTOVERS = (
    Leftover("Baca juga (any case)", BACA_JUGA),
    Leftover("Pewarta", re.compile(r"Pewarta")),
    Leftover("COPYRIGHT (any case)", re.compile(r"copyright", re.I)),
    Leftover("SCROLL TO CONTINUE", re.compile(r"SCROLL TO CONTINUE")),
    Leftover("ADVERTISEMENT", re.compile(r"ADVERTISEMENT")),
    Leftover("(ANTARA) / (ANTARA News) dateline", re.compile(r"\(ANTARA(?: News)?\)")),
    # Beyond the list above, what the cleaner leaves of other openings and links:
    # "Jakarta, CNN Indonesia - - " cut after its first dash, "[Baca Juga: ...]" without "[".
    Leftover("dash opening an article", re.compile(r"\A\s*[-–—]"), first_passage_only=True),
    Leftover("bracket ending a paragraph", re.compile(r"[\[(]\s*(?=\n|\Z)")),
)


@dataclass(frozen=True)
class ReadmeFact:
    """A count the corpus README states, the raw text's count, and what the cleaner handled."""

    corpus: str
    fact: str
    stated: int | None
    pattern: re.Pattern[str]
    handled: str  # "city", "copyright_year", "translator", or "removed" (gone from passages)


README_FACTS = (
    ReadmeFact(
        "antara-ppw",
        "`City (ANTARA) - ` dateline",
        1374,
        re.compile(r"\(ANTARA\)\s*[-–—]"),
        "city",
    ),
    ReadmeFact(
        "antara-ppw",
        "`COPYRIGHT © ANTARA 2023` footer",
        1377,
        re.compile(r"COPYRIGHT © ANTARA 2023"),
        "copyright_year",
    ),
    ReadmeFact("antara-ppw", "`Penerjemah:` footer", 101, HAS_TRANSLATOR, "translator"),
    ReadmeFact("antara-ppw", "`Baca juga:` cross-links", 1183, BACA_JUGA, "removed"),
    ReadmeFact(
        "indosum-dev",
        "`City (ANTARA News) - ` dateline",
        None,
        re.compile(r"\(ANTARA News\)\s*[-–—]"),
        "city",
    ),
    ReadmeFact("indosum-dev", "`Baca juga` cross-links", 166, BACA_JUGA, "removed"),
    ReadmeFact(
        "detik-1000",
        "`SCROLL TO CONTINUE WITH CONTENT`",
        985,
        re.compile(r"SCROLL TO CONTINUE WITH CONTENT"),
        "removed",
    ),
    ReadmeFact("detik-1000", "`ADVERTISEMENT`", 42, re.compile(r"ADVERTISEMENT"), "removed"),
)

# How often the synthetic articles carry each ANTARA quirk, from the corpus README's counts of
# antara-ppw (1,494 articles) and one count of ours (footers glued to the text before them).
TEASER_RATE = 310 / 1374
CROSS_LINK_RATE = 1183 / 1494
GLUED_CROSS_LINK_RATE = 131 / 1183
TRANSLATOR_RATE = 101 / 1494
GLUED_FOOTER_RATE = 1113 / 1347
FIRST_SYNTHETIC_DAY = datetime.fromisoformat("2023-11-09T06:00:00+07:00")
SYNTHETIC_DAYS = 27


# --- data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    path: Path
    name: str | None = None  # the corpus name; None names each file by its first folder


@dataclass(frozen=True)
class Record:
    corpus: str
    raw: RawArticle
    article: Article


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    sources: tuple[Path, ...]
    subset: Path  # the articles the naive peer processes
    articles: int


def read_raw(sources: Sequence[Source]) -> list[tuple[str, RawArticle]]:
    """(corpus, record) for every article, read exactly as ``index_sources`` reads them."""
    records: list[tuple[str, RawArticle]] = []
    for source in sources:
        for path, root in source_files(source.path):
            corpus = source.name or path.relative_to(root).parts[0]
            records.extend(
                (corpus, item) for item in read_file(path, root) if isinstance(item, RawArticle)
            )
    return records


def clean_all(raws: Sequence[tuple[str, RawArticle]]) -> list[Record]:
    return [Record(corpus, raw, clean_article(raw)) for corpus, raw in raws]


def to_json_record(raw: RawArticle) -> dict[str, str | None]:
    """The shared corpora's JSONL format, which ``index.sources`` reads back unchanged."""
    return {
        "id": raw.article_id,
        "source": raw.outlet,
        "url": raw.url,
        "title": raw.title,
        "published": raw.published,
        "body": raw.body,
    }


def write_jsonl_gz(path: Path, records: Iterable[Mapping[str, str | None]]) -> None:
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def every_kth(items: Sequence[T], size: int) -> list[T]:
    """An evenly spread subset of at most ``size`` items, so every corpus is represented."""
    step = max(1, len(items) // max(1, size))
    return list(items[::step][:size])


def fold(text: str) -> str:
    return " ".join(text.split())


def snippet(text: str, start: int = 0, width: int = SNIPPET_CHARS) -> str:
    """``width`` characters of ``text`` from a little before ``start``, on one line; a
    paragraph break shows as ``¶``."""
    begin = max(0, start - width // 3)
    return repr(fold(text[begin : begin + width].replace("\n\n", " ¶ ")))


def clip(value: object, width: int = VALUE_CHARS) -> str:
    text = "None" if value is None else fold(str(value))
    return text if len(text) <= width else text[: width - 1] + "…"


# --- output -------------------------------------------------------------------------------


def heading(text: str) -> None:
    print(f"\n== {text} ==")


def percent(part: int, total: int) -> str:
    return f"{100 * part / total:.1f}%" if total else "-"


def share(found: int, total: int) -> str:
    if total == 0:
        return "-"
    return f"{found}/{total} {100 * found / total:.1f}%"


# --- 1. extraction ------------------------------------------------------------------------


@dataclass
class FieldTally:
    has: int = 0
    found: int = 0
    extra: int = 0  # extracted though the raw text has no such label
    misses: list[str] = field(default_factory=list)


def has_date(raw: RawArticle) -> bool:
    body = raw.body
    return raw.published is not None or (
        HAS_WEEKDAY_DATE.search(body) is not None and HAS_COPYRIGHT_YEAR.search(body) is not None
    )


def field_checks(record: Record) -> dict[str, tuple[bool, bool, str]]:
    """For each field: (the raw text has it, the cleaner extracted it, where to look)."""
    raw, article = record.raw, record.article
    body = raw.body

    def footer(pattern: re.Pattern[str], got: object) -> tuple[bool, bool, str]:
        match = pattern.search(body)
        where = snippet(body, match.start()) if match else ""
        return match is not None, got is not None, where

    weekday = HAS_WEEKDAY_DATE.search(body)
    return {
        "reporter": footer(HAS_REPORTER, article.reporter),
        "translator": footer(HAS_TRANSLATOR, article.translator),
        "editor": footer(HAS_EDITOR, article.editor),
        "date": (
            has_date(raw),
            article.published is not None,
            snippet(body, weekday.start()) if weekday else snippet(body, len(body) - 60),
        ),
    }


FIELDS = ("reporter", "translator", "editor", "date")


def extraction_table(records: Sequence[Record]) -> None:
    corpora = list(dict.fromkeys(record.corpus for record in records))
    tallies = {(c, f): FieldTally() for c in corpora for f in FIELDS}
    for record in records:
        for name, (has, found, where) in field_checks(record).items():
            tally = tallies[record.corpus, name]
            tally.has += has
            tally.found += has and found
            tally.extra += found and not has
            if has and not found:
                tally.misses.append(f"{record.raw.article_id}: {where}")
    counts = Counter(record.corpus for record in records)
    header = ("corpus", "articles", *(f"{name} found/has" for name in FIELDS))
    rows = [
        (
            corpus,
            str(counts[corpus]),
            *(share(tallies[corpus, f].found, tallies[corpus, f].has) for f in FIELDS),
        )
        for corpus in corpora
    ]
    print(
        "Share extracted among articles whose raw text has the field: `Pewarta:`/`Reporter:`,"
        " `Penerjemah:`, `Editor:`, and for the date a date in the record or"
        " `Weekday (d/m)` with a copyright year."
    )
    print(format_table([header, *rows]))
    print_estimated_dates(records)
    extras = [
        f"{corpus} {name} {tallies[corpus, name].extra}"
        for corpus in corpora
        for name in FIELDS
        if tallies[corpus, name].extra
    ]
    if extras:
        print("extracted though the raw text has no such label: " + ", ".join(extras))
    for name in FIELDS:
        misses = [miss for corpus in corpora for miss in tallies[corpus, name].misses]
        if misses:
            print(f"\n{name} in the text but not extracted ({len(misses)}), first few:")
            for miss in misses[:EXAMPLES_PER_KIND]:
                print(f"  {miss}")


def print_estimated_dates(records: Sequence[Record]) -> None:
    """Dates estimated from ``Weekday (d/m)``, against the date the same article's JSONL record
    gives (antara-ppw-txt holds 50 antara-ppw articles without their dates)."""
    known = {record.raw.article_id: record.raw.published for record in records}
    checked: list[tuple[str, str | None, str | None]] = []
    for record in records:
        if not record.article.published_estimated:
            continue
        hex_id = record.raw.article_id.rpartition("_")[2]
        published = known.get(f"antara-{hex_id}")
        if published is not None:
            checked.append((record.raw.article_id, record.article.published, published[:10]))
    if not checked:
        return
    days_off = [
        abs((date.fromisoformat(estimate) - date.fromisoformat(actual)).days)
        for _, estimate, actual in checked
        if estimate and actual
    ]
    print(
        "dates estimated from `Weekday (d/m)` against the same article's JSONL date: exact"
        f" {share(days_off.count(0), len(checked))}, within a day"
        f" {share(sum(off <= 1 for off in days_off), len(checked))}, at most"
        f" {max(days_off, default=0)} days off; e.g. "
        + "; ".join(
            f"{article_id} {estimate} vs {actual}"
            for article_id, estimate, actual in checked[:EXAMPLES_PER_KIND]
        )
    )


def readme_table(records: Sequence[Record], passages: Mapping[str, list[str]]) -> None:
    rows: list[tuple[str, ...]] = []
    for fact in README_FACTS:
        in_corpus = [record for record in records if record.corpus == fact.corpus]
        raw_hits = [record for record in in_corpus if fact.pattern.search(record.raw.body)]
        handled = sum(handled_by_cleaner(fact, record, passages) for record in raw_hits)
        stated = "-" if fact.stated is None else str(fact.stated)
        rows.append((fact.corpus, fact.fact, stated, str(len(raw_hits)), str(handled)))
    print(
        "The corpus README's counts, the raw text's (plain regex), and how many of those the"
        " cleaner handled (dateline -> city, footer -> year, `Penerjemah:` -> translator,"
        " others -> gone from every passage):"
    )
    print(format_table([("corpus", "fact", "README", "raw text", "cleaner"), *rows], 2))


def handled_by_cleaner(
    fact: ReadmeFact, record: Record, passages: Mapping[str, list[str]]
) -> bool:
    article = record.article
    if fact.handled == "city":
        return article.city is not None
    if fact.handled == "copyright_year":
        return article.copyright_year is not None
    if fact.handled == "translator":
        return article.translator is not None
    texts = passages[record.raw.article_id]
    return not any(fact.pattern.search(text) for text in texts)


def leftovers_table(records: Sequence[Record], passages: Mapping[str, list[str]]) -> None:
    rows: list[tuple[str, ...]] = []
    examples: list[str] = []
    for leftover in LEFTOVERS:
        offending = [
            (record.raw.article_id, text, match.start())
            for record in records
            for text in passages[record.raw.article_id][
                : 1 if leftover.first_passage_only else None
            ]
            if (match := leftover.pattern.search(text))
        ]
        articles = len({article_id for article_id, _, _ in offending})
        rows.append((leftover.name, str(len(offending)), str(articles), "0"))
        examples.extend(
            f"  [{leftover.name}] {article_id}: {snippet(text, start)}"
            for article_id, text, start in offending[:EXAMPLES_PER_KIND]
        )
    total = sum(len(texts) for texts in passages.values())
    print(f"Passages (split_passages) still holding page furniture, of {total} passages:")
    print(format_table([("left in passages", "passages", "articles", "target"), *rows]))
    if examples:
        print("first offending passages (article id, 100 characters around the match):")
        print("\n".join(examples))


def run_extraction(records: Sequence[Record], description: str, with_readme: bool) -> None:
    heading(f"1. Extraction on {description}")
    passages = {
        record.raw.article_id: [
            p.text for p in split_passages(record.raw.article_id, record.article.paragraphs)
        ]
        for record in records
    }
    extraction_table(records)
    print()
    if with_readme:
        readme_table(records, passages)
    else:
        print("README counts: skipped (the shared corpora are not here)")
    print()
    leftovers_table(records, passages)


# --- 2. labels ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    field: str
    applies: bool
    correct: bool
    expected: object
    got: object


LABEL_FIELDS = (
    "city",
    "agency",
    "reporter",
    "translator",
    "editor",
    "copyright_year",
    "teaser",
    "cross_links",
    "boilerplate",
    "first_sentence",
    "last_sentence",
)


def same_name(expected: object, got: object) -> bool:
    """Names compare with case and spacing folded: ``JAKARTA`` is shown as ``Jakarta``."""
    if expected is None or got is None:
        return expected is got
    return fold(str(expected)).casefold() == fold(str(got)).casefold()


def label_checks(label: Mapping[str, Any], raw: RawArticle) -> list[Check]:
    article = clean_article(raw)
    # The agency the text gives: clean the record again without the outlet it names.
    text_outlet = clean_article(replace(raw, outlet=None)).outlet
    paragraphs = [fold(paragraph) for paragraph in article.paragraphs]
    first = paragraphs[0] if paragraphs else ""
    last = paragraphs[-1] if paragraphs else ""
    checks = [
        Check(name, True, same_name(label[name], got), label[name], got)
        for name, got in (
            ("city", article.city),
            ("agency", text_outlet),
            ("reporter", article.reporter),
            ("translator", article.translator),
            ("editor", article.editor),
        )
    ]
    checks.append(
        Check(
            "copyright_year",
            True,
            label["copyright_year"] == article.copyright_year,
            label["copyright_year"],
            article.copyright_year,
        )
    )
    teaser = fold(label["teaser"] or "")
    checks.append(Check("teaser", bool(teaser), teaser not in first, teaser, first))
    linked = next((p for p in paragraphs if BACA_JUGA.search(p)), None)
    checks.append(
        Check("cross_links", label["cross_links"] > 0, linked is None, "no `Baca juga`", linked)
    )
    wanted = [fold(text) for text in label["boilerplate"]]
    kept = next((text for text in wanted if any(text in p for p in paragraphs)), None)
    checks.append(Check("boilerplate", bool(wanted), kept is None, "removed", kept))
    first_sentence, last_sentence = fold(label["first_sentence"]), fold(label["last_sentence"])
    checks.append(
        Check("first_sentence", True, first.startswith(first_sentence), first_sentence, first)
    )
    checks.append(
        Check(
            "last_sentence",
            True,
            last.endswith(last_sentence),
            last_sentence,
            last[-VALUE_CHARS:] if len(last) > VALUE_CHARS else last,
        )
    )
    return checks


def run_labels(labels_path: Path, raws: Sequence[tuple[str, RawArticle]]) -> None:
    labels = [
        json.loads(line) for line in labels_path.read_text(encoding="utf-8").splitlines() if line
    ]
    heading(f"2. Field-by-field accuracy against {len(labels)} hand labels ({labels_path.name})")
    by_id = {raw.article_id: raw for _, raw in raws}
    correct: Counter[str] = Counter()
    total: Counter[str] = Counter()
    mismatches: list[tuple[str, ...]] = []
    for label in labels:
        raw = by_id.get(label["id"])
        if raw is None:
            mismatches.append((label["id"], "(all)", "an article with this id", "not found"))
            for name in LABEL_FIELDS:
                total[name] += 1
            continue
        for check in label_checks(label, raw):
            if not check.applies:
                continue
            total[check.field] += 1
            correct[check.field] += check.correct
            if not check.correct:
                mismatches.append(
                    (label["id"], check.field, clip(check.expected), clip(check.got))
                )
    print(
        "Names compare with case and spacing folded; agency is the outlet the text gives"
        " (dateline or footer); teaser, cross_links and boilerplate count only the labelled"
        " articles that have one."
    )
    rows = [
        (name, str(correct[name]), str(total[name]), percent(correct[name], total[name]))
        for name in LABEL_FIELDS
    ]
    print(format_table([("field", "correct", "total", "share"), *rows]))
    print(f"\nmismatches: {len(mismatches)}")
    shown = spread_over_fields(mismatches, MAX_MISMATCH_LINES)
    if shown:
        print(format_table([("id", "field", "expected", "got"), *shown], text_columns=4))
    if len(mismatches) > len(shown):
        print(f"... and {len(mismatches) - len(shown)} more")


def spread_over_fields(mismatches: Sequence[tuple[str, ...]], limit: int) -> list[tuple[str, ...]]:
    """At most ``limit`` mismatches, taken in turn from each field, listed field by field."""
    by_field: dict[str, list[tuple[str, ...]]] = {}
    for mismatch in mismatches:
        by_field.setdefault(mismatch[1], []).append(mismatch)
    taken = [
        mismatch
        for turn in itertools.zip_longest(*by_field.values())
        for mismatch in turn
        if mismatch is not None
    ][:limit]
    order = ("(all)", *LABEL_FIELDS)
    return sorted(taken, key=lambda mismatch: order.index(mismatch[1]))


# --- synthetic articles -------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+(?:[.,]\d+)*")


@dataclass(frozen=True)
class CorpusStats:
    """What synthetic articles are drawn from: empirical distributions of the cleaned corpus."""

    paragraphs_per_article: tuple[int, ...]
    sentences_per_paragraph: tuple[int, ...]
    words_per_sentence: tuple[int, ...]
    vocabulary: tuple[str, ...]
    cumulative_counts: tuple[int, ...]
    cities: tuple[str, ...]
    reporters: tuple[str, ...]
    editors: tuple[str, ...]


def corpus_stats(articles: Iterable[Article]) -> CorpusStats:
    paragraphs: list[int] = []
    sentences: list[int] = []
    lengths: list[int] = []
    words: Counter[str] = Counter()
    cities: list[str] = []
    reporters: list[str] = []
    editors: list[str] = []
    for article in articles:
        if not article.paragraphs:
            continue
        paragraphs.append(len(article.paragraphs))
        for paragraph in article.paragraphs:
            parts = split_sentences(paragraph)
            sentences.append(len(parts))
            for sentence in parts:
                tokens = _WORD.findall(sentence)
                if tokens:
                    lengths.append(len(tokens))
                    words.update(tokens)
        cities.extend([article.city] if article.city else [])
        reporters.extend([article.reporter] if article.reporter else [])
        editors.extend([article.editor] if article.editor else [])
    vocabulary, counts = zip(*words.most_common(), strict=True)
    return CorpusStats(
        paragraphs_per_article=tuple(paragraphs),
        sentences_per_paragraph=tuple(sentences),
        words_per_sentence=tuple(lengths),
        vocabulary=vocabulary,
        cumulative_counts=tuple(itertools.accumulate(counts)),
        cities=tuple(cities) or ("Jakarta",),
        reporters=tuple(reporters) or ("Nama Pewarta",),
        editors=tuple(editors) or ("Nama Editor",),
    )


class SyntheticWriter:
    """Distinct articles in ANTARA's raw format, words drawn by corpus frequency (fixed seed)."""

    def __init__(self, stats: CorpusStats, seed: int = SEED) -> None:
        self.stats = stats
        self.random = random.Random(seed)

    def words(self, count: int) -> list[str]:
        stats = self.stats
        return self.random.choices(stats.vocabulary, cum_weights=stats.cumulative_counts, k=count)

    def sentence(self, length: int | None = None) -> str:
        words = self.words(length or self.random.choice(self.stats.words_per_sentence))
        words[0] = words[0][:1].upper() + words[0][1:]
        return " ".join(words)

    def headline(self) -> str:
        return self.sentence(self.random.randint(5, 12))

    def paragraph(self) -> str:
        count = self.random.choice(self.stats.sentences_per_paragraph)
        return " ".join(f"{self.sentence()}." for _ in range(count))

    def article(self, number: int) -> dict[str, str | None]:
        rnd, stats = self.random, self.stats
        paragraphs = [self.paragraph() for _ in range(rnd.choice(stats.paragraphs_per_article))]
        lead = f"{rnd.choice(stats.cities)} (ANTARA) - {paragraphs[0]}"
        # The page's teaser, glued to the dateline with no space, as the crawl has it.
        paragraphs[0] = self.headline() + lead if rnd.random() < TEASER_RATE else lead
        if rnd.random() < CROSS_LINK_RATE:
            for _ in range(rnd.randint(1, 3)):
                link = f"Baca juga: {self.headline()}"
                where = rnd.randint(1, len(paragraphs))
                if rnd.random() < GLUED_CROSS_LINK_RATE:
                    paragraphs[where - 1] += f" {link}"
                else:
                    paragraphs.insert(where, link)
        label = "Penerjemah" if rnd.random() < TRANSLATOR_RATE else "Pewarta"
        footer = f"{label}: {rnd.choice(stats.reporters)}Editor: {rnd.choice(stats.editors)}"
        glue = "" if rnd.random() < GLUED_FOOTER_RATE else "\n\n"
        published = FIRST_SYNTHETIC_DAY + timedelta(minutes=rnd.randrange(SYNTHETIC_DAYS * 1440))
        return {
            "id": f"synthetic-{number:06d}",
            "source": "ANTARA",
            "url": None,
            "title": self.headline(),
            "published": published.isoformat(),
            "body": "\n\n".join(paragraphs) + glue + footer + "\n\nCOPYRIGHT © ANTARA 2023",
        }


def write_synthetic(
    stats: CorpusStats, count: int, folder: Path, subset_path: Path, subset_size: int
) -> None:
    """``count`` articles in shards of ``SHARD_ARTICLES``; an evenly spread subset on the side."""
    folder.mkdir(parents=True, exist_ok=True)
    writer = SyntheticWriter(stats)
    step = max(1, count // max(1, subset_size))
    subset: list[dict[str, str | None]] = []
    for shard, start in enumerate(range(0, count, SHARD_ARTICLES)):
        records = [writer.article(n) for n in range(start, min(count, start + SHARD_ARTICLES))]
        subset.extend(
            record
            for n, record in enumerate(records, start=start)
            if n % step == 0 and len(subset) < subset_size
        )
        write_jsonl_gz(folder / f"synthetic-{shard:03d}.jsonl.gz", records)
    write_jsonl_gz(subset_path, subset[:subset_size])


# --- 3. throughput: measurements, each in a fresh subprocess -----------------------------


def peak_rss_kb(who: int) -> int:
    peak = resource.getrusage(who).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak // 1024 if sys.platform == "darwin" else peak


def measure_ours(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``index_sources`` into a fresh database, ``Archive`` on it, one question asked."""
    from index.archive import Archive
    from index.ingest import index_sources

    db_path = Path(spec["db"])
    start = time.perf_counter()
    report = index_sources(db_path, [Path(s) for s in spec["sources"]], workers=spec["workers"])
    indexed = time.perf_counter()
    archive = Archive(db_path)
    built = time.perf_counter()
    answer = archive.ask(spec["question"])
    asked = time.perf_counter()
    stats = archive.stats()
    return {
        "seconds": asked - start,
        "articles": stats.articles,
        "passages": stats.passages,
        "parts": {"index": indexed - start, "archive": built - indexed, "ask": asked - built},
        "hits": len(answer.hits),
        "failures": [f"{f.where}: {f.reason}" for f in report.failures][:5],
    }


def measure_naive(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The straightforward way: our cleaning and splitting, the same token regex and stopwords,
    Sastrawi on every token occurrence (no memo), one sqlite-utils insert per row."""
    import sqlite_utils
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    from index.analysis import content_tokens

    # The factory wraps the stemmer in a cache; the naive peer uses the stemmer itself.
    stemmer = StemmerFactory().create_stemmer().delegatedStemmer
    start = time.perf_counter()
    db = sqlite_utils.Database(Path(spec["db"]))
    articles_table, passages_table = db.table("articles"), db.table("passages")
    articles = passages = 0
    for path, root in source_files(Path(spec["source"])):
        for item in read_file(path, root):
            if not isinstance(item, RawArticle):
                continue
            article = clean_article(item)
            articles_table.insert(
                {"id": article.article_id, "title": article.title, "outlet": article.outlet},
                pk="id",
            )
            articles += 1
            for passage in split_passages(article.article_id, article.paragraphs):
                tokens = content_tokens(passage.text, article.language)
                terms = [stemmer.stem(token) for token in tokens]
                passages_table.insert(
                    {
                        "passage_id": passage.passage_id,
                        "article_id": passage.article_id,
                        "text": passage.text,
                        "terms": " ".join(terms),
                    },
                    pk="passage_id",
                )
                passages += 1
    db.close()
    return {"seconds": time.perf_counter() - start, "articles": articles, "passages": passages}


def measure_build(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Only the index build over the analysed terms our run stored (loading them is not timed):
    ours from the stored strings of terms, as the archive builds the segment of passages no
    stored segment holds; rank-bm25 from token lists."""
    from index.store import open_for_reading

    db = open_for_reading(Path(spec["db"]))
    rows = db.execute("SELECT row_id, terms FROM passages ORDER BY row_id").fetchall()
    articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    db.close()
    if spec["system"] == "okapi":
        from rank_bm25 import BM25Okapi

        corpus = [terms.split() for _, terms in rows]
        start = time.perf_counter()
        BM25Okapi(corpus)
    else:
        from index.engine import BM25Engine, SegmentBuilder

        row_ids, texts = [row for row, _ in rows], [terms for _, terms in rows]
        start = time.perf_counter()
        # Each chunk of a stored string of terms is one term (index.store.tail_segment).
        BM25Engine([SegmentBuilder(lambda term: (term,)).build(row_ids, texts)])
    return {"seconds": time.perf_counter() - start, "articles": articles, "passages": len(rows)}


MEASURES = {"ours": measure_ours, "naive": measure_naive, "build": measure_build}


def child_main(spec_json: str) -> int:
    spec = json.loads(spec_json)
    result = MEASURES[spec["kind"]](spec)
    result["rss_kb"] = peak_rss_kb(resource.RUSAGE_SELF)
    result["workers_rss_kb"] = peak_rss_kb(resource.RUSAGE_CHILDREN)
    print(json.dumps(result))
    return 0


def spin(_: int) -> float:
    """Seconds of a fixed pure-Python loop: a yardstick for what a core delivers."""
    start = time.perf_counter()
    total = 0
    for number in range(SPIN_LOOPS):
        total += number
    return time.perf_counter() - start


def print_cpu_check() -> None:
    """How much two busy processes get done at once compared with one, on this machine."""
    alone = spin(0)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(time.sleep, [0.2, 0.2]))  # both processes started before the timing
        start = time.perf_counter()
        list(pool.map(spin, [0, 1]))
        together = time.perf_counter() - start
    print(
        f"\nCPU check: a fixed loop takes {alone:.2f} s alone and {together:.2f} s for two at"
        f" once in two processes, so two cores do {2 * alone / together:.2f}x the work of one"
        f" here ({os.cpu_count()} CPUs reported)"
    )


def run_child(spec: Mapping[str, Any]) -> dict[str, Any]:
    return run_measurement("bench.ingest", spec)


@dataclass(frozen=True)
class Row:
    name: str
    articles: int = 0
    passages: int = 0
    seconds: float = 0.0
    rss_kb: int = 0
    workers_rss_kb: int = 0
    measured_on: int | None = None  # articles actually processed when seconds are extrapolated
    error: str | None = None

    @property
    def rate(self) -> float:
        return self.articles / self.seconds if self.seconds > 0 else 0.0


def row_from(name: str, result: Mapping[str, Any]) -> Row:
    return Row(
        name=name,
        articles=result["articles"],
        passages=result["passages"],
        seconds=result["seconds"],
        rss_kb=result["rss_kb"],
        workers_rss_kb=result["workers_rss_kb"],
    )


def measured_row(
    name: str, spec: Mapping[str, Any], failures: list[str]
) -> tuple[Row, dict[str, Any] | None]:
    """The row of one measurement and its raw result; a failure becomes a FAILED row."""
    try:
        result = run_child(spec)
    except MeasurementError as error:
        print(error, file=sys.stderr)
        failures.append(f"{name}: {error.reason}")
        return Row(name=name, error=error.reason), None
    return row_from(name, result), result


THROUGHPUT_HEADER = (
    "system",
    "articles",
    "passages",
    "seconds",
    "articles/s",
    "peak RSS MB",
    "workers MB",
    "time/ours",
)


def throughput_cells(row: Row, ours: Row) -> tuple[str, ...]:
    if row.error is not None:
        return (row.name, *("-" * 6), "FAILED")
    mark = "*" if row.measured_on else ""
    compare = ours.error is None and ours.seconds > 0
    return (
        row.name,
        f"{row.articles:,}",
        f"{row.passages:,}{mark}",
        f"{row.seconds:.2f}{mark}",
        f"{row.rate:,.0f}",
        f"{row.rss_kb / 1024:.0f}",
        f"{row.workers_rss_kb / 1024:.0f}" if row.workers_rss_kb else "-",
        f"{row.seconds / ours.seconds:.2f}x" if compare else "-",
    )


def throughput_table(rows: Sequence[Row]) -> str:
    """Rows with their time relative to the first row's, which is ours."""
    cells = [throughput_cells(row, rows[0]) for row in rows]
    failed = [f"  FAILED {row.name}: {row.error}" for row in rows if row.error]
    return "\n".join([format_table([THROUGHPUT_HEADER, *cells]), *failed])


def measure_workload(
    workload: Workload, workers: Sequence[int], workdir: Path, failures: list[str]
) -> Row:
    """Print the workload's two tables; return our row with the first workers count."""
    heading(f"3. Throughput, raw files to searchable: {workload.description}")
    pipeline: list[Row] = []
    notes: list[str] = []
    kept_db: Path | None = None  # the first finished run's: the build peers use its tokens
    for count in workers:
        db = workdir / f"{workload.name}-w{count}.db"
        row, result = measured_row(
            f"newsbot index_sources+Archive+ask, workers={count}",
            {
                "kind": "ours",
                "db": str(db),
                "sources": [str(path) for path in workload.sources],
                "workers": count,
                "question": QUESTION,
            },
            failures,
        )
        pipeline.append(row)
        if result is not None:
            parts = result["parts"]
            notes.append(
                f"  workers={count}: index_sources {parts['index']:.2f} s, Archive() (stored "
                f"segments) {parts['archive']:.2f} s, ask {1000 * parts['ask']:.1f} ms"
                f" ({result['hits']} hits)"
            )
            notes.extend(f"  index failure: {failure}" for failure in result["failures"])
        if kept_db is None and result is not None:
            kept_db = db
        else:
            remove_db(db)
    pipeline.append(measure_naive_row(workload, workdir, failures, notes))
    print(throughput_table(pipeline))
    print("\n".join(notes))
    print_builds(kept_db, failures)
    return pipeline[0]


def measure_naive_row(
    workload: Workload, workdir: Path, failures: list[str], notes: list[str]
) -> Row:
    """The naive peer on the workload's subset, its time extrapolated to the whole workload."""
    db = workdir / f"{workload.name}-naive.db"
    row, result = measured_row(
        "naive: Sastrawi per token, sqlite-utils row by row",
        {"kind": "naive", "db": str(db), "source": str(workload.subset)},
        failures,
    )
    remove_db(db)
    if result is None:
        return row
    notes.append(
        f"  * naive: measured on an evenly spread subset of {row.articles:,} articles"
        f" ({row.seconds:.2f} s, {row.passages:,} passages); its seconds are extrapolated"
        f" linearly to {workload.articles:,} articles"
    )
    return replace(
        row,
        articles=workload.articles,
        seconds=row.seconds * workload.articles / max(1, row.articles),
        measured_on=row.articles,
    )


def print_builds(db: Path | None, failures: list[str]) -> None:
    """The searchable step alone: each index built over the tokens our run stored."""
    if db is None:
        print("\nthe searchable step alone: skipped, no run of ours finished")
        return
    builds = [
        measured_row(name, {"kind": "build", "db": str(db), "system": system}, failures)[0]
        for name, system in (
            ("newsbot SegmentBuilder", "ours"),
            ("rank_bm25 BM25Okapi", "okapi"),
        )
    ]
    remove_db(db)
    print(
        f"\nthe searchable step alone: the index build over the {builds[0].passages:,} passages'"
        f" analysed tokens from {db.name}, in memory (loading them not timed)"
    )
    print(throughput_table(builds))


def remove_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".lock"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)


# --- main ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a run of a few seconds for CI")
    parser.add_argument(
        "--synthetic",
        type=positive,
        metavar="N",
        default=None,
        help=f"synthetic articles to index (default {DEFAULT_SYNTHETIC:,}; {SMOKE_SYNTHETIC}"
        " with --smoke)",
    )
    parser.add_argument(
        "--workers",
        type=positive,
        metavar="W",
        default=2,
        help="worker processes for our run (default 2, both cores); a workers=1 run is added",
    )
    parser.add_argument(
        "--shared", type=Path, default=DEFAULT_SHARED, help="the shared folder (corpus, seeds)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def shared_sources(shared: Path) -> list[Source]:
    return [Source(shared / "corpus"), Source(shared / "seeds", "seed")]


def missing_shared(shared: Path) -> list[Path]:
    return [path for path in (shared / "corpus", shared / "seeds") if not path.is_dir()]


def run_quality(args: argparse.Namespace) -> tuple[list[Record], bool]:
    """Sections 1 and 2; the cleaned records, and whether the shared corpora are here."""
    have_shared = not missing_shared(args.shared)
    if have_shared:
        sources = shared_sources(args.shared)
        description = f"all of {args.shared / 'corpus'} and the seed"
    else:
        sources = [Source(SAMPLE, "sample")]
        description = f"{SAMPLE.relative_to(ROOT)} ({args.shared} is missing)"
    raws = read_raw(sources)
    records = clean_all(raws)
    run_extraction(records, f"{description}: {len(records):,} articles", have_shared)
    if have_shared and LABELS.is_file():
        run_labels(LABELS, raws)
    else:
        reason = "the shared corpora are missing" if not have_shared else f"{LABELS} is missing"
        heading("2. Field-by-field accuracy against the hand labels")
        print(f"skipped: {reason}, and the labels are articles of those corpora")
    return records, have_shared


def corpus_workload(
    args: argparse.Namespace, records: Sequence[Record], have_shared: bool, workdir: Path
) -> Workload:
    """The shared corpora and the seed; the project's own sample in a smoke run."""
    subset_size = SMOKE_NAIVE_SUBSET if args.smoke else NAIVE_SUBSET
    if args.smoke or not have_shared:
        raws = [raw for _, raw in read_raw([Source(SAMPLE, "sample")])]
        sources: tuple[Path, ...] = (SAMPLE,)
        description = f"the sample corpus {SAMPLE.relative_to(ROOT)}"
    else:
        raws = [record.raw for record in records]
        sources = tuple(source.path for source in shared_sources(args.shared))
        description = f"{args.shared / 'corpus'} + the seed"
    subset = workdir / "corpus-subset.jsonl.gz"
    write_jsonl_gz(subset, map(to_json_record, every_kth(raws, subset_size)))
    return Workload("corpus", description, sources, subset, len(raws))


def synthetic_workload(
    args: argparse.Namespace, records: Sequence[Record], workdir: Path
) -> Workload:
    count = args.synthetic or (SMOKE_SYNTHETIC if args.smoke else DEFAULT_SYNTHETIC)
    subset_size = SMOKE_NAIVE_SUBSET if args.smoke else NAIVE_SUBSET
    start = time.perf_counter()
    # A smoke run's statistics come from a spread of the articles: its figures mean nothing.
    basis = every_kth(records, SMOKE_STATS_ARTICLES) if args.smoke else records
    stats = corpus_stats(record.article for record in basis)
    folder, subset = workdir / "synthetic", workdir / "synthetic-subset.jsonl.gz"
    write_synthetic(stats, count, folder, subset, subset_size)
    print(
        f"\n({count:,} synthetic articles generated in {time.perf_counter() - start:.1f} s, not"
        f" timed below: paragraph, sentence and word counts drawn from {len(basis):,} of the"
        f" cleaned articles above, words by their frequency over their {len(stats.vocabulary):,}"
        f" distinct words, seed {SEED}; with ANTARA datelines, glued teasers, `Baca juga` links"
        " and footers. Their vocabulary cannot grow past the corpus's as real news does, so"
        " they hold fewer new words to stem than real text would.)"
    )
    return Workload("synthetic", f"{count:,} synthetic articles", (folder,), subset, count)


def run(args: argparse.Namespace, workdir: Path) -> int:
    records, have_shared = run_quality(args)
    workloads = [
        corpus_workload(args, records, have_shared, workdir),
        synthetic_workload(args, records, workdir),
    ]
    workers = [1] if args.workers == 1 else [args.workers, 1]
    if args.smoke:
        print("\nCPU check: skipped in a smoke run")
    else:
        print_cpu_check()
    failures: list[str] = []
    ours = [
        (workload.name, measure_workload(workload, workers, workdir, failures))
        for workload in workloads
    ]
    print(f"\ntarget: >= {TARGET_RATE} articles/s with both cores")
    print(f"measured with workers={workers[0]}: " + ", ".join(verdict(*item) for item in ours))
    if failures:
        print(f"{len(failures)} measurement(s) failed: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


def verdict(name: str, row: Row) -> str:
    if row.error is not None:
        return f"{name} not measured (FAILED)"
    met = "met" if row.rate >= TARGET_RATE else "NOT met"
    return f"{name} {row.rate:,.0f} articles/s ({met})"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        return child_main(args.child)
    missing = missing_shared(args.shared)
    if missing and not args.smoke:
        print(
            "shared corpora not found; expected "
            + ", ".join(str(path) for path in missing)
            + f" (pass --shared DIR, or check out ../shared next to {ROOT})",
            file=sys.stderr,
        )
        return EXIT_MISSING_DATA
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-ingest-") as tmp:
        return run(args, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
