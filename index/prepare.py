"""Raw articles -> what the archive writes: cleaned, split, analysed, with their story
signature and the search index segment of their passages (pure).

The unit of work of the indexer's worker processes, kept apart from the readers and the store
so a worker loads only what it needs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from index.analysis import analyze, content_tokens, stemmed
from index.clean import clean_article
from index.engine import Segment
from index.models import RawArticle, StoredArticle
from index.split import split_passages
from index.stories import signature


@dataclass(frozen=True)
class PreparedBatch:
    """Articles cleaned, split and analysed, and the search index segment of their passages,
    numbered from 0 in order (``write_articles`` gives them their row ids)."""

    articles: list[StoredArticle]
    segment: Segment


def prepare(records: Sequence[tuple[RawArticle, str]]) -> PreparedBatch:
    """Clean, split and analyse each record (given with its content hash): the unit of work of
    a worker process."""
    articles: list[StoredArticle] = []
    terms: list[list[str]] = []
    for raw, digest in records:
        stored, passage_terms = _prepare(raw, digest)
        articles.append(stored)
        terms.extend(passage_terms)
    return PreparedBatch(articles, Segment.build(enumerate(terms)))


def _prepare(raw: RawArticle, digest: str) -> tuple[StoredArticle, list[list[str]]]:
    """The article ready to write, and each passage's index terms."""
    article = clean_article(raw)
    language = article.language
    passages = split_passages(article.article_id, article.paragraphs)
    passage_tokens = [content_tokens(passage.text, language) for passage in passages]
    # The title and the dateline's city belong to every passage: a headline word or the place
    # the news comes from is evidence for each part, though neither is quoted with it.
    heading = analyze(" ".join(filter(None, (article.title, article.city))), language)
    terms = [[*heading, *stemmed(tokens, language)] for tokens in passage_tokens]
    stored = StoredArticle(
        # The passages carry the text: the paragraphs need not travel back to the writer.
        article=dataclasses.replace(article, paragraphs=()),
        content_hash=digest,
        passages=tuple(passages),
        terms=tuple(" ".join(passage_terms) for passage_terms in terms),
        signature=signature([token for tokens in passage_tokens for token in tokens]),
    )
    return stored, terms
