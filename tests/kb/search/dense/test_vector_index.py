"""VectorIndex against exact brute-force search on seeded vectors, flat and HNSW."""

import numpy as np
import pytest

from kb.search.dense.vector_index import VectorIndex
from tests.kb.search.dense.vectors import exact_top, make_vectors

pytestmark = pytest.mark.no_database  # pure logic: the SQLite run covers it

DIM = 48
# hnsw_threshold per kind: never HNSW, or HNSW from the first vector.
THRESHOLD = {"flat": 10**9, "hnsw": 0}


class Mirror:
    """The index's expected contents, kept as a plain dict next to it."""

    def __init__(self) -> None:
        self.vectors: dict[int, np.ndarray] = {}

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        ids = np.array(sorted(self.vectors), dtype=np.int64)
        return ids, np.stack([self.vectors[i] for i in ids.tolist()])


def check(index: VectorIndex, mirror: Mirror, queries: np.ndarray, *, exact: bool) -> None:
    """Same live ids as the mirror; results only live ids scored with their current vectors."""
    ids, vectors = mirror.arrays()
    assert len(index) == len(ids)
    assert np.array_equal(index.ids(), ids)
    scores, got = index.search(queries, 10)
    assert got.shape == (len(queries), 10)
    assert np.isin(got, ids).all()  # no removed id, no -1
    current = np.stack(
        [[mirror.vectors[i] @ q for i in row] for q, row in zip(queries, got.tolist(), strict=True)]
    )
    assert np.allclose(scores, current, atol=1e-5)  # never a replaced vector's old score
    for q, row in zip(queries[:10], got.tolist()[:10], strict=True):
        # One query takes another path on a flat index (a product over faiss's storage).
        one_scores, one = index.search(q, 10)
        assert one.tolist() == row
        assert np.allclose(one_scores, [mirror.vectors[i] @ q for i in row], atol=1e-5)
    want = exact_top(queries, ids, vectors, 10)
    if exact:
        assert np.array_equal(got, want)
    else:
        recall = np.mean(
            [len(set(g) & set(w)) / 10 for g, w in zip(got.tolist(), want.tolist(), strict=True)]
        )
        assert recall >= 0.95


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_add_remove_replace_cycle_matches_brute_force(kind: str) -> None:
    draw = make_vectors(dim=DIM, seed=7)
    rng = np.random.default_rng(11)
    index = VectorIndex(DIM, hnsw_threshold=THRESHOLD[kind], rebuild_fraction=0.3)
    mirror, queries = Mirror(), draw(50)
    pool = rng.choice(10**12, 3000, replace=False).astype(np.int64)  # sparse passage ids

    def add(ids: np.ndarray) -> None:
        vectors = draw(len(ids))
        index.add(ids, vectors)
        mirror.vectors.update(zip(ids.tolist(), vectors, strict=True))

    add(pool[:2000])
    check(index, mirror, queries, exact=kind == "flat")

    gone = rng.choice(pool[:2000], 250, replace=False)
    assert index.remove(np.concatenate([gone, [123, 456]])) == 250  # unknown ids ignored
    for i in gone.tolist():
        del mirror.vectors[i]
    assert index.tombstones == 250
    check(index, mirror, queries, exact=kind == "flat")

    live = np.array(sorted(mirror.vectors))
    again = np.concatenate([rng.choice(live, 100, replace=False), gone[:100]])
    vectors = draw(len(again))
    index.replace(again, vectors)
    mirror.vectors.update(zip(again.tolist(), vectors, strict=True))
    check(index, mirror, queries, exact=kind == "flat")

    add(pool[2000:])
    gone = rng.choice(np.array(sorted(mirror.vectors)), 700, replace=False)
    index.remove(gone)  # 350 + 700 dead of 3200 rows > 30 %: compacts
    for i in gone.tolist():
        del mirror.vectors[i]
    assert index.tombstones == 0
    check(index, mirror, queries, exact=kind == "flat")


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_removed_ids_never_returned_even_when_k_exceeds_size(kind: str) -> None:
    draw = make_vectors(dim=DIM, seed=3)
    index = VectorIndex(DIM, hnsw_threshold=THRESHOLD[kind], rebuild_fraction=0.9)
    vectors = draw(40)
    index.add(np.arange(40), vectors)
    index.remove(np.arange(0, 40, 2))
    index.replace([1, 3], vectors[[0, 2]])  # odd ids take the removed ids' vectors
    scores, ids = index.search(vectors[0], 100)
    assert sorted(ids.tolist()) == list(range(1, 40, 2))
    assert ids[0] == 1 and scores[0] == pytest.approx(1.0, abs=1e-5)


def test_hnsw_recall_at_10_against_exact() -> None:
    draw = make_vectors(dim=384, seed=1)
    vectors, queries = draw(5000), draw(200)
    index = VectorIndex(384, hnsw_threshold=1000)
    index.add(np.arange(5000), vectors)
    assert index.kind == "hnsw"
    _, got = index.search(queries, 10)
    want = exact_top(queries, np.arange(5000), vectors, 10)
    recall = np.mean(
        [len(set(g) & set(w)) / 10 for g, w in zip(got.tolist(), want.tolist(), strict=True)]
    )
    assert recall >= 0.95


def test_grows_into_hnsw_and_compacts_back_to_flat() -> None:
    draw = make_vectors(dim=16, seed=5)
    index = VectorIndex(16, hnsw_threshold=100, rebuild_fraction=0.25)
    index.add(np.arange(60), draw(60))
    assert index.kind == "flat"
    index.add(np.arange(60, 120), draw(60))
    assert (index.kind, len(index)) == ("hnsw", 120)
    index.remove(np.arange(20))
    assert (index.kind, index.tombstones) == ("hnsw", 20)
    index.remove(np.arange(20, 40))  # 40 dead of 120 > 25 %: rebuilt, 80 < 100 so flat again
    assert (index.kind, index.tombstones, len(index)) == ("flat", 0, 80)
    assert np.array_equal(index.ids(), np.arange(40, 120))


def test_single_query_gives_1d_and_empty_index_gives_nothing() -> None:
    index = VectorIndex(DIM)
    query = make_vectors(dim=DIM, seed=2)(1)
    scores, ids = index.search(query[0], 5)
    assert scores.shape == ids.shape == (0,)
    scores, ids = index.search(query, 5)
    assert scores.shape == ids.shape == (1, 0)
    index.add([7], query)
    scores, ids = index.search(query[0], 5)
    assert ids.tolist() == [7] and scores.shape == (1,)


@pytest.mark.parametrize(
    ("ids", "rows", "dim"),
    [
        ([1, 1], 2, DIM),  # duplicate ids
        ([-1], 1, DIM),  # faiss uses -1 for "no result"
        ([1, 2], 3, DIM),  # count mismatch
        ([1], 1, DIM + 1),  # wrong dimension
        ([5], 1, DIM),  # already present
    ],
)
def test_bad_input_is_refused_and_leaves_the_index_unchanged(
    ids: list[int], rows: int, dim: int
) -> None:
    index = VectorIndex(DIM)
    index.add([5, 6], make_vectors(dim=DIM, seed=4)(2))
    with pytest.raises(ValueError):
        index.add(ids, np.ones((rows, dim), dtype=np.float32))
    if ids != [5]:  # replace accepts present ids, refuses the rest
        with pytest.raises(ValueError):
            index.replace(ids, np.ones((rows, dim), dtype=np.float32))
    assert index.ids().tolist() == [5, 6]
