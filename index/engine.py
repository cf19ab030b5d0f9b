"""The BM25 index over passages (numpy lives here and nowhere else).

Scores are rank-bm25's ``BM25Okapi`` with Lucene's never-negative IDF
``ln(1 + (N - n + 0.5) / (n + 0.5))``: for each occurrence of a term in the question, add
``idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))``.

The index is a list of immutable ``Segment``s, each the postings (passage row id and term
frequency, per term) of some passages, plus the row ids deleted since. Nothing stored depends
on the corpus-wide statistics: the passage count, average length and document frequencies are
computed over the live passages when a ``BM25Engine`` is put together, so adding a segment or
deleting a passage never makes stored data stale. A search reads only the postings of the
question's terms.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from index.models import ScoredPassage

K1 = 1.2
B = 0.75

Rows = npt.NDArray[np.int64]
Counts = npt.NDArray[np.uint16]


@dataclass(frozen=True)
class BM25Parameters:
    k1: float = K1
    b: float = B


_TERM_SEPARATOR = "\n"


class Segment:
    """Postings of a set of passages: for each term, the row ids of the passages holding it
    (ascending) and how often each holds it; and each passage's length in terms."""

    def __init__(
        self,
        *,
        terms: Sequence[str],
        offsets: npt.NDArray[np.int64],
        rows: npt.NDArray[np.int32],
        frequencies: Counts,
        passage_rows: npt.NDArray[np.int32],
        passage_lengths: npt.NDArray[np.int32],
    ) -> None:
        self.terms = list(terms)
        self.offsets = offsets
        self.rows = rows
        self.frequencies = frequencies
        self.passage_rows = passage_rows
        self.passage_lengths = passage_lengths

    @classmethod
    def build(cls, passages: Iterable[tuple[int, Sequence[str]]]) -> Segment:
        """The segment of ``(row_id, terms)`` pairs, row ids ascending."""
        lookup: dict[str, int] = {}
        term_numbers: list[int] = []
        row_ids: list[int] = []
        lengths: list[int] = []
        for row_id, terms in passages:
            row_ids.append(row_id)
            lengths.append(len(terms))
            # setdefault's default is evaluated first: a new term gets the next number.
            term_numbers.extend([lookup.setdefault(term, len(lookup)) for term in terms])
        passage_rows = np.asarray(row_ids, dtype=np.int64)
        if len(passage_rows) > 1 and not bool(np.all(np.diff(passage_rows) > 0)):
            raise ValueError("passages must come in ascending row id order, each once")
        if len(passage_rows) and not 0 <= int(passage_rows[0]) <= int(passage_rows[-1]) < 2**31:
            raise ValueError("row ids must be in [0, 2**31)")
        passage_lengths = np.asarray(lengths, dtype=np.int64)
        owners = np.repeat(passage_rows, passage_lengths)
        numbers = np.asarray(term_numbers, dtype=np.int64)
        stride = int(passage_rows.max()) + 1 if len(passage_rows) else 1
        # One key per (term, passage): sorted, they are the postings in order; their repeats,
        # the term frequencies.
        keys, frequencies = np.unique(numbers * stride + owners, return_counts=True)
        offsets = np.zeros(len(lookup) + 1, dtype=np.int64)
        np.cumsum(np.bincount(keys // stride, minlength=len(lookup)), out=offsets[1:])
        return cls(
            terms=list(lookup),
            offsets=offsets,
            rows=(keys % stride).astype(np.int32),
            # A passage is far shorter than 65,535 words; saturate rather than wrap regardless.
            frequencies=np.minimum(frequencies, np.iinfo(np.uint16).max).astype(np.uint16),
            passage_rows=passage_rows.astype(np.int32),
            passage_lengths=passage_lengths.astype(np.int32),
        )

    @classmethod
    def merge(cls, segments: Sequence[Segment], deleted_rows: Sequence[int] = ()) -> Segment:
        """One segment holding the postings of ``segments`` but those of ``deleted_rows``.

        The segments must cover separate ranges of row ids (as consecutive writes do): then
        each term's postings, taken segment by segment in row order, are already in order.
        """
        ordered = sorted((s for s in segments if len(s)), key=lambda s: int(s.passage_rows[0]))
        for before, after in itertools.pairwise(ordered):
            if int(before.passage_rows[-1]) >= int(after.passage_rows[0]):
                raise ValueError("segments to merge must cover separate ranges of row ids")
        deleted = np.asarray(deleted_rows, dtype=np.int64)
        lookup: dict[str, int] = {}
        numbers: list[npt.NDArray[np.int64]] = [np.empty(0, np.int64)]
        rows: list[npt.NDArray[np.int32]] = [np.empty(0, np.int32)]
        counts: list[Counts] = [np.empty(0, np.uint16)]
        passage_rows: list[npt.NDArray[np.int32]] = [np.empty(0, np.int32)]
        passage_lengths: list[npt.NDArray[np.int32]] = [np.empty(0, np.int32)]
        for segment in ordered:
            renumber = np.asarray(
                [lookup.setdefault(term, len(lookup)) for term in segment.terms], dtype=np.int64
            )
            keep = ~np.isin(segment.rows, deleted)
            numbers.append(np.repeat(renumber, np.diff(segment.offsets))[keep])
            rows.append(segment.rows[keep])
            counts.append(segment.frequencies[keep])
            live = ~np.isin(segment.passage_rows, deleted)
            passage_rows.append(segment.passage_rows[live])
            passage_lengths.append(segment.passage_lengths[live])
        all_numbers = np.concatenate(numbers)
        # Stable: within a term, postings keep their row order.
        order = np.argsort(all_numbers, kind="stable")
        sizes = np.bincount(all_numbers, minlength=len(lookup))
        # Terms whose every passage was deleted are dropped.
        used = sizes > 0
        offsets = np.zeros(int(used.sum()) + 1, dtype=np.int64)
        np.cumsum(sizes[used], out=offsets[1:])
        terms = list(lookup)
        return cls(
            terms=[terms[number] for number in np.flatnonzero(used).tolist()],
            offsets=offsets,
            rows=np.concatenate(rows)[order],
            frequencies=np.concatenate(counts)[order],
            passage_rows=np.concatenate(passage_rows),
            passage_lengths=np.concatenate(passage_lengths),
        )

    def shifted(self, offset: int) -> Segment:
        """The same postings with ``offset`` added to every row id."""
        return Segment(
            terms=self.terms,
            offsets=self.offsets,
            rows=self.rows + np.int32(offset),
            frequencies=self.frequencies,
            passage_rows=self.passage_rows + np.int32(offset),
            passage_lengths=self.passage_lengths,
        )

    def __len__(self) -> int:
        return len(self.passage_rows)

    @functools.cached_property
    def _lookup(self) -> dict[str, int]:
        # Built on first search: segments that are only merged (a batch from a worker) never
        # need it.
        return {term: number for number, term in enumerate(self.terms)}

    def __getstate__(self) -> dict[str, object]:
        # Sent between processes without the lookup, which the receiver builds if it searches.
        return {name: value for name, value in vars(self).items() if name != "_lookup"}

    def row_ids(self) -> list[int]:
        """The row ids of the segment's passages, ascending."""
        return [int(row) for row in self.passage_rows.tolist()]

    def first_row(self) -> int | None:
        return int(self.passage_rows[0]) if len(self.passage_rows) else None

    def held(self, rows: Sequence[int]) -> list[int]:
        """Those of ``rows`` this segment holds a passage for."""
        wanted = np.asarray(rows, dtype=np.int64)
        return [int(row) for row in wanted[np.isin(wanted, self.passage_rows)]]

    def postings(self, term: str) -> tuple[npt.NDArray[np.int32], Counts] | None:
        number = self._lookup.get(term)
        if number is None:
            return None
        start, end = self.offsets[number], self.offsets[number + 1]
        return self.rows[start:end], self.frequencies[start:end]

    def to_blobs(self) -> dict[str, bytes]:
        """The segment as bytes, for a BLOB column each; ``from_blobs`` reads them back."""
        return {
            "terms": _TERM_SEPARATOR.join(self.terms).encode(),
            "offsets": self.offsets.astype("<i8").tobytes(),
            "rows": self.rows.astype("<i4").tobytes(),
            "frequencies": self.frequencies.astype("<u2").tobytes(),
            "passage_rows": self.passage_rows.astype("<i4").tobytes(),
            "passage_lengths": self.passage_lengths.astype("<i4").tobytes(),
        }

    @classmethod
    def from_blobs(cls, blobs: dict[str, bytes]) -> Segment:
        text = blobs["terms"].decode()
        return cls(
            terms=text.split(_TERM_SEPARATOR) if text else [],
            offsets=np.frombuffer(blobs["offsets"], dtype="<i8"),
            rows=np.frombuffer(blobs["rows"], dtype="<i4"),
            frequencies=np.frombuffer(blobs["frequencies"], dtype="<u2"),
            passage_rows=np.frombuffer(blobs["passage_rows"], dtype="<i4"),
            passage_lengths=np.frombuffer(blobs["passage_lengths"], dtype="<i4"),
        )


class BM25Engine:
    """Search over segments, minus deleted rows, with exact corpus-wide statistics.

    Immutable once built: to take new segments or deletions, build another from the same
    segments plus the new ones (cheap: nothing is re-analysed or copied).
    """

    def __init__(
        self,
        segments: Sequence[Segment],
        deleted: Iterable[int] = (),
        parameters: BM25Parameters | None = None,
    ) -> None:
        self._segments = [segment for segment in segments if len(segment)]
        self._parameters = parameters or BM25Parameters()
        size = max((int(s.passage_rows.max()) + 1 for s in self._segments), default=0)
        self._lengths = np.zeros(size, dtype=np.float64)
        alive = np.zeros(size, dtype=bool)
        for segment in self._segments:
            self._lengths[segment.passage_rows] = segment.passage_lengths
            alive[segment.passage_rows] = True
        gone = np.fromiter((row for row in deleted if 0 <= row < size), dtype=np.int64)
        # Without a deleted row among the passages, postings need no filtering.
        self._alive = alive if len(gone) and bool(alive[gone].any()) else None
        alive[gone] = False
        self._count = int(alive.sum())
        total = float(self._lengths[alive].sum())
        self._average_length = total / self._count if self._count else 0.0

        self._scratch = threading.local()

    def __len__(self) -> int:
        return self._count

    def _postings(self, term: str) -> tuple[npt.NDArray[np.int32], Counts] | None:
        found = [p for segment in self._segments if (p := segment.postings(term)) is not None]
        if not found:
            return None
        rows = np.concatenate([rows for rows, _ in found]) if len(found) > 1 else found[0][0]
        counts = np.concatenate([c for _, c in found]) if len(found) > 1 else found[0][1]
        if self._alive is not None:
            live = self._alive[rows]
            rows, counts = rows[live], counts[live]
        return (rows, counts) if len(rows) else None

    def _scores_array(self) -> npt.NDArray[np.float64]:
        # One array per thread, all zeros between searches: only touched entries are reset.
        scores: npt.NDArray[np.float64] | None = getattr(self._scratch, "scores", None)
        if scores is None:
            scores = self._scratch.scores = np.zeros(len(self._lengths), dtype=np.float64)
        return scores

    def search(self, terms: Sequence[str], k: int) -> list[ScoredPassage]:
        """The ``k`` best passages for the question's terms, best first, ties by row id."""
        if k <= 0 or not self._count:
            return []
        k1, b = self._parameters.k1, self._parameters.b
        found = [
            (postings, occurrences)
            for term, occurrences in Counter(terms).items()
            if (postings := self._postings(term)) is not None
        ]
        if not found:
            return []
        scores = self._scores_array()
        touched: list[npt.NDArray[np.int32]] = []
        try:
            for (rows, counts), occurrences in found:
                frequency = counts.astype(np.float64)
                idf = np.log1p((self._count - len(rows) + 0.5) / (len(rows) + 0.5))
                norm = k1 * (1 - b + b * self._lengths[rows] / self._average_length)
                scores[rows] += occurrences * idf * (frequency * (k1 + 1) / (frequency + norm))
                touched.append(rows)
            candidates = self._best_candidates(scores, touched, k)
            chosen = scores[candidates]
        finally:
            for rows in touched:
                scores[rows] = 0.0
        order = np.lexsort((candidates, -chosen))[:k]
        return [ScoredPassage(row_id=int(candidates[i]), score=float(chosen[i])) for i in order]

    @staticmethod
    def _best_candidates(
        scores: npt.NDArray[np.float64], touched: list[npt.NDArray[np.int32]], k: int
    ) -> Rows:
        """The rows that may be among the ``k`` best: every row scoring at least the ``k``-th
        best score of the rarest terms' rows, a lower bound of the ``k``-th best overall."""
        by_size = sorted(touched, key=len)
        # A term's rows are distinct: the rarest term alone usually gives k rows to rank.
        sample = by_size[0]
        for rows in by_size[1:]:
            if len(sample) >= k:
                break
            sample = np.union1d(sample, rows)
        if len(sample) < k:
            return sample.astype(np.int64)  # fewer than k rows in all: every one is a candidate
        sample_scores = scores[sample]
        bound = np.partition(sample_scores, len(sample_scores) - k)[len(sample_scores) - k]
        total = sum(len(rows) for rows in touched)
        if total * 4 < len(scores):
            # Filter before deduplicating: sorting every touched row would cost more than the
            # scoring did.
            above = np.concatenate([rows[scores[rows] >= bound] for rows in touched])
            chosen: Rows = np.unique(above).astype(np.int64)
            return chosen
        return np.flatnonzero(scores >= bound)
