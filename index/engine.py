"""The BM25 index over passages (numpy lives here and nowhere else).

Scores are rank-bm25's ``BM25Okapi`` with Lucene's never-negative IDF
``ln(1 + (N - n + 0.5) / (n + 0.5))``: for each occurrence of a term in the question, add
``idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))``. Postings are kept per term
(compressed sparse rows), so a search reads only the postings of the question's terms and ranks
only the passages they touch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from index.models import ScoredPassage

K1 = 1.2
B = 0.75


@dataclass(frozen=True)
class BM25Parameters:
    k1: float = K1
    b: float = B


class BM25Index:
    """An immutable BM25 index; build a new one to take new passages."""

    def __init__(
        self,
        *,
        row_ids: npt.NDArray[np.int64],
        lengths: npt.NDArray[np.float64],
        vocabulary: dict[str, int],
        offsets: npt.NDArray[np.int64],
        postings: npt.NDArray[np.int32],
        frequencies: npt.NDArray[np.float64],
        parameters: BM25Parameters,
    ) -> None:
        self._row_ids = row_ids
        self._lengths = lengths
        self._vocabulary = vocabulary
        self._offsets = offsets
        self._postings = postings
        self._frequencies = frequencies
        self._parameters = parameters
        count = len(row_ids)
        self._average_length = float(lengths.sum() / count) if count else 0.0
        document_frequencies = np.diff(offsets).astype(np.float64)
        self._idf = np.log1p((count - document_frequencies + 0.5) / (document_frequencies + 0.5))

    @classmethod
    def build(
        cls,
        passages: Iterable[tuple[int, Sequence[str]]],
        parameters: BM25Parameters | None = None,
    ) -> BM25Index:
        """Index ``(row_id, terms)`` pairs; the position of a pair is its internal number."""
        vocabulary: dict[str, int] = {}
        row_ids: list[int] = []
        lengths: list[int] = []
        term_numbers: list[int] = []
        passage_numbers: list[int] = []
        counts: list[int] = []
        for number, (row_id, terms) in enumerate(passages):
            row_ids.append(row_id)
            lengths.append(len(terms))
            for term, count in Counter(terms).items():
                term_numbers.append(vocabulary.setdefault(term, len(vocabulary)))
                passage_numbers.append(number)
                counts.append(count)
        terms_array = np.asarray(term_numbers, dtype=np.int64)
        order = np.argsort(terms_array, kind="stable")
        offsets = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms_array, minlength=len(vocabulary)), out=offsets[1:])
        return cls(
            row_ids=np.asarray(row_ids, dtype=np.int64),
            lengths=np.asarray(lengths, dtype=np.float64),
            vocabulary=vocabulary,
            offsets=offsets,
            postings=np.asarray(passage_numbers, dtype=np.int32)[order],
            frequencies=np.asarray(counts, dtype=np.float64)[order],
            parameters=parameters or BM25Parameters(),
        )

    def __len__(self) -> int:
        return len(self._row_ids)

    def search(self, terms: Sequence[str], k: int) -> list[ScoredPassage]:
        """The ``k`` best passages for the question's terms, best first, ties by row id."""
        if k <= 0 or not len(self):
            return []
        k1, b = self._parameters.k1, self._parameters.b
        touched: list[npt.NDArray[np.int32]] = []
        contributions: list[npt.NDArray[np.float64]] = []
        for term, occurrences in Counter(terms).items():
            number = self._vocabulary.get(term)
            if number is None:
                continue
            start, end = self._offsets[number], self._offsets[number + 1]
            passages = self._postings[start:end]
            tf = self._frequencies[start:end]
            norm = k1 * (1 - b + b * self._lengths[passages] / self._average_length)
            touched.append(passages)
            contributions.append(occurrences * self._idf[number] * (tf * (k1 + 1) / (tf + norm)))
        if not touched:
            return []
        candidates, inverse = np.unique(np.concatenate(touched), return_inverse=True)
        scores = np.bincount(inverse, weights=np.concatenate(contributions))
        row_ids = self._row_ids[candidates]
        if len(scores) > k:
            # Everything scoring at least the k-th best survives, so ties at the cut stay fair.
            threshold = np.partition(scores, len(scores) - k)[len(scores) - k]
            keep = scores >= threshold
            scores, row_ids = scores[keep], row_ids[keep]
        order = np.lexsort((row_ids, -scores))[:k]
        return [ScoredPassage(row_id=int(row_ids[i]), score=float(scores[i])) for i in order]
