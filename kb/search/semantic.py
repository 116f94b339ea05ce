"""Dense retrieval over passages: an encoder and a faiss index kept in step with the database."""

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from kb.search.dense.encoder import Encoder, safe_name
from kb.search.dense.vector_index import VectorIndex

log = logging.getLogger("policykb")

FetchTexts = Callable[[np.ndarray], list[str]]  # passage ids -> texts to embed, in that order


class QueryVectors:
    """Recent query vectors, shared by the channels of one model: a question is encoded once."""

    SIZE = 512  # the agent console searches as you type, so the same prefixes come back

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, query: str) -> np.ndarray:
        """The query's vector, from the cache or the encoder."""
        with self._lock:
            vec = self._cache.get(query)
            if vec is not None:
                self._cache.move_to_end(query)
                return vec
        vec = self.encoder.encode_queries([query])[0]  # outside the lock: threads encode at once
        with self._lock:
            self._cache[query] = vec
            if len(self._cache) > self.SIZE:
                self._cache.popitem(last=False)
        return vec


class SemanticChannel:
    """One model's vectors for the live passages, patched by id as passages come and go."""

    # At start-up a snapshot this far out of step with the database is rebuilt, not patched.
    REBUILD_FRACTION = 0.2
    SAVE_EVERY = 1000  # changed vectors between snapshots (a restart re-encodes at most these)
    BATCH = 256

    def __init__(self, encoder: Encoder, index_dir: Path, part: str = "passages",
                 queries: QueryVectors | None = None, database: str | None = None) -> None:
        self.encoder = encoder
        self.database = database  # the identity of the database the vectors belong to
        self.folder = index_dir / "dense" / safe_name(encoder.name) / part
        self.index: VectorIndex | None = None
        self._unsaved = 0
        # faiss may not add or remove while it searches: writers and searches take turns here;
        # encoding, the slow part, happens outside.
        self._lock = threading.Lock()
        self.build_seconds: float | None = None  # of the last full build, kept in meta.json
        self.queries = queries or QueryVectors(encoder)

    @property
    def meta(self) -> dict:
        """What a snapshot must match to be used: the database, the model, its dimension."""
        return {"model": self.encoder.name, "dim": self.encoder.dim, "normalized": True,
                "database": self.database}

    def open(self, live_ids: np.ndarray, fetch: FetchTexts, *, rebuild: bool = False) -> None:
        """Load the snapshot and patch it to ``live_ids``, or build from the database."""
        loaded = None if rebuild else VectorIndex.load(self.folder, self.meta)
        if loaded is not None:
            have = loaded.ids()
            added = np.setdiff1d(live_ids, have, assume_unique=True)
            removed = np.setdiff1d(have, live_ids, assume_unique=True)
            if len(added) + len(removed) <= self.REBUILD_FRACTION * max(len(live_ids), 1):
                self.index = loaded
                self.sync(live_ids, fetch)
                return
            log.info("vector index for %s is out of step with the database (%d to add, %d to "
                     "remove); rebuilding", self.encoder.name, len(added), len(removed))
        started = time.perf_counter()
        self.index = VectorIndex(self.encoder.dim)
        self.apply(live_ids, np.zeros(0, dtype=np.int64), fetch)
        self.build_seconds = round(time.perf_counter() - started, 2)
        self.save()

    def sync(self, live_ids: np.ndarray, fetch: FetchTexts) -> None:
        """Add the vectors of passages that appeared and remove those of passages that went."""
        assert self.index is not None
        have = self.index.ids()
        self.apply(np.setdiff1d(live_ids, have, assume_unique=True),
                   np.setdiff1d(have, live_ids, assume_unique=True), fetch)

    def apply(self, added: np.ndarray, removed: np.ndarray, fetch: FetchTexts) -> None:
        """Remove and add exactly these passages' vectors."""
        assert self.index is not None
        if len(removed):
            with self._lock:
                self.index.remove(removed)
        for start in range(0, len(added), self.BATCH):
            ids = added[start:start + self.BATCH]
            vectors = self.encoder.encode_passages(fetch(ids))
            with self._lock:
                self.index.add(ids, vectors)
        self._unsaved += len(added) + len(removed)
        if self._unsaved >= self.SAVE_EVERY:
            self.save()

    def save(self) -> None:
        """Write a snapshot (temp folder + rename)."""
        assert self.index is not None
        with self._lock:
            self.index.save(self.folder, self.meta | {"build_seconds": self.build_seconds})
        self._unsaved = 0

    def query_vector(self, query: str) -> np.ndarray:
        """The query's vector (shared cache)."""
        return self.queries.get(query)

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Passage ids and cosine similarities of the ``k`` nearest passages, best first."""
        assert self.index is not None
        vector = self.query_vector(query)
        with self._lock:
            scores, ids = self.index.search(vector, k)
        return ids, scores

    def similarity(self, query: str, passage_ids: np.ndarray) -> np.ndarray:
        """Cosine of the query with given passages (0 for passages without a vector)."""
        assert self.index is not None
        vector = self.query_vector(query)
        with self._lock:
            return self.index.similarity(vector, passage_ids)
