"""Retrieval evaluation on a corpus and queries, in a throw-away knowledge base."""

import json
import math
import tempfile
import time
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from kb.config import Settings
from kb.db import create_schema, make_engine, session_scope
from kb.errors import IngestError
from kb.ingest import Item, ingest_items
from kb.schemas import PolicyRecord
from kb.search.service import Searcher

MODES = ("lexical", "dense", "hybrid", "auto")


def _read_jsonl(path: Path) -> list[tuple[int, dict]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise IngestError(str(path), f"cannot be read: {exc.strerror or exc}") from exc
    out = []
    for n, line in enumerate(lines, start=1):
        if line.strip():
            try:
                out.append((n, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise IngestError(str(path), f"malformed JSON ({exc.msg})", n) from exc
    return out


def load_corpus(path: Path) -> list[Item]:
    """Corpus lines ``{"id", "title", "text", ...}`` as policies keyed by their id."""
    items = []
    for n, data in _read_jsonl(path):
        if "id" not in data or not str(data.get("text", "")).strip():
            raise IngestError(str(path), "each corpus line needs an id and a non-empty text", n)
        try:
            record = PolicyRecord(id=str(data["id"]), title=data.get("title") or None, text=data["text"])
        except ValidationError as exc:
            raise IngestError(str(path), str(exc.errors()[0]["msg"]), n) from exc
        record.title = record.title or ""
        items.append(Item(record, f"{path}:{n}", f"id:{record.id}"))
    return items


def load_queries(path: Path) -> list[dict]:
    """Query lines ``{"id", "query", "relevant_ids": [...]}``."""
    queries = []
    for n, data in _read_jsonl(path):
        if not data.get("query") or not isinstance(data.get("relevant_ids"), list):
            raise IngestError(str(path), "each query line needs a query and a relevant_ids list", n)
        queries.append(data)
    return queries


def metrics(ranked: list[list[str]], queries: list[dict], latencies: list[float], k: int) -> dict:
    """Document-level recall@1/5/10, MRR@10 and nDCG@10 (binary relevance), with latency."""
    sums = {"recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}
    for docs, q in zip(ranked, queries, strict=True):
        rel = set(map(str, q["relevant_ids"]))
        hits = [i for i, d in enumerate(docs[:10]) if d in rel]
        for cut in (1, 5, 10):
            sums[f"recall@{cut}"] += len([i for i in hits if i < cut]) / max(len(rel), 1)
        sums["mrr@10"] += 1.0 / (hits[0] + 1) if hits else 0.0
        dcg = sum(1.0 / math.log2(i + 2) for i in hits)
        ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(rel), 10)))
        sums["ndcg@10"] += dcg / ideal if ideal else 0.0
    n = max(len(queries), 1)
    out = {"n_queries": len(queries), "k": k}
    out |= {name: round(value / n, 4) for name, value in sums.items()}
    lat = np.asarray(latencies or [0.0]) * 1000
    out["latency_ms"] = {"p50": round(float(np.percentile(lat, 50)), 2),
                         "p95": round(float(np.percentile(lat, 95)), 2)}
    return out


def evaluate(*, corpus: Path, queries: Path, k: int = 10, mode: str = "lexical") -> dict:
    """Ingest ``corpus`` into a temporary knowledge base, run ``queries``, return the metrics."""
    items = load_corpus(corpus)
    qs = load_queries(queries)
    with tempfile.TemporaryDirectory(prefix="policykb-eval-") as tmp:
        settings = Settings(home=Path(tmp), index_dir=Path(tmp) / "indexes", database_url=None,
                            embedding_model="none")
        settings.ensure_dirs()
        engine = make_engine(settings.db_url)
        create_schema(engine)
        with session_scope(engine) as session:
            ingest_items(session=session, items=items)
        searcher = Searcher(engine, settings)
        searcher.ensure_fresh()
        from sqlmodel import Session, select

        from kb.models import Policy

        with Session(engine) as session:
            key_of = {pid: key.removeprefix("id:")
                      for pid, key in session.exec(select(Policy.id, Policy.source_key))}
        ranked, latencies = [], []
        for q in qs:
            t0 = time.perf_counter()
            rows, _ = searcher.rank(q["query"], limit=max(100, k * 10))
            docs: list[str] = []
            for row in rows:
                doc = key_of[int(searcher.policy_ids[row])]
                if doc not in docs:
                    docs.append(doc)
                    if len(docs) == k:
                        break
            latencies.append(time.perf_counter() - t0)
            ranked.append(docs)
        engine.dispose()
    return metrics(ranked, qs, latencies, k) | {"mode": "lexical" if mode == "auto" else mode}
