"""Passage vectors computed once per (model, text): an SQLite file per model, and shipped vectors.

Embedding is the slow part of indexing (0.05-0.9 s a passage on two cores), so every vector is
kept under a hash of the model's name and the exact text. A reindex, a restart, a compaction or a
republished passage whose text did not change finds its vector here; an interrupted embed resumes
where it stopped (each batch is committed). Vectors shipped with the package (the demo's) are read
when the file has none.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from importlib import resources
from pathlib import Path

import numpy as np

from kb.database.db import chunks
from kb.search.dense.encoder import Encoder, safe_name

Progress = Callable[[int, int], None]  # (texts done, texts in all)
BATCH = 8  # texts encoded and committed together (a killed embed loses at most one batch)


def text_key(model: str, text: str) -> bytes:
    """The 16-byte key of ``text`` embedded by ``model``."""
    return hashlib.sha256(f"{model}\0{text}".encode()).digest()[:16]


class VectorCache:
    """Vectors by (model, text) in ``folder/<model>.sqlite``; safe across threads and processes."""

    def __init__(self, folder: Path, model: str, dim: int) -> None:
        self.model, self.dim = model, dim
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{safe_name(model)}.sqlite"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False,
                                   isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vector (key BLOB PRIMARY KEY, dim INTEGER "
                         "NOT NULL, data BLOB NOT NULL) WITHOUT ROWID")
        self._shipped = shipped_vectors(model)

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM vector").fetchone()[0])

    def get(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """The vectors held for ``keys`` (missing keys are left out)."""
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for part in chunks(keys):
                chunk = list(part)
                marks = ",".join("?" * len(chunk))
                for key, dim, data in self._db.execute(
                        f"SELECT key, dim, data FROM vector WHERE key IN ({marks})", chunk):
                    if dim == self.dim:
                        found[bytes(key)] = np.frombuffer(data, dtype=np.float32)
        for key in keys:
            if key not in found and key in self._shipped:
                found[key] = self._shipped[key]
        return found

    def put(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        """Keep ``vectors`` under ``keys`` (one transaction)."""
        rows = [(k, self.dim, np.ascontiguousarray(v, dtype=np.float32).tobytes())
                for k, v in zip(keys, vectors, strict=True)]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR REPLACE INTO vector VALUES (?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()


def cache_files(folder: Path) -> list[Path]:
    """The cache files in ``folder``, one per model."""
    return sorted(folder.glob("*.sqlite")) if folder.is_dir() else []


def copy_file(source: Path, dest: Path) -> int:
    """A consistent copy of a cache file that others may be writing (SQLite's online backup);
    returns the vectors it holds."""
    with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(dest)) as dst:
        src.backup(dst)
        return int(dst.execute("SELECT count(*) FROM vector").fetchone()[0])


def merge_file(source: Path, dest: Path) -> int:
    """Add to cache file ``dest`` (made if missing) the vectors of ``source`` it lacks; returns
    how many were added. A vector is the same wherever it was computed, so nothing is replaced."""
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        return copy_file(source, dest)
    with closing(sqlite3.connect(dest, timeout=30, isolation_level=None)) as db:
        db.execute("ATTACH DATABASE ? AS incoming", (str(source),))
        db.execute("BEGIN IMMEDIATE")
        before = db.total_changes
        db.execute("INSERT OR IGNORE INTO vector SELECT key, dim, data FROM incoming.vector")
        db.execute("COMMIT")
        added = db.total_changes - before
        db.execute("DETACH DATABASE incoming")
        return added


def embed(encoder: Encoder, texts: Sequence[str], cache: VectorCache | None = None, *,
          progress: Progress | None = None) -> np.ndarray:
    """Passage vectors for ``texts``: from ``cache`` where held, the rest encoded in batches and
    kept; ``progress`` hears after each batch."""
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    if not texts:
        return out
    if cache is None:
        todo = list(range(len(texts)))
        keys: list[bytes] = []
    else:
        keys = [text_key(encoder.name, t) for t in texts]
        held = cache.get(list(dict.fromkeys(keys)))
        todo = []
        for i, key in enumerate(keys):
            if key in held:
                out[i] = held[key]
            else:
                todo.append(i)
    # The same text twice (two identical clauses) is encoded once.
    first: dict[str, int] = {}
    unique = [i for i in todo if first.setdefault(texts[i], i) == i]
    done = len(texts) - len(todo)
    if progress and unique:
        progress(done, len(texts))
    for batch in chunks(unique, BATCH):
        vectors = encoder.encode_passages([texts[i] for i in batch])
        out[batch] = vectors
        if cache is not None:
            cache.put([keys[i] for i in batch], vectors)
        done += len(batch)
        if progress:
            progress(done, len(texts))
    for i in todo:
        out[i] = out[first[texts[i]]]
    return out


_shipped: dict[str, dict[bytes, np.ndarray]] = {}


def shipped_vectors(model: str) -> dict[bytes, np.ndarray]:
    """Vectors shipped in the package for ``model`` (kb/demo/vectors/<model>.npz), by key."""
    if model not in _shipped:
        table: dict[bytes, np.ndarray] = {}
        try:
            res = resources.files("kb.demo").joinpath("vectors", f"{safe_name(model)}.npz")
            if res.is_file():
                with res.open("rb") as fh, np.load(fh) as data:
                    keys, vectors = data["keys"], data["vectors"].astype(np.float32)
                table = {bytes(k): v for k, v in zip(keys, vectors, strict=True)}
        except (OSError, ValueError, KeyError):  # a damaged file costs speed, never an answer
            table = {}
        _shipped[model] = table
    return _shipped[model]


def write_shipped(path: Path, model: str, texts: Sequence[str], vectors: np.ndarray) -> None:
    """Write vectors for ``texts`` in the shipped form (keys as a uint8 matrix)."""
    keys = np.frombuffer(b"".join(text_key(model, t) for t in texts), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{time.monotonic_ns()}.tmp.npz")
    np.savez_compressed(tmp, keys=keys.reshape(len(texts), 16),
                        vectors=np.asarray(vectors, dtype=np.float32))
    tmp.replace(path)
