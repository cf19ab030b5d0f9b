"""The BM25 index over passages (numpy lives here and nowhere else).

Scores are rank-bm25's ``BM25Okapi`` with Lucene's never-negative IDF
``ln(1 + (N - n + 0.5) / (n + 0.5))``: for each occurrence of a term in the question, add
``idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))``.

The index is a list of immutable ``Segment``s, each the postings of some passages, plus the
row ids deleted since. A posting is a passage's row id and a code for its (term frequency,
passage length) pair: the part of the score that depends on the corpus is a small table over
those pairs, computed when a ``BM25Engine`` is put together, and so are the passage count,
average length and document frequencies, over the live passages only. Adding a segment or
deleting a passage never makes stored data stale. A search reads only the postings of the
question's terms.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from index.models import ScoredPassage

# Chosen on FacQA (bench/quality.py): train R@1 is flat over k1 0.7 to 1.0 and b 0.4 to 0.6,
# 1 to 2 points above Lucene's 1.2 and 0.75 on valid.
K1 = 0.9
B = 0.6

Rows = npt.NDArray[np.int64]
Codes = npt.NDArray[np.uint16] | npt.NDArray[np.uint32]
Scores = npt.NDArray[np.float64]
Sums = npt.NDArray[np.float32]


@dataclass(frozen=True)
class BM25Parameters:
    k1: float = K1
    b: float = B


_TERM_SEPARATOR = "\n"
# A merge places this many postings at a time, so its scratch memory stays small.
_MERGE_BLOCK = 1 << 22
_MERGE_THREADS = 2


def _code_type(pairs: int) -> type[np.unsignedinteger]:
    return np.uint16 if pairs <= 1 << 16 else np.uint32


def _pair_keys(frequencies: npt.NDArray[np.integer], lengths: npt.NDArray[np.integer]) -> Rows:
    return (frequencies.astype(np.int64) << 32) | lengths.astype(np.int64)


def _numbered_pairs(
    frequencies: npt.NDArray[np.integer], lengths: npt.NDArray[np.integer]
) -> tuple[Rows, Rows]:
    """The distinct (frequency, length) pairs as keys, ascending, and each posting's place
    among them (``np.unique`` with ``return_inverse``; through a table of every possible pair
    when there are few, which needs no sort)."""
    if not len(frequencies):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    width = int(lengths.max()) + 1
    if (int(frequencies.max()) + 1) * width > _PAIR_TABLE:
        return np.unique(_pair_keys(frequencies, lengths), return_inverse=True)
    cells = frequencies.astype(np.int64) * width + lengths
    held = np.bincount(cells) > 0
    present = np.flatnonzero(held)
    code_of_cell = np.cumsum(held) - 1
    return _pair_keys(present // width, present % width), code_of_cell[cells]


# Pairs counted through a table at most (a table cell per possible pair).
_PAIR_TABLE = 1 << 20


class _Numbering(dict[str, int]):
    """Term -> its number, a new term getting the next one."""

    def __missing__(self, term: str) -> int:
        number = self[term] = len(self)
        return number


class Segment:
    """Postings of a set of passages: for each term, the row ids of the passages holding it
    (ascending) and the code of each one's (term frequency, passage length) pair; and each
    passage's length in terms."""

    def __init__(
        self,
        *,
        terms: Sequence[str],
        offsets: npt.NDArray[np.int64],
        rows: npt.NDArray[np.int32],
        codes: Codes,
        pair_frequencies: npt.NDArray[np.int32],
        pair_lengths: npt.NDArray[np.int32],
        term_max_frequencies: npt.NDArray[np.int32],
        term_min_lengths: npt.NDArray[np.int32],
        passage_rows: npt.NDArray[np.int32],
        passage_lengths: npt.NDArray[np.int32],
    ) -> None:
        self.terms = list(terms)
        self.offsets = offsets
        self.rows = rows
        self.codes = codes
        self.pair_frequencies = pair_frequencies
        self.pair_lengths = pair_lengths
        self.term_max_frequencies = term_max_frequencies
        self.term_min_lengths = term_min_lengths
        self.passage_rows = passage_rows
        self.passage_lengths = passage_lengths

    @classmethod
    def build(cls, passages: Iterable[tuple[int, Sequence[str]]]) -> Segment:
        """The segment of ``(row_id, terms)`` pairs, row ids ascending."""
        row_ids: list[int] = []
        lengths: list[int] = []
        every_term: list[str] = []
        for row_id, terms in passages:
            row_ids.append(row_id)
            lengths.append(len(terms))
            every_term.extend(terms)
        lookup = _Numbering()
        term_numbers = np.fromiter(
            map(lookup.__getitem__, every_term), dtype=np.int64, count=len(every_term)
        )
        passage_lengths = np.asarray(lengths, dtype=np.int64)
        owners = np.repeat(np.arange(len(row_ids)), passage_lengths)
        return cls._of_occurrences(list(lookup), term_numbers, owners, row_ids, passage_lengths)

    @classmethod
    def _of_occurrences(
        cls,
        terms: list[str],
        term_numbers: Rows,
        owners: Rows,
        row_ids: Sequence[int],
        passage_lengths: Rows,
    ) -> Segment:
        """The segment of passages ``row_ids`` whose term occurrences are numbers in ``terms``,
        each with the place of its passage (``owners``)."""
        passage_rows = np.asarray(row_ids, dtype=np.int64)
        if len(passage_rows) > 1 and not bool(np.all(np.diff(passage_rows) > 0)):
            raise ValueError("passages must come in ascending row id order, each once")
        if len(passage_rows) and not 0 <= int(passage_rows[0]) <= int(passage_rows[-1]) < 2**31:
            raise ValueError("row ids must be in [0, 2**31)")
        count = max(len(passage_rows), 1)
        # One key per (term, passage): sorted, they are the postings in order; their repeats,
        # the term frequencies.
        keys, frequencies = np.unique(term_numbers * count + owners, return_counts=True)
        offsets = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(np.bincount(keys // count, minlength=len(terms)), out=offsets[1:])
        positions = keys % count
        lengths_held = passage_lengths[positions]
        pairs, codes = _numbered_pairs(frequencies, lengths_held)
        starts = offsets[:-1]
        return cls(
            terms=terms,
            offsets=offsets,
            rows=passage_rows[positions].astype(np.int32),
            codes=codes.astype(_code_type(len(pairs))),
            pair_frequencies=(pairs >> 32).astype(np.int32),
            pair_lengths=(pairs & 0xFFFFFFFF).astype(np.int32),
            # Every term has a posting, so each reduction has something to reduce.
            term_max_frequencies=np.maximum.reduceat(frequencies, starts).astype(np.int32)
            if len(starts)
            else np.empty(0, np.int32),
            term_min_lengths=np.minimum.reduceat(lengths_held, starts).astype(np.int32)
            if len(starts)
            else np.empty(0, np.int32),
            passage_rows=passage_rows.astype(np.int32),
            passage_lengths=passage_lengths.astype(np.int32),
        )

    @classmethod
    def merge(cls, segments: Sequence[Segment], deleted_rows: Sequence[int] = ()) -> Segment:
        """One segment holding the postings of ``segments`` but those of ``deleted_rows``.

        The segments must cover separate ranges of row ids (as consecutive writes do): then
        each term's postings, taken segment by segment in row order, are already in order, and
        each posting is copied straight to its place.
        """
        ordered = sorted((s for s in segments if len(s)), key=lambda s: int(s.passage_rows[0]))
        for before, after in itertools.pairwise(ordered):
            if int(before.passage_rows[-1]) >= int(after.passage_rows[0]):
                raise ValueError("segments to merge must cover separate ranges of row ids")
        deleted = np.unique(np.asarray(deleted_rows, dtype=np.int64))
        kept = [_Kept(segment, deleted) for segment in ordered]

        pairs, pair_codes = np.unique(
            np.concatenate(
                [np.empty(0, np.int64)]
                + [_pair_keys(s.pair_frequencies, s.pair_lengths) for s in ordered]
            ),
            return_inverse=True,
        )
        code_type = _code_type(len(pairs))
        bounds = itertools.accumulate((len(s.pair_lengths) for s in ordered), initial=0)
        recodes = [
            pair_codes[start:end].astype(code_type) for start, end in itertools.pairwise(bounds)
        ]

        lookup = _Numbering()
        numbers = [
            np.fromiter(map(lookup.__getitem__, s.terms), dtype=np.int64, count=len(s.terms))
            for s in ordered
        ]
        sizes = np.zeros(len(lookup), dtype=np.int64)
        # Each term's bounds over the segments (still bounds when some passages are deleted).
        max_frequencies = np.zeros(len(lookup), dtype=np.int32)
        min_lengths = np.full(len(lookup), np.iinfo(np.int32).max, dtype=np.int32)
        for number, part, segment in zip(numbers, kept, ordered, strict=True):
            sizes[number] += part.sizes
            # A segment lists each term once, so its numbers do not repeat.
            max_frequencies[number] = np.maximum(
                max_frequencies[number], segment.term_max_frequencies
            )
            min_lengths[number] = np.minimum(min_lengths[number], segment.term_min_lengths)
        # Terms whose every passage was deleted are dropped (their number here is unused).
        used = sizes > 0
        final = np.maximum(np.cumsum(used) - 1, 0)
        offsets = np.zeros(int(used.sum()) + 1, dtype=np.int64)
        np.cumsum(sizes[used], out=offsets[1:])
        rows = np.empty(int(offsets[-1]), dtype=np.int32)
        codes = np.empty(int(offsets[-1]), dtype=code_type)
        # Where each segment's postings of each term go: after the earlier segments' ones.
        cursor = offsets[:-1].copy()
        placements = []
        for number, part, recode in zip(numbers, kept, recodes, strict=True):
            if len(part.rows):
                targets = final[number]
                placements.append((part, recode, cursor[targets]))
                # Terms dropped here share a target with a kept one: only the kept ones move
                # their cursor (each once).
                held = part.sizes > 0
                cursor[targets[held]] += part.sizes[held]

        def place(part: _Kept, recode: Codes, starts: Rows) -> None:
            for first, last in part.blocks():
                start, end = int(part.offsets[first]), int(part.offsets[last])
                destination = np.repeat(
                    starts[first:last] - part.offsets[first:last], part.sizes[first:last]
                )
                destination += np.arange(start, end)
                rows[destination] = part.rows[start:end]
                codes[destination] = recode[part.codes[start:end]]

        # The segments go to separate places: numpy lets go of the interpreter while it copies,
        # so two threads place two segments at once.
        with ThreadPoolExecutor(_MERGE_THREADS) as threads:
            for placed in [threads.submit(place, *placement) for placement in placements]:
                placed.result()
        terms = list(lookup)
        return cls(
            terms=[terms[number] for number in np.flatnonzero(used).tolist()],
            offsets=offsets,
            rows=rows,
            codes=codes,
            pair_frequencies=(pairs >> 32).astype(np.int32),
            pair_lengths=(pairs & 0xFFFFFFFF).astype(np.int32),
            term_max_frequencies=max_frequencies[used],
            term_min_lengths=min_lengths[used],
            passage_rows=np.concatenate(
                [np.empty(0, np.int32)] + [part.passage_rows for part in kept]
            ),
            passage_lengths=np.concatenate(
                [np.empty(0, np.int32)] + [part.passage_lengths for part in kept]
            ),
        )

    def shifted(self, offset: int) -> Segment:
        """The same postings with ``offset`` added to every row id."""
        return Segment(
            terms=self.terms,
            offsets=self.offsets,
            rows=self.rows + np.int32(offset),
            codes=self.codes,
            pair_frequencies=self.pair_frequencies,
            pair_lengths=self.pair_lengths,
            term_max_frequencies=self.term_max_frequencies,
            term_min_lengths=self.term_min_lengths,
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

    def last_row(self) -> int | None:
        return int(self.passage_rows[-1]) if len(self.passage_rows) else None

    def held(self, rows: Sequence[int]) -> list[int]:
        """Those of ``rows`` this segment holds a passage for."""
        wanted = np.asarray(rows, dtype=np.int64)
        return [int(row) for row in wanted[np.isin(wanted, self.passage_rows)]]

    def number(self, term: str) -> int | None:
        """The term's place in ``terms``, if the segment has it."""
        return self._lookup.get(term)

    def coded_postings(self, number: int) -> tuple[npt.NDArray[np.int32], Codes]:
        start, end = self.offsets[number], self.offsets[number + 1]
        return self.rows[start:end], self.codes[start:end]

    def postings(self, term: str) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]] | None:
        """The row ids of the passages holding ``term``, and how often each holds it."""
        number = self.number(term)
        if number is None:
            return None
        rows, codes = self.coded_postings(number)
        return rows, self.pair_frequencies[codes]

    def to_blobs(self) -> dict[str, bytes | memoryview]:
        """The segment as bytes, for a BLOB column each (views of the arrays where they are
        stored as they are held); ``from_blobs`` reads them back."""
        arrays = {
            "offsets": (self.offsets, "<i8"),
            "rows": (self.rows, "<i4"),
            "codes": (self.codes, self.codes.dtype.newbyteorder("<")),
            "pair_frequencies": (self.pair_frequencies, "<i4"),
            "pair_lengths": (self.pair_lengths, "<i4"),
            "term_max_frequencies": (self.term_max_frequencies, "<i4"),
            "term_min_lengths": (self.term_min_lengths, "<i4"),
            "passage_rows": (self.passage_rows, "<i4"),
            "passage_lengths": (self.passage_lengths, "<i4"),
        }
        blobs: dict[str, bytes | memoryview] = {
            name: np.ascontiguousarray(array, dtype=dtype).data.cast("B")
            for name, (array, dtype) in arrays.items()
        }
        blobs["terms"] = _TERM_SEPARATOR.join(self.terms).encode()
        return blobs

    @classmethod
    def from_blobs(cls, blobs: Mapping[str, bytes | bytearray | memoryview]) -> Segment:
        text = bytes(blobs["terms"]).decode()
        pair_lengths = np.frombuffer(blobs["pair_lengths"], dtype="<i4")
        return cls(
            terms=text.split(_TERM_SEPARATOR) if text else [],
            offsets=np.frombuffer(blobs["offsets"], dtype="<i8"),
            rows=np.frombuffer(blobs["rows"], dtype="<i4"),
            codes=np.frombuffer(
                blobs["codes"], dtype=np.dtype(_code_type(len(pair_lengths))).newbyteorder("<")
            ),
            pair_frequencies=np.frombuffer(blobs["pair_frequencies"], dtype="<i4"),
            pair_lengths=pair_lengths,
            term_max_frequencies=np.frombuffer(blobs["term_max_frequencies"], dtype="<i4"),
            term_min_lengths=np.frombuffer(blobs["term_min_lengths"], dtype="<i4"),
            passage_rows=np.frombuffer(blobs["passage_rows"], dtype="<i4"),
            passage_lengths=np.frombuffer(blobs["passage_lengths"], dtype="<i4"),
        )


# The bytes at which str.split() splits that are ASCII. A text's UTF-8 has them exactly where
# the text has these characters (no multi-byte sequence holds an ASCII byte), so cutting there
# never cuts a word; the rarer Unicode spaces stay inside a chunk, for the analyzer to split at.
_ASCII_WHITESPACE = np.zeros(256, dtype=bool)
_ASCII_WHITESPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
# A chunk of fewer bytes is compared by value, as two 8-byte words (the second holding its size);
# a longer one (rare: links, long compounds) is analysed each time it occurs.
_KEY_BYTES = 16
_WORD_MASKS = np.array([(1 << (8 * size)) - 1 for size in range(8)] + [2**64 - 1], np.uint64)
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))


class SegmentBuilder:
    """Segments from passage texts, for one analyzer: ``terms_of_chunk`` gives the terms of one
    chunk of text between whitespace, and a text's terms must be its chunks' terms in order.

    The same segments as ``Segment.build`` with each text's terms, in a fraction of the time:
    the texts are cut into chunks in a few numpy passes over their bytes, equal chunks are
    grouped, and only a chunk this builder has never seen is analysed, in Python. A corpus
    repeats its chunks ("Jakarta,", "pemerintah"), so after the first builds nearly all are
    known, and a build is numpy passes only.
    """

    def __init__(self, terms_of_chunk: Callable[[str], Sequence[str]]) -> None:
        self._terms_of_chunk = terms_of_chunk
        self._numbering = _Numbering()
        self._terms: list[str] = []
        # The chunks seen, by hash ascending: each one's value, and the place and count of its
        # term numbers in ``_known_terms``.
        self._hashes = np.empty(0, dtype=np.uint64)
        self._lows = np.empty(0, dtype=np.uint64)
        self._highs = np.empty(0, dtype=np.uint64)
        self._term_starts = np.empty(0, dtype=np.int64)
        self._term_counts = np.empty(0, dtype=np.int64)
        self._known_terms = np.empty(0, dtype=np.int64)

    def build(self, row_ids: Sequence[int], texts: Sequence[str]) -> Segment:
        """The segment of passages ``texts``, with these row ids (ascending)."""
        if len(row_ids) != len(texts):
            raise ValueError("one row id per text")
        if len(texts) <= _TEXTS_PER_PASS:
            return self._build(row_ids, texts)
        # In slices, merged: a pass's arrays grow with its bytes (about 60 bytes a chunk).
        return Segment.merge(
            [
                self._build(
                    row_ids[start : start + _TEXTS_PER_PASS],
                    texts[start : start + _TEXTS_PER_PASS],
                )
                for start in range(0, len(texts), _TEXTS_PER_PASS)
            ]
        )

    def _build(self, row_ids: Sequence[int], texts: Sequence[str]) -> Segment:
        chunks = _Chunks(texts)
        known, starts, counts = self._known(chunks)
        new = np.flatnonzero(~known)
        term_lists = list(map(self._terms_of_chunk, chunks.texts_of(new)))
        new_numbers = np.fromiter(
            map(self._numbering.__getitem__, itertools.chain.from_iterable(term_lists)),
            dtype=np.int64,
        )
        self._terms.extend(itertools.islice(self._numbering, len(self._terms), None))
        new_counts = np.fromiter(map(len, term_lists), dtype=np.int64, count=len(term_lists))
        counts[new] = new_counts
        starts[new] = len(self._known_terms) + _starts_of(new_counts)
        numbers, owners = chunks.occurrences(
            np.concatenate([self._known_terms, new_numbers]), starts, counts
        )
        self._remember(chunks, new, new_numbers, new_counts)
        # The segment numbers only the terms its passages hold.
        held = np.zeros(len(self._terms), dtype=bool)
        held[numbers] = True
        segment_numbers = np.cumsum(held) - 1
        return Segment._of_occurrences(
            [self._terms[number] for number in np.flatnonzero(held).tolist()],
            segment_numbers[numbers],
            owners,
            row_ids,
            np.bincount(owners, minlength=len(texts)),
        )

    def _known(self, chunks: _Chunks) -> tuple[npt.NDArray[np.bool_], Rows, Rows]:
        """Which groups of chunks this builder has seen, and for those, where their term
        numbers start in ``_known_terms`` and how many there are (0 for the others)."""
        groups = len(chunks.hashes)
        if not len(self._hashes):
            return (
                np.zeros(groups, dtype=bool),
                np.zeros(groups, np.int64),
                np.zeros(groups, np.int64),
            )
        places = np.minimum(np.searchsorted(self._hashes, chunks.hashes), len(self._hashes) - 1)
        known = (
            chunks.comparable
            & (self._hashes[places] == chunks.hashes)
            & (self._lows[places] == chunks.lows)
            & (self._highs[places] == chunks.highs)
        )
        return (
            known,
            np.where(known, self._term_starts[places], 0),
            np.where(known, self._term_counts[places], 0),
        )

    def _remember(self, chunks: _Chunks, new: Rows, new_numbers: Rows, new_counts: Rows) -> None:
        """Add the new groups that can be told by value to the tables (a hash already there
        for another value stays with it: the newcomer is analysed each time it comes)."""
        if len(self._hashes) >= _KNOWN_CHUNKS:
            return
        kept = chunks.comparable[new]
        if len(self._hashes):
            places = np.minimum(
                np.searchsorted(self._hashes, chunks.hashes[new]), len(self._hashes) - 1
            )
            kept &= self._hashes[places] != chunks.hashes[new]
        if not kept.any():
            return
        groups = new[kept]
        term_starts = len(self._known_terms) + _starts_of(new_counts[kept])
        self._known_terms = np.concatenate(
            [self._known_terms, new_numbers[np.repeat(kept, new_counts)]]
        )
        hashes = np.concatenate([self._hashes, chunks.hashes[groups]])
        order = np.argsort(hashes)
        self._hashes = hashes[order]
        self._lows = np.concatenate([self._lows, chunks.lows[groups]])[order]
        self._highs = np.concatenate([self._highs, chunks.highs[groups]])[order]
        self._term_starts = np.concatenate([self._term_starts, term_starts])[order]
        self._term_counts = np.concatenate([self._term_counts, new_counts[kept]])[order]


# Distinct chunks a builder remembers at most (about 50 bytes each).
_KNOWN_CHUNKS = 4_000_000
# Texts cut into chunks in one pass at most.
_TEXTS_PER_PASS = 20_000


def _starts_of(counts: Rows) -> Rows:
    """Where each of consecutive runs of these lengths starts."""
    return np.cumsum(counts) - counts


class _Chunks:
    """The chunks of text between ASCII whitespace in some texts, in groups of equal chunks:
    each distinct chunk of at most 15 bytes is one group, told by its value; a longer chunk,
    or one whose hash another value took, is a group of its own."""

    def __init__(self, texts: Sequence[str]) -> None:
        # Lone surrogates (possible in decoded JSON) travel through as they are.
        encoded = [text.encode("utf-8", "surrogatepass") for text in texts]
        self.data = b" ".join(encoded) + bytes(_KEY_BYTES)
        text_starts = np.zeros(len(encoded), dtype=np.int64)
        if len(encoded) > 1:
            sizes = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
            np.cumsum(sizes[:-1] + 1, out=text_starts[1:])
        raw = np.frombuffer(self.data, dtype=np.uint8)
        inside = ~_ASCII_WHITESPACE[raw]
        inside[-_KEY_BYTES:] = False
        begins = np.flatnonzero(inside[1:] & ~inside[:-1]) + 1
        self.starts = np.concatenate([np.flatnonzero(inside[:1]), begins])
        self.ends = np.flatnonzero(inside[:-1] & ~inside[1:]) + 1
        firsts_of_texts = np.searchsorted(self.starts, text_starts)
        self.texts = np.repeat(
            np.arange(len(encoded)), np.diff(firsts_of_texts, append=len(self.starts))
        )
        self._group(raw)

    def _group(self, raw: npt.NDArray[np.uint8]) -> None:
        """Each chunk's group; each group's first chunk, hash and value, and whether the value
        tells it (``comparable``)."""
        sizes = self.ends - self.starts
        # A chunk of at most 15 bytes is its value exactly: its first 8 bytes, then the next 7
        # with its size in the top byte, zeroed past its end.
        words = np.ndarray((len(raw) - 7,), dtype="<u8", buffer=self.data, strides=(1,))
        lows = words[self.starts] & _WORD_MASKS[np.minimum(sizes, 8)]
        highs = words[self.starts + 8] & _WORD_MASKS[np.clip(sizes - 8, 0, 7)]
        highs |= sizes.astype(np.uint64) << np.uint64(56)
        count = len(self.starts)
        # Sorting a hash with the chunk's place in its low bits groups equal chunks, each
        # group led by its first chunk, with no slower argsort. Equal hashes are then checked
        # by value: a chunk whose value differs from its group's first is put on its own.
        bits = max(count.bit_length(), 1)
        hashes = lows * _MIX[0]
        hashes ^= highs * _MIX[1]
        ordered = hashes & np.uint64(~((1 << bits) - 1) & 0xFFFFFFFFFFFFFFFF)
        ordered |= np.arange(count, dtype=np.uint64)
        ordered.sort()
        places = (ordered & np.uint64((1 << bits) - 1)).astype(np.int64)
        ordered >>= np.uint64(bits)
        leads = np.ones(count, dtype=bool)
        np.not_equal(ordered[1:], ordered[:-1], out=leads[1:])
        groups = np.empty(count, dtype=np.int64)
        groups[places] = np.cumsum(leads) - 1
        firsts = places[leads]
        lead = firsts[groups]
        alone = np.flatnonzero(
            (sizes >= _KEY_BYTES) | (lows != lows[lead]) | (highs != highs[lead])
        )
        groups[alone] = len(firsts) + np.arange(len(alone))
        self.groups = groups
        self.firsts = np.concatenate([firsts, alone])
        self.hashes = hashes[self.firsts]
        self.lows, self.highs = lows[self.firsts], highs[self.firsts]
        self.comparable = np.arange(len(self.firsts)) < len(firsts)
        self.comparable &= sizes[self.firsts] < _KEY_BYTES

    def texts_of(self, groups: Rows) -> Iterator[str]:
        """The text of these groups' chunks."""
        firsts = self.firsts[groups]
        starts, ends = self.starts[firsts].tolist(), self.ends[firsts].tolist()
        for start, end in zip(starts, ends, strict=True):
            yield self.data[start:end].decode("utf-8", "surrogatepass")

    def occurrences(self, numbers: Rows, starts: Rows, counts: Rows) -> tuple[Rows, Rows]:
        """Each term occurrence's number and text, in order, given each group's term numbers
        (``counts[g]`` of them from ``numbers[starts[g]]`` for group ``g``)."""
        counts_of_chunks = counts[self.groups]
        # Occurrence j of chunk c is numbers[starts[group of c] + j].
        places = np.repeat(starts[self.groups] - _starts_of(counts_of_chunks), counts_of_chunks)
        places += np.arange(len(places))
        return numbers[places], np.repeat(self.texts, counts_of_chunks)


class _Kept:
    """A segment's postings and passages but those of deleted rows, for a merge."""

    def __init__(self, segment: Segment, deleted: Rows) -> None:
        first, last = int(segment.passage_rows[0]), int(segment.passage_rows[-1])
        gone = deleted[(deleted >= first) & (deleted <= last)]
        self.rows, self.codes, self.offsets = segment.rows, segment.codes, segment.offsets
        self.passage_rows, self.passage_lengths = segment.passage_rows, segment.passage_lengths
        if len(gone):
            dead = np.zeros(last - first + 1, dtype=bool)
            dead[gone - first] = True
            keep = ~dead[segment.rows - first]
            self.rows, self.codes = segment.rows[keep], segment.codes[keep]
            kept_before = np.zeros(len(keep) + 1, dtype=np.int64)
            np.cumsum(keep, out=kept_before[1:])
            self.offsets = kept_before[segment.offsets]
            live = ~dead[segment.passage_rows - first]
            self.passage_rows = segment.passage_rows[live]
            self.passage_lengths = segment.passage_lengths[live]
        self.sizes = np.diff(self.offsets)

    def blocks(self) -> Iterator[tuple[int, int]]:
        """Ranges of term numbers, each with about ``_MERGE_BLOCK`` postings or fewer."""
        ends = np.searchsorted(
            self.offsets, np.arange(_MERGE_BLOCK, int(self.offsets[-1]), _MERGE_BLOCK)
        )
        bounds = [0, *dict.fromkeys(ends.tolist()), len(self.sizes)]
        return ((a, b) for a, b in itertools.pairwise(bounds) if a < b)


@dataclass(frozen=True)
class _Postings:
    """One segment's postings of a question's term, with the segment's weight of each pair
    code."""

    weights: Scores
    rows: npt.NDArray[np.int32]
    codes: Codes


@dataclass(frozen=True)
class _QuestionTerm:
    position: int  # where the term first appears in the question
    factor: float  # occurrences in the question times IDF
    ceiling: float  # the most the term adds to any passage's score
    postings: tuple[_Postings, ...]
    live_rows: int


# How many times more than all the remaining terms could add the k-th best score so far must
# be for a search to stop adding them (MaxScore): stopping early leaves more candidates to
# look up (4 was fastest on bench/scale.py's million passages; 1 is the least that is exact).
_STOP_RATIO = 4.0
# A pass over every passage (clear, then compare, about 0.3 ns each in float32) beats passes
# over the touched ones (gather, compare, clear by scatter, about 10 ns each) when a search
# touches more than one passage in this many.
_DENSE_SHARE = 32
# Relative error allowed for float64 sums and bounds taken in another order than the
# reference's; float32 sums add their own (see _margin).
_SLACK = 1e-9
# What looking a row up in a term's postings costs, against adding one posting: a binary search.
_LOOKUP_COST = 16


def _margin(terms: int) -> float:
    """A bound on the relative error of a float32 sum of ``terms`` positive float64 numbers,
    each rounded to float32 first: 2**-24 per rounding, doubled for safety."""
    return (terms + 1) * 2.0**-23 + _SLACK


class BM25Engine:
    """Search over segments, minus deleted rows, with exact corpus-wide statistics.

    Immutable once built: to take new segments or deletions, build another from the same
    segments plus the new ones (cheap: nothing is re-analysed or copied).

    A search adds the question's terms into a dense float32 score array, the terms that can add
    the most first (MaxScore): once the ``k``-th best score among the first terms' passages
    beats all that the remaining terms could add together, a passage none of the first terms
    holds cannot make the top ``k``, and the remaining terms are not added. The passages that
    may still be among the best (their sum so far, less its rounding error, plus all the
    remaining terms could add, reaches that ``k``-th score) are then scored exactly, in
    float64, by looking up each term of the question in its postings.
    """

    def __init__(
        self,
        segments: Sequence[Segment],
        deleted: Iterable[int] = (),
        parameters: BM25Parameters | None = None,
    ) -> None:
        self._segments = [segment for segment in segments if len(segment)]
        self._parameters = parameters or BM25Parameters()
        self._size = max((int(s.passage_rows.max()) + 1 for s in self._segments), default=0)
        alive = np.zeros(self._size, dtype=bool)
        for segment in self._segments:
            alive[segment.passage_rows] = True
        gone = np.fromiter((row for row in deleted if 0 <= row < self._size), dtype=np.int64)
        self._gone = gone
        # Without a deleted row among the passages, postings need no filtering.
        self._alive = alive if len(gone) and bool(alive[gone].any()) else None
        alive[gone] = False
        self._count = int(alive.sum())
        total = sum(
            float(s.passage_lengths[alive[s.passage_rows]].sum(dtype=np.float64))
            for s in self._segments
        )
        self._average_length = total / self._count if self._count else 0.0
        # Per segment: each (term frequency, length) pair's share of a score before the IDF,
        # and each term's ceiling, the share of its highest frequency at its shortest passage.
        self._weights = [self._weight(s.pair_frequencies, s.pair_lengths) for s in self._segments]
        self._ceilings = [
            self._weight(s.term_max_frequencies, s.term_min_lengths) for s in self._segments
        ]
        self._scratch = threading.local()

    def __len__(self) -> int:
        return self._count

    def passages_holding(self, term: str) -> int:
        """How many passages hold the term (deleted ones too: enough to tell a known term)."""
        held = 0
        for segment in self._segments:
            number = segment.number(term)
            if number is not None:
                held += int(segment.offsets[number + 1] - segment.offsets[number])
        return held

    def without(self, rows: Iterable[int]) -> BM25Engine:
        """This engine with these rows deleted as well: statistics as if they were never
        indexed."""
        return BM25Engine(self._segments, [*self._gone.tolist(), *rows], self._parameters)

    def _weight(
        self, frequencies: npt.NDArray[np.int32], lengths: npt.NDArray[np.int32]
    ) -> Scores:
        k1, b = self._parameters.k1, self._parameters.b
        frequency = frequencies.astype(np.float64)
        average = self._average_length or 1.0
        weight: Scores = frequency * (k1 + 1) / (frequency + k1 * (1 - b + b * lengths / average))
        return weight

    def _scores_array(self) -> Sums:
        # One array per thread, all zeros between searches.
        scores: Sums | None = getattr(self._scratch, "scores", None)
        if scores is None:
            scores = self._scratch.scores = np.zeros(self._size, dtype=np.float32)
        return scores

    def _question_terms(self, terms: Sequence[str]) -> list[_QuestionTerm]:
        """The question's terms the index holds, those that can add the most first."""
        found: list[_QuestionTerm] = []
        for position, (term, occurrences) in enumerate(Counter(terms).items()):
            postings: list[_Postings] = []
            live_rows = 0
            ceiling = 0.0
            for segment, weights, ceilings in zip(
                self._segments, self._weights, self._ceilings, strict=True
            ):
                number = segment.number(term)
                if number is None:
                    continue
                rows, codes = segment.coded_postings(number)
                postings.append(_Postings(weights, rows, codes))
                live_rows += len(rows) if self._alive is None else int(self._alive[rows].sum())
                ceiling = max(ceiling, float(ceilings[number]))
            if live_rows:
                factor = occurrences * float(
                    np.log1p((self._count - live_rows + 0.5) / (live_rows + 0.5))
                )
                found.append(
                    _QuestionTerm(position, factor, factor * ceiling, tuple(postings), live_rows)
                )
        found.sort(key=lambda term: (-term.ceiling, term.live_rows))
        return found

    def term_weights(self, terms: Sequence[str]) -> dict[str, float]:
        """Each distinct question term with its IDF times its occurrences: what one passage
        holding it gains at most, relative to the other terms. A term no live passage holds
        gets the IDF of a term held by none, more than any held term has: the question asks
        about something the archive never mentions."""
        found = {term.position: term.factor for term in self._question_terms(terms)}
        unheld = float(np.log1p((self._count + 0.5) / 0.5))
        return {
            term: found.get(position, occurrences * unheld)
            for position, (term, occurrences) in enumerate(Counter(terms).items())
        }

    def search(
        self, terms: Sequence[str], k: int, among: npt.NDArray[np.bool_] | None = None
    ) -> list[ScoredPassage]:
        """The ``k`` best passages for the question's terms, best first, ties by row id; with
        ``among`` (a flag per row id), only from the rows it flags."""
        if k <= 0 or not self._count:
            return []
        question = self._question_terms(terms)
        if not question:
            return []
        scores = self._scores_array()
        added: list[_QuestionTerm] = []
        try:
            if among is None:
                floor = self._add_until_decided(scores, question, added, k)
                candidates = self._candidates(scores, added, floor)
            else:
                candidates = self._candidates_among(scores, question, added, k, among)
        finally:
            self._clear(scores, added)
        exact = np.zeros(len(candidates), dtype=np.float64)
        # In the question's order, as the reference adds them.
        for term in sorted(question, key=lambda term: term.position):
            self._add_looked_up(exact, candidates, term)
        # Flagged rows may hold none of the terms.
        held = exact > 0
        candidates, exact = candidates[held], exact[held]
        order = np.lexsort((candidates, -exact))[:k]
        return [ScoredPassage(row_id=int(candidates[i]), score=float(exact[i])) for i in order]

    def _candidates_among(
        self,
        scores: Sums,
        question: list[_QuestionTerm],
        added: list[_QuestionTerm],
        k: int,
        among: npt.NDArray[np.bool_],
    ) -> Rows:
        """The flagged live rows that may be among the ``k`` best. Few flagged rows (a short
        window) are all candidates, each term looked up for each; otherwise every term is
        added (a filter can leave out the rows that would have let the others stop early)."""
        flagged = self._live(np.flatnonzero(among[: self._size]))
        postings = sum(len(p.rows) for term in question for p in term.postings)
        if len(flagged) * len(question) * _LOOKUP_COST <= postings:
            return flagged
        for term in question:
            added.append(term)
            self._add(scores, term)
        touched = self._candidates(scores, added, 0.0)
        # Rows past the end of ``among`` are not flagged.
        touched = touched[touched < len(among)]
        flagged = touched[among[touched]]
        if len(flagged) <= k:
            return flagged
        sums = scores[flagged]
        # A row's exact score and its float32 sum differ by the margin at most, either way.
        floor = float(np.partition(sums, len(sums) - k)[len(sums) - k])
        return flagged[sums >= floor * (1 - _margin(len(question))) ** 2]

    @staticmethod
    def _add(scores: Sums, term: _QuestionTerm) -> None:
        for postings in term.postings:
            shares = (term.factor * postings.weights).astype(np.float32)
            np.add.at(scores, postings.rows.astype(np.intp), np.take(shares, postings.codes))

    def _add_until_decided(
        self, scores: Sums, question: list[_QuestionTerm], added: list[_QuestionTerm], k: int
    ) -> float:
        """Add terms' scores into ``scores`` (and to ``added``) until the rest cannot change
        which passages may be among the ``k`` best; the float32 sum a passage needs from the
        added terms to remain a candidate."""
        margin = _margin(len(question))
        sample = np.empty(0, dtype=np.int64)
        bound = 0.0
        for index, term in enumerate(question):
            # Listed first, so that the term's rows are cleared even if adding fails halfway.
            added.append(term)
            self._add(scores, term)
            if len(sample) < k:
                # A term's rows are distinct: the first term alone usually gives k to rank.
                rows = self._live(np.concatenate([p.rows for p in term.postings]))
                sample = np.union1d(sample, rows) if len(sample) else rows
            if len(sample) < k:
                continue
            # The k-th best sum so far among the sample, less its error, is at most the k-th
            # best exact score in the end.
            top = np.partition(scores[sample], len(sample) - k)[len(sample) - k]
            bound = float(top) * (1 - margin)
            rest = sum(later.ceiling for later in question[index + 1 :]) * (1 + _SLACK)
            if bound > _STOP_RATIO * rest:
                return (bound - rest) * (1 - margin)
        # Every term added: candidates reach the k-th best sum (every touched row, when fewer
        # than k live rows hold any term).
        return bound * (1 - margin)

    def _dense(self, added: list[_QuestionTerm]) -> bool:
        return (
            sum(len(p.rows) for term in added for p in term.postings) * _DENSE_SHARE > self._size
        )

    def _candidates(self, scores: Sums, added: list[_QuestionTerm], floor: float) -> Rows:
        """The live rows the added terms touched that score at least ``floor``, ascending."""
        # Every touched row scores above zero, every other row exactly zero.
        floor = max(floor, float(np.nextafter(np.float32(0), np.float32(1))))
        if self._dense(added):
            return self._live(np.flatnonzero(scores >= floor))
        above = [p.rows[scores[p.rows] >= floor] for term in added for p in term.postings]
        return self._live(np.unique(np.concatenate(above)).astype(np.int64))

    def _clear(self, scores: Sums, added: list[_QuestionTerm]) -> None:
        if self._dense(added):
            scores.fill(0.0)
            return
        for term in added:
            for postings in term.postings:
                scores[postings.rows] = 0.0

    def _live(self, rows: npt.NDArray[np.integer]) -> Rows:
        live = rows if self._alive is None else rows[self._alive[rows]]
        return live.astype(np.int64, copy=False)

    @staticmethod
    def _add_looked_up(exact: Scores, candidates: Rows, term: _QuestionTerm) -> None:
        """Add ``term``'s scores to the ``candidates``' ``exact`` scores, looking each up."""
        needles = candidates.astype(np.int32)
        for postings in term.postings:
            found = np.minimum(np.searchsorted(postings.rows, needles), len(postings.rows) - 1)
            held = postings.rows[found] == needles
            exact[held] += term.factor * postings.weights[postings.codes[found[held]]]


class RowDays:
    """The publication day of each passage row (a day number, ``date.toordinal``), to search
    the passages of a window of days."""

    def __init__(
        self,
        firsts: Sequence[int],
        lasts: Sequence[int],
        days: Sequence[int],
        before: RowDays | None = None,
    ) -> None:
        """The days of runs of rows (``firsts[i]`` to ``lasts[i]`` published on ``days[i]``),
        added to those ``before`` holds."""
        known = before._days if before is not None else np.empty(0, dtype=np.int32)
        starts = np.asarray(firsts, dtype=np.int64)
        lengths = np.asarray(lasts, dtype=np.int64) - starts + 1
        size = max(int((starts + lengths).max(initial=0)), len(known))
        self._days: npt.NDArray[np.int32] = np.full(size, -1, dtype=np.int32)
        self._days[: len(known)] = known
        # Every row of every run: each run's start, repeated, plus the row's place in its run.
        offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        rows = np.repeat(starts, lengths) + offsets
        self._days[rows] = np.repeat(np.asarray(days, dtype=np.int32), lengths)

    @property
    def last_row(self) -> int:
        """The highest row this holds a day for (or would: -1 when none)."""
        return len(self._days) - 1

    def within(self, first: int, last: int) -> npt.NDArray[np.bool_]:
        """A flag per row id: published from day ``first`` to day ``last``, both included."""
        flags: npt.NDArray[np.bool_] = (self._days >= first) & (self._days <= last)
        return flags
