"""Inner-product vector search keyed by passage id: exact below a size threshold, HNSW above it."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import faiss
import numpy as np

from kb.search.dense._fs import fsync_tree, replace_dir, temp_sibling

log = logging.getLogger("policykb")

FORMAT_VERSION = 1
INDEX_FILE, TOMBSTONES_FILE, META_FILE = "index.faiss", "tombstones.npy", "meta.json"
HNSW_THRESHOLD = 50_000

# One question searches one vector: faiss's OpenMP threads only add hand-offs there (at 100,000
# passages and 10,000 FAQ questions, 1.10 ms on one thread against 1.35 ms on two), and every web
# worker runs searches of its own. Building is bound by the encoder, not by faiss.
faiss.omp_set_num_threads(1)


class VectorIndex:
    """faiss ``IndexIDMap2`` over a flat or HNSW inner-product index, with tombstoned removals.

    HNSW cannot delete, and ``replace`` re-adds an id whose old vector is still stored, so
    removal marks *positions* (not ids) dead; searches skip dead positions through a faiss
    selector, and the index is rebuilt from its live vectors once dead positions exceed
    ``rebuild_fraction``. Rebuilds also switch between flat and HNSW at ``hnsw_threshold``.
    Searches may run concurrently with each other, but not with ``add``/``remove``.
    """

    def __init__(
        self,
        dim: int,
        *,
        hnsw_threshold: int = HNSW_THRESHOLD,
        hnsw_m: int = 32,
        ef_construction: int = 80,
        ef_search: int = 128,
        rebuild_fraction: float = 0.2,
    ) -> None:
        self.dim, self.hnsw_threshold, self.hnsw_m = dim, hnsw_threshold, hnsw_m
        self.ef_construction, self.ef_search = ef_construction, ef_search
        self.rebuild_fraction = rebuild_fraction
        self._reset(hnsw=False)

    # --- reading --------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        """Which faiss index holds the vectors: "flat" or "hnsw"."""
        return "hnsw" if isinstance(self._inner, faiss.IndexHNSW) else "flat"

    @property
    def tombstones(self) -> int:
        """How many stored vectors are dead and waiting for the next rebuild."""
        return len(self._row_ids) - len(self._row_of)

    def __len__(self) -> int:
        return len(self._row_of)

    def ids(self) -> np.ndarray:
        """The live passage ids, sorted."""
        return np.sort(self._row_ids[self._alive])

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, ids) by inner product; a 1-D query gives 1-D arrays.

        A batch gives (n, min(k, len)) arrays; a slot is id -1 / score -inf only if HNSW
        found fewer live neighbours than that (rare); a single query has those dropped.
        """
        single = np.ndim(queries) == 1
        q = self._matrix(queries)
        m = min(k, len(self))
        if m <= 0:
            empty = np.zeros((len(q), 0))
            scores, ids = empty.astype(np.float32), empty.astype(np.int64)
        else:
            if len(q) == 1 and self.kind == "flat":
                scores, rows = self._flat_one(q[0], m)
            else:
                selector = self._selector  # held for the whole search: faiss reads its bitmap
                scores, rows = self._inner.search(q, m, params=self._params(m, selector))
            # Safety net: a dead row is never returned, whatever the selector did.
            hit = (rows >= 0) & self._alive[np.maximum(rows, 0)]
            ids = np.where(hit, self._row_ids[np.maximum(rows, 0)], -1)
            scores = np.where(hit, scores, -np.inf).astype(np.float32)
        if single:
            keep = ids[0] >= 0
            return scores[0][keep], ids[0][keep]
        return scores, ids

    def _flat_one(self, q: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
        """One query against the flat index, exact, as (1, m) scores and rows: one BLAS
        matrix-vector product over faiss's own storage (faiss's single-query scan took 2.5
        times as long over 10,000 FAQ questions). Dead rows score -inf, so come last."""
        scores = self._stored() @ q
        scores[~self._alive] = -np.inf
        top = np.argpartition(-scores, m - 1)[:m] if m < len(scores) else np.arange(len(scores))
        top = top[np.lexsort((top, -scores[top]))]
        return scores[top][None, :], top[None, :]

    def _stored(self) -> np.ndarray:
        """The flat index's vectors, a view into faiss's storage (valid until the next add)."""
        inner = cast(faiss.IndexFlat, self._inner)  # only a flat index is read this way
        n = inner.ntotal
        return faiss.rev_swig_ptr(inner.get_xb(), n * self.dim).reshape(n, self.dim)

    def live_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of every live entry, for exact-search checks and rebuilds."""
        rows = np.flatnonzero(self._alive)
        vectors = self._inner.reconstruct_batch(rows) if len(rows) else np.zeros((0, self.dim))
        return self._row_ids[rows], np.asarray(vectors, dtype=np.float32)

    def similarity(self, query: np.ndarray, ids: np.ndarray | list[int]) -> np.ndarray:
        """Inner product of one query with the stored vectors of ``ids`` (0 where absent)."""
        q = self._matrix(query)[0]
        wanted = np.asarray(ids, dtype=np.int64).ravel()
        rows = np.fromiter((self._row_of.get(int(i), -1) for i in wanted), dtype=np.int64,
                           count=len(wanted))
        out = np.zeros(len(wanted), dtype=np.float32)
        found = rows >= 0
        if found.any():
            out[found] = self._inner.reconstruct_batch(rows[found]) @ q
        return out

    # --- writing --------------------------------------------------------------------------

    def add(self, ids: np.ndarray | list[int], vectors: np.ndarray) -> None:
        """Add vectors under new passage ids (ids already present are an error: use replace)."""
        ids, vectors = self._checked(ids, vectors)
        present = [i for i in ids.tolist() if i in self._row_of]
        if present:
            raise ValueError(f"ids already in the index: {present[:5]}; use replace()")
        if self.kind == "flat" and len(self) + len(ids) >= self.hnsw_threshold:
            self._rebuild(ids, vectors)  # grows past the threshold: becomes HNSW
        else:
            self._append(ids, vectors)

    def remove(self, ids: np.ndarray | list[int]) -> int:
        """Remove passage ids (unknown ids are ignored); returns how many were removed."""
        rows = [
            self._row_of.pop(i)
            for i in np.asarray(ids, dtype=np.int64).ravel().tolist()
            if i in self._row_of
        ]
        if rows:
            self._alive[rows] = False
            if self.tombstones > self.rebuild_fraction * len(self._row_ids):
                self._rebuild()
            else:
                self._refresh_selector()
        return len(rows)

    def replace(self, ids: np.ndarray | list[int], vectors: np.ndarray) -> None:
        """Set the vectors of ``ids``, whether or not they are already present."""
        ids, vectors = self._checked(ids, vectors)  # refuse bad input before removing anything
        self.remove(ids)
        self.add(ids, vectors)

    # --- persistence ----------------------------------------------------------------------

    def save(self, folder: Path, meta: dict[str, Any]) -> None:
        """Write index, tombstones and meta.json to a temporary sibling, then swap it in."""
        if "model" not in meta:
            raise ValueError("meta must name the model the vectors come from")
        tmp = temp_sibling(target=folder)
        tmp.mkdir(parents=True)
        try:
            faiss.write_index(self._index, str(tmp / INDEX_FILE))
            np.save(tmp / TOMBSTONES_FILE, np.flatnonzero(~self._alive).astype(np.int64))
            full = {
                "normalized": True,
                **meta,
                "format_version": FORMAT_VERSION,
                "dim": self.dim,
                "count": len(self),
                "kind": self.kind,
                "built_at": datetime.now(UTC).isoformat(),
                "index_sha256": _sha256(tmp / INDEX_FILE),
            }
            (tmp / META_FILE).write_text(json.dumps(full, ensure_ascii=False, indent=2), "utf-8")
            fsync_tree(folder=tmp)
            replace_dir(tmp=tmp, target=folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, expect: dict[str, Any], **options: Any) -> VectorIndex | None:
        """The saved index if it matches ``expect`` (model, dim, count, ...), else None to rebuild.

        ``options`` are the constructor's keywords (thresholds, HNSW parameters).
        """
        try:
            meta = json.loads((folder / META_FILE).read_text("utf-8"))
            if not isinstance(meta, dict):
                _refuse(folder, "meta.json is not an object")
                return None
            wanted = {"format_version": FORMAT_VERSION, **expect}
            stale = [key for key, value in wanted.items() if meta.get(key) != value]
            if stale:
                key = stale[0]
                _refuse(folder, f"{key} is {meta.get(key)!r}, expected {wanted[key]!r}")
                return None
            if _sha256(folder / INDEX_FILE) != meta.get("index_sha256"):
                _refuse(folder, "index file does not match its checksum")
                return None
            index = faiss.read_index(str(folder / INDEX_FILE))  # already the concrete class
            dead = np.load(folder / TOMBSTONES_FILE, allow_pickle=False).astype(np.int64)
            dim = int(meta["dim"])
        # faiss reports unreadable files as RuntimeError; numpy and json as ValueError/OSError.
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            _refuse(folder, f"unreadable ({type(exc).__name__}: {exc})")
            return None
        loaded = cls(dim, **options)  # outside the try: a bad option is a bug, not a rebuild
        if not isinstance(index, faiss.IndexIDMap2) or index.d != dim:
            _refuse(folder, "index file is not an id-mapped index of that dimension")
            return None
        if (
            dead.ndim != 1
            or len(np.unique(dead)) != len(dead)
            or not np.all((dead >= 0) & (dead < index.ntotal))
        ):
            _refuse(folder, "tombstones do not fit the index")
            return None
        # downcast(read_index(...)) would return a proxy that does not own the index: keep both.
        loaded._index, loaded._inner = index, faiss.downcast_index(index.index)
        loaded._row_ids = faiss.vector_to_array(index.id_map).astype(np.int64)
        loaded._alive = np.ones(index.ntotal, dtype=bool)
        loaded._alive[dead] = False
        live = np.flatnonzero(loaded._alive)
        loaded._row_of = dict(zip(loaded._row_ids[live].tolist(), live.tolist(), strict=True))
        loaded._refresh_selector()
        if (
            len(loaded) != len(live)
            or len(loaded) != meta.get("count")
            or loaded.kind != meta.get("kind")
        ):
            _refuse(folder, "index contents disagree with meta.json")
            return None
        return loaded

    # --- internals ------------------------------------------------------------------------

    def _reset(self, *, hnsw: bool) -> None:
        inner: faiss.Index
        if hnsw:
            inner = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = self.ef_construction
            inner.hnsw.efSearch = self.ef_search
        else:
            inner = faiss.IndexFlatIP(self.dim)
        self._inner: faiss.Index = inner
        self._index = faiss.IndexIDMap2(inner)
        self._row_ids = np.zeros(0, dtype=np.int64)  # row (faiss position) -> passage id
        self._alive = np.zeros(0, dtype=bool)  # row -> still live
        self._row_of: dict[int, int] = {}  # live passage id -> row
        self._selector: tuple[np.ndarray, faiss.IDSelector] | None = None

    def _append(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        start = len(self._row_ids)
        self._index.add_with_ids(vectors, ids)
        self._row_ids = np.concatenate([self._row_ids, ids])
        self._alive = np.concatenate([self._alive, np.ones(len(ids), dtype=bool)])
        self._row_of.update(zip(ids.tolist(), range(start, start + len(ids)), strict=True))
        self._refresh_selector()

    def _rebuild(self, ids: np.ndarray | None = None, vectors: np.ndarray | None = None) -> None:
        """Rebuild from the live vectors (plus new ones), choosing flat or HNSW by size."""
        rows = np.flatnonzero(self._alive)
        keep_ids = self._row_ids[rows]
        keep = self._inner.reconstruct_batch(rows) if len(rows) else np.zeros((0, self.dim))
        if ids is not None and vectors is not None:
            keep_ids, keep = np.concatenate([keep_ids, ids]), np.concatenate([keep, vectors])
        self._reset(hnsw=len(keep_ids) >= self.hnsw_threshold)
        if len(keep_ids):
            self._append(keep_ids, np.ascontiguousarray(keep, dtype=np.float32))
        log.info("vector index rebuilt: %d vectors, %s", len(self), self.kind)

    def _refresh_selector(self) -> None:
        """Rebuild the live-row bitmap searches filter through (writers only, never searches)."""
        if not self.tombstones:
            self._selector = None
            return
        bits = np.packbits(self._alive, bitorder="little")
        # The selector points into ``bits``: they live and die together in one tuple.
        self._selector = (bits, faiss.IDSelectorBitmap(len(self._alive), faiss.swig_ptr(bits)))

    def _params(
        self, k: int, selector: tuple[np.ndarray, faiss.IDSelector] | None
    ) -> faiss.SearchParameters | None:
        extra = {"sel": selector[1]} if selector else {}
        if self.kind == "hnsw":
            # faiss's type stubs leave SearchParametersHNSW out (faiss-cpu 1.15).
            hnsw = faiss.SearchParametersHNSW  # type: ignore[attr-defined]
            params: faiss.SearchParameters = hnsw(efSearch=max(self.ef_search, k), **extra)
            return params
        return faiss.SearchParameters(**extra) if extra else None

    def _checked(
        self, ids: np.ndarray | list[int], vectors: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        ids, vectors = np.asarray(ids, dtype=np.int64).ravel(), self._matrix(vectors)
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        if (ids < 0).any() or len(np.unique(ids)) != len(ids):
            raise ValueError("ids must be distinct and non-negative")
        return ids, vectors

    def _matrix(self, vectors: np.ndarray) -> np.ndarray:
        matrix = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[1] != self.dim:
            raise ValueError(f"expected vectors of dimension {self.dim}, got shape {matrix.shape}")
        return matrix


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _refuse(folder: Path, why: str) -> None:
    log.info("vector index at %s not used (%s); it will be rebuilt", folder, why)
