"""Saving and loading a VectorIndex: round trips, and refusal of anything stale or damaged."""

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from kb.search.dense.vector_index import (
    FORMAT_VERSION,
    INDEX_FILE,
    META_FILE,
    TOMBSTONES_FILE,
    VectorIndex,
)
from tests.kb.search.dense.vectors import make_vectors

pytestmark = pytest.mark.no_database  # pure logic: the SQLite run covers it

DIM = 32
MODEL = "test-model"


def built(kind: str) -> VectorIndex:
    """An index of 300 vectors with tombstones and a replaced id, flat or HNSW."""
    draw = make_vectors(dim=DIM, seed=9)
    index = VectorIndex(DIM, hnsw_threshold=0 if kind == "hnsw" else 10**9, rebuild_fraction=0.5)
    index.add(np.arange(1000, 1300), draw(300))
    index.remove(np.arange(1000, 1040))
    index.replace([1100, 1000], draw(2))  # one live id, one removed id
    return index


def expect_of(index: VectorIndex) -> dict:
    return {"model": MODEL, "dim": DIM, "count": len(index), "index_version": 4}


@pytest.fixture
def saved(tmp_path: Path) -> tuple[VectorIndex, Path]:
    index = built("hnsw")
    folder = tmp_path / "indexes" / "dense"
    index.save(folder, {"model": MODEL, "index_version": 4})
    return index, folder


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_round_trip_keeps_ids_tombstones_and_results(tmp_path: Path, kind: str) -> None:
    index = built(kind)
    folder = tmp_path / "dense"
    index.save(folder, {"model": MODEL, "index_version": 4})
    loaded = VectorIndex.load(folder, expect_of(index))
    assert loaded is not None
    assert (loaded.kind, len(loaded), loaded.tombstones) == (kind, 261, index.tombstones)
    assert np.array_equal(loaded.ids(), index.ids())
    queries = make_vectors(dim=DIM, seed=10)(20)
    for a, b in zip(index.search(queries, 10), loaded.search(queries, 10), strict=True):
        assert np.array_equal(a, b)
    loaded.remove([1100])  # a loaded index keeps working
    assert 1100 not in loaded.search(queries, 300)[1]


def test_meta_json_records_what_the_index_was_built_from(saved: tuple[VectorIndex, Path]) -> None:
    index, folder = saved
    meta = json.loads((folder / META_FILE).read_text("utf-8"))
    assert meta["format_version"] == FORMAT_VERSION
    assert (meta["model"], meta["dim"], meta["count"], meta["kind"]) == (MODEL, DIM, 261, "hnsw")
    assert meta["normalized"] is True and meta["index_version"] == 4 and meta["built_at"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [INDEX_FILE, META_FILE, TOMBSTONES_FILE]
    )


def test_saving_again_replaces_the_folder_and_leaves_no_temporaries(
    saved: tuple[VectorIndex, Path],
) -> None:
    index, folder = saved
    index.remove([1200, 1201])
    index.save(folder, {"model": MODEL, "index_version": 5})
    assert [p.name for p in folder.parent.iterdir()] == ["dense"]
    loaded = VectorIndex.load(folder, {**expect_of(index), "index_version": 5})
    assert loaded is not None and len(loaded) == 259


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "no folder": shutil.rmtree,
    "no meta": lambda folder: (folder / META_FILE).unlink(),
    "meta not json": lambda folder: (folder / META_FILE).write_text("{half", "utf-8"),
    "meta not an object": lambda folder: (folder / META_FILE).write_text("[]", "utf-8"),
    "meta empty": lambda folder: (folder / META_FILE).write_text("", "utf-8"),
    "no index file": lambda folder: (folder / INDEX_FILE).unlink(),
    "index truncated": lambda folder: truncate(folder / INDEX_FILE),
    "index bytes changed": lambda folder: flip_a_byte(folder / INDEX_FILE),
    "index empty": lambda folder: (folder / INDEX_FILE).write_bytes(b""),
    "no tombstones": lambda folder: (folder / TOMBSTONES_FILE).unlink(),
    "tombstones truncated": lambda folder: truncate(folder / TOMBSTONES_FILE),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_damaged_folder_loads_as_none(
    saved: tuple[VectorIndex, Path], damage: Callable[[Path], None]
) -> None:
    index, folder = saved
    damage(folder)
    assert VectorIndex.load(folder, expect_of(index)) is None


@pytest.mark.parametrize(
    "change",
    [
        {"model": "BAAI/bge-small-zh-v1.5"},
        {"dim": 384},
        {"count": 260},
        {"index_version": 5},
        {"format_version": FORMAT_VERSION + 1},
    ],
)
def test_mismatch_with_expectations_loads_as_none(
    saved: tuple[VectorIndex, Path], change: dict
) -> None:
    index, folder = saved
    assert VectorIndex.load(folder, {**expect_of(index), **change}) is None


def test_meta_edited_to_disagree_with_the_index_loads_as_none(
    saved: tuple[VectorIndex, Path],
) -> None:
    index, folder = saved
    meta = json.loads((folder / META_FILE).read_text("utf-8"))
    (folder / META_FILE).write_text(json.dumps({**meta, "count": 999}), "utf-8")
    assert VectorIndex.load(folder, {**expect_of(index), "count": 999}) is None


def test_leftover_temporary_folder_does_not_matter(saved: tuple[VectorIndex, Path]) -> None:
    index, folder = saved
    half = folder.with_name(".dense.tmp-1-deadbeef")  # a save that crashed half way
    half.mkdir()
    (half / INDEX_FILE).write_bytes(b"IxM2")
    assert VectorIndex.load(folder, expect_of(index)) is not None
