"""Dense retrieval over passages: an encoder and a faiss index kept in step with the database."""

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from kb.database.db import chunks
from kb.search.dense.encoder import Encoder, safe_name
from kb.search.dense.vector_cache import BATCH, Progress, VectorCache, embed, text_key
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
        # Outside the lock: threads encode at once.
        encoded: np.ndarray = self.encoder.encode_queries([query])[0]
        with self._lock:
            self._cache[query] = encoded
            if len(self._cache) > self.SIZE:
                self._cache.popitem(last=False)
        return encoded


class SemanticChannel:
    """One model's vectors for the live passages, patched by id as passages come and go.

    Vectors come from the model's ``VectorCache`` where held, so only new texts are encoded. With
    ``background``, new texts are encoded by a worker thread: their passages are searchable
    lexically at once and join the dense channel as their vectors arrive.
    """

    # At start-up a snapshot this far out of step with the database is rebuilt, not patched.
    REBUILD_FRACTION = 0.2
    SAVE_EVERY = 1000  # changed vectors between snapshots (a restart re-encodes at most these)
    BATCH = 256

    def __init__(self, encoder: Encoder, index_dir: Path, part: str = "passages",
                 queries: QueryVectors | None = None, database: str | None = None, *,
                 cache: VectorCache | None = None, background: bool = False,
                 progress: Progress | None = None) -> None:
        self.encoder = encoder
        self.database = database  # the identity of the database the vectors belong to
        self.folder = index_dir / "dense" / safe_name(encoder.name) / part
        self.index: VectorIndex | None = None
        self.cache = cache
        self.background = background
        self.progress = progress  # told of long foreground embeds (the CLI draws a bar)
        self._unsaved = 0
        # faiss may not add or remove while it searches: writers and searches take turns here;
        # encoding, the slow part, happens outside.
        self._lock = threading.Lock()
        self.build_seconds: float | None = None  # of the last full build, kept in meta.json
        self.queries = queries or QueryVectors(encoder)
        self._pending: dict[int, None] = {}  # ids waiting for the worker, in order
        self._fetch: FetchTexts | None = None
        self._worker: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    @property
    def meta(self) -> dict[str, Any]:
        """What a snapshot must match to be used: the database, the model, its dimension."""
        return {"model": self.encoder.name, "dim": self.encoder.dim, "normalized": True,
                "database": self.database}

    @property
    def pending(self) -> int:
        """Passages waiting for their vectors (background mode)."""
        return len(self._pending)

    def pending_ids(self) -> np.ndarray:
        """Ids of the passages waiting for their vectors."""
        with self._lock:
            return np.fromiter(self._pending, dtype=np.int64, count=len(self._pending))

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
        with self._lock:
            self.index = VectorIndex(self.encoder.dim)
            self._pending.clear()
        self.apply(live_ids, np.zeros(0, dtype=np.int64), fetch)
        self.build_seconds = round(time.perf_counter() - started, 2)
        self.save()

    def sync(self, live_ids: np.ndarray, fetch: FetchTexts) -> None:
        """Add the vectors of passages that appeared and remove those of passages that went."""
        assert self.index is not None
        with self._lock:
            have = np.union1d(self.index.ids(), np.fromiter(self._pending, dtype=np.int64,
                                                            count=len(self._pending)))
        self.apply(np.setdiff1d(live_ids, have, assume_unique=True),
                   np.setdiff1d(have, live_ids, assume_unique=True), fetch)

    def apply(self, added: np.ndarray, removed: np.ndarray, fetch: FetchTexts) -> None:
        """Remove and add exactly these passages' vectors (new texts later, in background mode)."""
        assert self.index is not None
        if len(removed):
            with self._lock:
                for i in removed.tolist():
                    self._pending.pop(int(i), None)
                self.index.remove(removed)
        if self.background and len(added):
            self._add_held(added, fetch)
        else:
            self._add(added, fetch, self.progress)
        self._unsaved += len(added) + len(removed)
        if self._unsaved >= self.SAVE_EVERY:
            self.save()

    def _add(self, ids: np.ndarray, fetch: FetchTexts, progress: Progress | None) -> None:
        """Embed (or read from the cache) and add these passages' vectors now."""
        total, done = len(ids), 0
        for chunk in chunks(ids, self.BATCH):
            if progress is None:
                tell = None
            else:
                def tell(n: int, _: int, base: int = done) -> None:
                    progress(base + n, total)
            vectors = embed(self.encoder, fetch(chunk), self.cache, progress=tell)
            with self._lock:
                self._opened().add(chunk, vectors)
            done += len(chunk)

    def _add_held(self, ids: np.ndarray, fetch: FetchTexts) -> None:
        """Add at once the vectors the cache holds; queue the rest for the worker."""
        texts = fetch(ids)
        if self.cache is not None:
            keys = [text_key(self.encoder.name, t) for t in texts]
            held = self.cache.get(keys)
        else:
            keys, held = [], {}
        have = [i for i, k in enumerate(keys) if k in held]
        with self._lock:
            if have:
                self._opened().add(ids[have], np.stack([held[keys[i]] for i in have]))
            got = set(have)
            for i, pid in enumerate(ids.tolist()):
                if i not in got:
                    self._pending[int(pid)] = None
            self._fetch = fetch
            if self._pending and self._worker is None:
                self._idle.clear()
                self._worker = threading.Thread(target=self._work, name="policykb-embed",
                                                daemon=True)
                self._worker.start()

    def _work(self) -> None:
        """Encode the queued passages, a small batch at a time, until none is left."""
        while True:
            with self._lock:
                if not self._pending or self._fetch is None:
                    # Decided under the lock: a passage queued from now on starts a new worker.
                    self._worker = None
                    self._idle.set()
                    break
                batch = np.fromiter(list(self._pending)[:BATCH], dtype=np.int64)
                fetch = self._fetch
            try:
                vectors = embed(self.encoder, fetch(batch), self.cache)
            except Exception:  # the passages stay searchable lexically; a restart tries again
                log.exception("embedding new passages with %s failed", self.encoder.name)
                with self._lock:
                    for pid in batch.tolist():
                        self._pending.pop(pid, None)
                continue
            with self._lock:
                still = [i for i, pid in enumerate(batch.tolist()) if pid in self._pending]
                for pid in batch.tolist():
                    self._pending.pop(pid, None)
                if still:
                    self._opened().add(batch[still], vectors[still])
                self._unsaved += len(still)
        if self._unsaved >= self.SAVE_EVERY:
            self.save()

    def _opened(self) -> VectorIndex:
        """The index, which ``open`` makes before any vector is added."""
        if self.index is None:
            raise RuntimeError(f"vectors added to {self.folder} before the channel was opened")
        return self.index

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker has embedded every queued passage; False on timeout."""
        return self._idle.wait(timeout)

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
