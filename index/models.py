"""The small frozen records that cross module boundaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class RawArticle:
    """An article as a reader found it, before cleaning; ``published`` is ISO 8601."""

    article_id: str
    origin: str
    body: str
    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    published: str | None = None
    reporter: str | None = None
    # For a feed entry: what the feed lists about it (and whether its page was read). When this
    # is unchanged the entry is, so its page need not be fetched again.
    listing: str | None = None


@dataclass(frozen=True)
class Article:
    """A cleaned article: body paragraphs plus the metadata its text and record gave."""

    article_id: str
    origin: str
    paragraphs: tuple[str, ...]
    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    published: str | None = None
    published_estimated: bool = False
    city: str | None = None
    reporter: str | None = None
    editor: str | None = None
    translator: str | None = None
    copyright_year: int | None = None
    language: str = "id"


@dataclass(frozen=True)
class Passage:
    """A quotable piece of an article: whole sentences, at most ``MAX_PASSAGE_CHARS``."""

    passage_id: str
    article_id: str
    ordinal: int
    text: str


@dataclass(frozen=True)
class StoredArticle:
    """An article ready to write: its passages and each passage's index terms (separated by
    spaces, as stored)."""

    article: Article
    content_hash: str
    passages: tuple[Passage, ...]
    terms: tuple[str, ...]
    # The story signature (see index.stories).
    signature: tuple[int, ...] = ()


@dataclass(frozen=True)
class ScoredPassage:
    """What the engine returns: a passage row id and its BM25 score as a plain float."""

    row_id: int
    score: float


@dataclass(frozen=True)
class Hit:
    """A ranked passage with what a reader needs to judge its source."""

    rank: int
    score: float
    passage_id: str
    text: str
    article_id: str
    title: str | None
    outlet: str | None
    url: str | None
    published: str | None
    city: str | None = None
    reporter: str | None = None
    copyright_year: int | None = None
    published_estimated: bool = False
    story_id: str | None = None
    # The sentence of ``text`` that answers the question, and the outlets of the story's other
    # copies (see index.answer).
    answer_sentence: str | None = None
    also_published_by: tuple[str, ...] = ()
    # How sure the archive is that this passage answers: 0 to 1 (see index.answer).
    confidence: float = 0.0


@dataclass(frozen=True)
class DateWindow:
    """Publication days ``start`` .. ``end``, both included, in WIB; ``phrase`` is the words of
    the question that set it, as the reader wrote them."""

    start: date
    end: date
    phrase: str

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"a window cannot end on {self.end} before it starts on {self.start}")


@dataclass(frozen=True)
class Answer:
    """The reply to one question: the quotes that answer it, or, when the archive holds no
    answer (``declined``), the nearest matches as "perhaps related"; the terms searched and,
    when the question asked for news from a time, the publication days searched."""

    question: str
    hits: tuple[Hit, ...]
    terms: tuple[str, ...] = ()
    declined: bool = False
    # The publication days searched, when the question named a time; ``asked_window`` is the
    # time it named, when nothing was found there and the window was widened.
    window: DateWindow | None = None
    asked_window: DateWindow | None = None
    # Articles without a date, which a window cannot hold.
    undated_articles: int = 0

    @property
    def answered(self) -> bool:
        return bool(self.hits) and not self.declined

    @property
    def widened(self) -> bool:
        return self.asked_window is not None


@dataclass(frozen=True)
class Failure:
    """An input that could not be indexed, with where and why."""

    where: str
    reason: str


@dataclass(frozen=True)
class Notice:
    """Something an indexing run did that the user should know, though nothing failed."""

    where: str
    message: str


ReadItem = RawArticle | Failure | Notice


@dataclass(frozen=True)
class IndexReport:
    """The outcome of one indexing run."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failures: tuple[Failure, ...] = field(default=())
    notices: tuple[Notice, ...] = field(default=())

    @property
    def failed(self) -> int:
        return len(self.failures)


@dataclass(frozen=True)
class ArchiveStats:
    """A summary of what the archive holds."""

    articles: int
    passages: int
    stories: int
    outlets: tuple[tuple[str, int], ...]
    first_published: str | None
    last_published: str | None
    last_indexed: str | None
    pipeline_version: str | None = None
