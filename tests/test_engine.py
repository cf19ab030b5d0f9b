"""Tests of index.engine: BM25Engine against rank-bm25 with Lucene's IDF, also over segments
added, deleted from and merged in any order, and its edge cases."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import cast
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

from index import engine as engine_module
from index.analysis import INDONESIAN, analyze, chunk_analyzer
from index.engine import BM25Engine, BM25Parameters, RowDays, Segment, SegmentBuilder
from index.models import ScoredPassage

K1 = 0.9
B = 0.6
REL_TOL = 1e-9


class LuceneBM25(BM25Okapi):  # type: ignore[misc]
    """rank-bm25's Okapi BM25 with Lucene's never-negative IDF for every term."""

    def __init__(self, corpus: Sequence[Sequence[str]]) -> None:
        super().__init__([list(document) for document in corpus], k1=K1, b=B)

    def _calc_idf(self, nd: dict[str, int]) -> None:
        for word, freq in nd.items():
            self.idf[word] = math.log(1 + (self.corpus_size - freq + 0.5) / (freq + 0.5))


def oracle_scores(
    corpus: Sequence[Sequence[str]], row_ids: Sequence[int], query: Sequence[str]
) -> dict[int, float]:
    """Row id -> rank-bm25 score, for the passages scoring above zero."""
    scores = LuceneBM25(corpus).get_scores(list(query))
    return {
        row_id: float(score) for row_id, score in zip(row_ids, scores, strict=True) if score > 0
    }


def build(
    corpus: Sequence[Sequence[str]],
    row_ids: Sequence[int],
    parameters: BM25Parameters | None = None,
) -> BM25Engine:
    return BM25Engine([Segment.build(sorted(zip(row_ids, corpus, strict=True)))], (), parameters)


def assert_ranked(results: Sequence[ScoredPassage]) -> None:
    """Best first, ties by row id; plain Python numbers."""
    for result in results:
        assert type(result.score) is float
        assert type(result.row_id) is int
    keys = [(-result.score, result.row_id) for result in results]
    assert keys == sorted(keys)
    assert len({result.row_id for result in results}) == len(results)


# --- the differential test ------------------------------------------------------------------

# "umum" and "berita" come up often, so they land in most documents (low or tiny IDF).
token = st.one_of(
    st.just("umum"),
    st.just("umum"),
    st.just("berita"),
    st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]),
)
document = st.lists(token, max_size=30)


def with_a_token(documents: list[list[str]], at: int, extra: str) -> list[list[str]]:
    """rank-bm25 divides by the average length, so the corpus holds at least one token."""
    documents[at % len(documents)].append(extra)
    return documents


corpus_strategy = st.builds(
    with_a_token,
    st.lists(document, min_size=1, max_size=40),
    st.integers(min_value=0, max_value=39),
    token,
)
query_strategy = st.lists(st.one_of(token, st.sampled_from(["tidak-ada", "zzz"])), max_size=8)


def row_ids_for(size: int) -> st.SearchStrategy[list[int]]:
    return st.lists(
        st.integers(min_value=1, max_value=5000), min_size=size, max_size=size, unique=True
    )


@settings(max_examples=200, deadline=None)
@given(corpus=corpus_strategy, query=query_strategy, data=st.data())
def test_search_matches_rank_bm25_with_lucene_idf(
    corpus: list[list[str]], query: list[str], data: st.DataObject
) -> None:
    row_ids = data.draw(row_ids_for(len(corpus)), label="row_ids")
    expected = oracle_scores(corpus, row_ids, query)
    results = build(corpus, row_ids).search(query, k=len(corpus))
    assert {result.row_id for result in results} == set(expected)
    for result in results:
        assert math.isclose(result.score, expected[result.row_id], rel_tol=REL_TOL)
    assert_ranked(results)
    # The order agrees with the oracle wherever the oracle's scores are not a tie.
    for better, worse in itertools.pairwise(results):
        assert expected[better.row_id] >= expected[worse.row_id] * (1 - REL_TOL)


@settings(max_examples=150, deadline=None)
@given(corpus=corpus_strategy, query=query_strategy, data=st.data())
def test_search_returns_the_true_top_k(
    corpus: list[list[str]], query: list[str], data: st.DataObject
) -> None:
    row_ids = data.draw(row_ids_for(len(corpus)), label="row_ids")
    k = data.draw(st.integers(min_value=1, max_value=len(corpus)), label="k")
    index = build(corpus, row_ids)
    everything = index.search(query, k=len(corpus))
    top = index.search(query, k=k)
    assert top == everything[:k]
    expected = oracle_scores(corpus, row_ids, query)
    chosen = {result.row_id for result in top}
    for result in top:
        for row_id, score in expected.items():
            if row_id not in chosen:
                assert expected[result.row_id] >= score * (1 - REL_TOL)


@settings(max_examples=150, deadline=None)
@given(corpus=corpus_strategy, query=query_strategy, data=st.data())
def test_a_search_among_flagged_rows_is_the_whole_ranking_filtered(
    corpus: list[list[str]], query: list[str], data: st.DataObject
) -> None:
    row_ids = data.draw(row_ids_for(len(corpus)), label="row_ids")
    k = data.draw(st.integers(min_value=1, max_value=len(corpus)), label="k")
    kept = data.draw(st.sets(st.sampled_from(row_ids)), label="kept")
    # The flags may end before the last row: rows past them are not flagged.
    among = np.zeros(data.draw(st.integers(min_value=0, max_value=5001), label="flags"), bool)
    flagged = {row for row in kept if row < len(among)}
    among[sorted(flagged)] = True
    index = build(corpus, row_ids)
    everything = index.search(query, k=len(corpus))
    expected = [r for r in everything if r.row_id in flagged][:k]
    # Looking the flagged rows up, and adding every term's postings: the same ranking.
    for lookup_cost in (0, 10**9):
        with mock.patch.object(engine_module, "_LOOKUP_COST", lookup_cost):
            assert index.search(query, k, among) == expected


@settings(max_examples=100, deadline=None)
@given(corpus=corpus_strategy, query=query_strategy, data=st.data())
def test_search_is_deterministic_and_k_beyond_the_corpus_is_harmless(
    corpus: list[list[str]], query: list[str], data: st.DataObject
) -> None:
    row_ids = data.draw(row_ids_for(len(corpus)), label="row_ids")
    index = build(corpus, row_ids)
    results = index.search(query, k=len(corpus))
    assert index.search(query, k=len(corpus) + 100) == results
    assert build(corpus, row_ids).search(query, k=len(corpus)) == results
    reordered = {r.row_id: r.score for r in index.search(list(reversed(query)), k=len(corpus))}
    assert reordered == pytest.approx({r.row_id: r.score for r in results}, rel=REL_TOL)


# --- edge cases -----------------------------------------------------------------------------


def test_default_parameters_are_those_tuned_on_facqa() -> None:
    assert BM25Parameters() == BM25Parameters(k1=K1, b=B)


def test_hand_computed_scores() -> None:
    corpus = [["banjir", "jakarta", "banjir"], ["gempa", "bali"], ["banjir", "bekasi"]]
    index = build(corpus, [10, 20, 30])
    average = 7 / 3
    idf = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))

    def term(tf: int, length: int) -> float:
        return idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))

    results = index.search(["banjir"], k=10)
    assert [result.row_id for result in results] == [10, 30]
    assert results[0].score == pytest.approx(term(2, 3), rel=REL_TOL)
    assert results[1].score == pytest.approx(term(1, 2), rel=REL_TOL)
    # A repeated query term counts once per occurrence.
    doubled = index.search(["banjir", "banjir"], k=10)
    assert [result.score for result in doubled] == pytest.approx(
        [2 * result.score for result in results], rel=REL_TOL
    )


def test_ties_are_broken_by_row_id() -> None:
    corpus = [["sama", "kata"]] * 5
    results = build(corpus, [50, 7, 31, 2, 19]).search(["sama"], k=10)
    assert [result.row_id for result in results] == [2, 7, 19, 31, 50]
    assert len({result.score for result in results}) == 1
    assert [result.row_id for result in build(corpus, [50, 7, 31, 2, 19]).search(["sama"], 3)] == [
        2,
        7,
        19,
    ]


def test_term_in_every_document_still_scores() -> None:
    results = build([["umum"], ["umum", "x"]], [1, 2]).search(["umum"], k=5)
    assert [result.row_id for result in results] == [1, 2]
    assert all(result.score > 0 for result in results)


def test_empty_index() -> None:
    index = BM25Engine([Segment.build([])])
    assert len(index) == 0
    assert index.search(["banjir"], k=5) == []
    assert index.search([], k=5) == []


@pytest.mark.parametrize("k", [0, -1, -100])
def test_k_not_positive(k: int) -> None:
    assert build([["banjir", "jakarta"]], [1]).search(["banjir"], k=k) == []


@pytest.mark.parametrize("query", [[], ["tidak-ada"], ["zzz", "tidak-ada", "zzz"]])
def test_query_of_unknown_terms(query: list[str]) -> None:
    index = build([["banjir", "jakarta"], ["gempa"]], [1, 2])
    assert index.search(query, k=5) == []


def test_index_of_empty_passages() -> None:
    index = build([[], []], [1, 2])
    assert len(index) == 2
    assert index.search(["banjir"], k=5) == []


def test_scores_are_plain_floats() -> None:
    results = build([["banjir", "jakarta"], ["banjir"]], [1, 2]).search(["banjir"], k=1)
    assert len(results) == 1
    assert type(results[0].score) is float
    assert type(results[0].row_id) is int


def test_parameters_change_scores() -> None:
    corpus = [["banjir", "banjir", "x", "y"], ["banjir"]]
    default = build(corpus, [1, 2]).search(["banjir"], k=2)
    flat = build(corpus, [1, 2], BM25Parameters(k1=K1, b=0.0))
    assert flat.search(["banjir"], k=2) != default


# --- segments, deletions and merges ---------------------------------------------------------

operation = st.one_of(
    st.tuples(st.just("add"), st.lists(document, min_size=1, max_size=8)),
    st.tuples(st.just("delete"), st.lists(st.integers(min_value=0, max_value=60), max_size=5)),
    st.tuples(st.just("merge"), st.integers(min_value=2, max_value=4)),
)


@settings(max_examples=200, deadline=None)
@given(
    history=st.lists(operation, min_size=1, max_size=12),
    query=query_strategy,
    k=st.integers(min_value=1, max_value=8),
)
def test_segments_deletions_and_merges_match_rank_bm25_over_the_live_passages(
    history: list[tuple[str, object]], query: list[str], k: int
) -> None:
    """Any history of added segments, deleted rows and merges scores as rank-bm25 over the
    passages still alive, and finds its true top k."""
    live: dict[int, list[str]] = {}
    segments: list[Segment] = []
    deleted: set[int] = set()
    next_row = 1
    for kind, argument in history:
        if kind == "add":
            documents = cast(list[list[str]], argument)
            rows = range(next_row, next_row + len(documents))
            next_row += len(documents)
            live.update(zip(rows, documents, strict=True))
            segments.append(Segment.build(zip(rows, documents, strict=True)))
        elif kind == "delete":
            # Row ids are never reused: only rows added so far can be deleted.
            for row in cast(list[int], argument):
                if row < next_row:
                    live.pop(row, None)
                    deleted.add(row)
        else:
            count = min(cast(int, argument), len(segments))
            merged = Segment.merge(segments[-count:], sorted(deleted))
            segments[-count:] = [merged]
    engine = BM25Engine(segments, deleted)
    assert len(engine) == len(live)
    if not any(live.values()):
        assert engine.search(query, k) == []
        return
    row_ids = sorted(live)
    expected = oracle_scores([live[row] for row in row_ids], row_ids, query)
    everything = engine.search(query, k=len(row_ids))
    assert {result.row_id for result in everything} == set(expected)
    for result in everything:
        assert math.isclose(result.score, expected[result.row_id], rel_tol=REL_TOL)
    assert_ranked(everything)
    assert engine.search(query, k) == everything[:k]


def test_a_segment_survives_its_bytes() -> None:
    segment = Segment.build([(3, ["banjir", "jakarta", "banjir"]), (9, ["gempa"]), (12, [])])
    again = Segment.from_blobs(segment.to_blobs())
    assert again.terms == segment.terms
    for term in ["banjir", "jakarta", "gempa", "tidak"]:
        first, second = segment.postings(term), again.postings(term)
        assert (first is None) == (second is None)
        if first is not None and second is not None:
            assert first[0].tolist() == second[0].tolist()
            assert first[1].tolist() == second[1].tolist()
    assert again.passage_rows.tolist() == [3, 9, 12]
    assert again.passage_lengths.tolist() == [3, 1, 0]


def test_a_merge_drops_deleted_rows_and_terms_left_without_passages() -> None:
    first = Segment.build([(1, ["banjir", "jakarta"]), (2, ["gempa"])])
    second = Segment.build([(5, ["banjir"]), (6, ["longsor"])])
    merged = Segment.merge([second, first], [2, 6])
    assert first.held([2, 6, 7]) == [2]
    assert merged.passage_rows.tolist() == [1, 5]
    assert sorted(merged.terms) == ["banjir", "jakarta"]
    postings = merged.postings("banjir")
    assert postings is not None
    assert postings[0].tolist() == [1, 5]


def test_rows_must_ascend_within_a_segment() -> None:
    with pytest.raises(ValueError, match="ascending"):
        Segment.build([(5, ["a"]), (2, ["b"])])


def test_deleting_a_row_no_segment_holds_changes_nothing() -> None:
    segment = Segment.build([(1, ["banjir"]), (2, ["gempa", "banjir"])])
    assert BM25Engine([segment], [99, 1000]).search(["banjir"], 5) == BM25Engine([segment]).search(
        ["banjir"], 5
    )


def test_a_merge_places_postings_after_a_term_it_drops() -> None:
    # "hilang" is held only by the deleted passage and comes between two kept terms.
    first = Segment.build([(1, ["banjir"]), (2, ["hilang"]), (3, ["jakarta", "banjir"])])
    second = Segment.build([(5, ["banjir", "jakarta"])])
    merged = Segment.merge([first, second], [2])
    assert merged.terms == ["banjir", "jakarta"]
    for term, rows, frequencies in [("banjir", [1, 3, 5], [1, 1, 1]), ("jakarta", [3, 5], [1, 1])]:
        postings = merged.postings(term)
        assert postings is not None
        assert (postings[0].tolist(), postings[1].tolist()) == (rows, frequencies)
    query = ["banjir", "jakarta", "hilang"]
    assert BM25Engine([merged]).search(query, 5) == BM25Engine([first, second], [2]).search(
        query, 5
    )


def same_postings(first: Segment, second: Segment) -> bool:
    """Whether two segments index the same postings (their terms may be numbered apart)."""
    if sorted(first.terms) != sorted(second.terms) or (
        first.passage_rows.tolist(),
        first.passage_lengths.tolist(),
    ) != (second.passage_rows.tolist(), second.passage_lengths.tolist()):
        return False
    for term in first.terms:
        mine, theirs = first.postings(term), second.postings(term)
        assert mine is not None
        assert theirs is not None
        if (mine[0].tolist(), mine[1].tolist()) != (theirs[0].tolist(), theirs[1].tolist()):
            return False
    return True


def toy_terms_of_chunk(chunk: str) -> list[str]:
    """An analyzer with a chunk's terms its text's: words casefolded, "dan" dropped, a long
    word also giving its first letter (a chunk can give no term, one or several)."""
    terms: list[str] = []
    for word in chunk.casefold().split():
        if word != "dan":
            terms.append(word)
            if len(word) > 20:
                terms.append(word[0])
    return terms


# Short and long words (a chunk of up to 16 bytes is compared by value, a longer one is not),
# multi-byte letters, every kind of whitespace, NUL.
text_pieces = st.one_of(
    st.sampled_from(["banjir", "Banjir", "dan", "jakarta", "x", "é", "ß", "\x00", "a\x00"]),
    st.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2000\u3000")),
    st.text(st.sampled_from("abcé€😀-.,"), min_size=1, max_size=30),
)
piece_texts = st.lists(st.lists(text_pieces, max_size=12).map("".join), max_size=8)


@settings(max_examples=300, deadline=None)
@given(texts=piece_texts, first_row=st.integers(min_value=0, max_value=100))
def test_a_segment_built_from_texts_is_the_one_built_from_their_terms(
    texts: list[str], first_row: int
) -> None:
    rows = range(first_row, first_row + len(texts))
    expected = Segment.build(zip(rows, map(toy_terms_of_chunk, texts), strict=True))
    assert same_postings(SegmentBuilder(toy_terms_of_chunk).build(rows, texts), expected)


@settings(max_examples=100, deadline=None)
@given(texts=piece_texts)
def test_chunks_whose_hashes_collide_are_told_apart_by_value(texts: list[str]) -> None:
    # With no mixing, chunks of one size all share a hash: only the check by value separates
    # them.
    rows = range(len(texts))
    expected = Segment.build(zip(rows, map(toy_terms_of_chunk, texts), strict=True))
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(engine_module, "_MIX", (np.uint64(0), np.uint64(0)))
        built = SegmentBuilder(toy_terms_of_chunk).build(rows, texts)
    assert same_postings(built, expected)


def test_a_segment_built_from_texts_with_the_analyzer_is_the_one_built_from_analyze() -> None:
    texts = [
        "BANJIR melanda Jakarta, warga mengungsi.  Banjir\u00a0surut pada 19,8 persen.",
        "",
        "   ",
        "Anak-anak bermain\tdi https://example.com/berita/banjir-jakarta-2024 sore ini.",
        "Lone \ud800 surrogate and Rp267 triliun.",
    ]
    rows = [2, 4, 6, 8, 10]
    expected = Segment.build(zip(rows, (analyze(text) for text in texts), strict=True))
    built = SegmentBuilder(chunk_analyzer(INDONESIAN)).build(rows, texts)
    assert same_postings(built, expected)


def test_a_builder_wants_a_row_id_per_text() -> None:
    with pytest.raises(ValueError, match="one row id per text"):
        SegmentBuilder(toy_terms_of_chunk).build([1], ["banjir", "gempa"])


@settings(max_examples=200, deadline=None)
@given(batches=st.lists(piece_texts, min_size=1, max_size=5), collide=st.booleans())
def test_a_builder_that_remembers_chunks_builds_each_segment_right(
    batches: list[list[str]], collide: bool
) -> None:
    # Later builds take known chunks from the builder's tables and analyse only new ones;
    # with every hash of a size equal, a remembered hash must still be checked by value.
    with pytest.MonkeyPatch.context() as patched:
        if collide:
            patched.setattr(engine_module, "_MIX", (np.uint64(0), np.uint64(0)))
        builder = SegmentBuilder(toy_terms_of_chunk)
        first_row = 0
        for texts in batches:
            rows = range(first_row, first_row + len(texts))
            first_row += len(texts)
            expected = Segment.build(zip(rows, map(toy_terms_of_chunk, texts), strict=True))
            assert same_postings(builder.build(rows, texts), expected)


def test_a_builder_forgets_nothing_it_needs_when_its_tables_are_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine_module, "_KNOWN_CHUNKS", 2)
    builder = SegmentBuilder(toy_terms_of_chunk)
    for texts in (["banjir dan gempa"], ["gempa longsor", "banjir banjir"], ["longsor x"]):
        expected = Segment.build(enumerate(map(toy_terms_of_chunk, texts)))
        assert same_postings(builder.build(range(len(texts)), texts), expected)


def test_a_builder_builds_many_texts_in_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "_TEXTS_PER_PASS", 2)
    texts = ["banjir dan gempa", "gempa", "", "banjir banjir longsor", "x y", "longsor"]
    rows = [3, 5, 8, 9, 12, 20]
    expected = Segment.build(zip(rows, map(toy_terms_of_chunk, texts), strict=True))
    assert same_postings(SegmentBuilder(toy_terms_of_chunk).build(rows, texts), expected)


def test_row_days_from_runs_of_rows_added_to_those_before() -> None:
    days = RowDays([1, 5], [3, 5], [100, 200])
    assert days.last_row == 5
    assert np.flatnonzero(days.within(100, 100)).tolist() == [1, 2, 3]
    assert np.flatnonzero(days.within(100, 200)).tolist() == [1, 2, 3, 5]
    later = RowDays([8], [9], [300], days)
    assert later.last_row == 9
    assert np.flatnonzero(later.within(200, 300)).tolist() == [5, 8, 9]
    assert not RowDays([], [], []).within(0, 10**6).any()
