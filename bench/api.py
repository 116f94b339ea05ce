"""Benchmark: POST /api/ask over HTTP against a real uvicorn server, side by side (interleaved,
question by question) with ``ask`` in this process and a bm25s lookup over the same documents.

Without ``--corpus`` the demo knowledge base and its questions; with ``--corpus C.jsonl
--queries Q.jsonl`` (repeatable: e.g. the eval dev sets) those documents and their questions.
The bm25s peer needs the ``bench`` extra.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

if TYPE_CHECKING:  # imported where used: the HTTP client side needs no product modules
    from kb.config import Settings
    from kb.search.service import Searcher

# What enterprises and agents ask about the demo policies, in their own words.
QUESTIONS = [
    "首次认定高企的公司县里奖励多少钱",
    "技改设备投资能补多少",
    "技术改造项目贷款贴息比例是多少",
    "研发费用加计扣除怎么申报",
    "小微企业有哪些税费优惠",
    "中小微企业贷款贴息怎么申请",
    "转贷应急资金的使用费率是多少",
    "高层次人才引进有安家补贴吗",
    "大学毕业生来金湖就业有生活补贴吗",
    "专精特新小巨人企业奖励多少",
    "稳岗返还政策还有效吗",
    "家庭农场能申请哪些扶持资金",
    "农产品加工企业设备补助标准",
    "电商企业网络零售额奖励",
    "物流企业购买冷链车有补贴吗",
    "出口信用保险保费补贴比例",
    "跨境电商企业有什么支持政策",
    "一企来窗口可以办理哪些事项",
    "惠企政策免申即享是怎么回事",
    "智能车间认定后奖励多少",
]


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_demo(env: dict[str, str]) -> None:
    """``policykb demo --no-serve`` into the temporary KB_HOME."""
    subprocess.run([sys.executable, "-c", "import sys; from kb.cli.main import main; "
                    "sys.exit(main(['demo', '--no-serve']))"],
                   env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def start_server(env: dict[str, str], port: int, workers: int = 1,
                 wait_s: float = 60) -> subprocess.Popen:
    """uvicorn serving the app in its own process(es), ready to answer."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "web.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning",
         "--no-access-log"], env=env, cwd=ROOT)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with status {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/policies", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit(f"the server did not start within {wait_s:.0f} s")


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def load_corpora(env: dict[str, str], corpora: list[Path]) -> None:
    """``policykb ingest`` the corpus files into the temporary KB_HOME."""
    subprocess.run([sys.executable, "-c", "import sys; from kb.cli.main import main; "
                    "sys.exit(main(['ingest', *sys.argv[1:]]))", *map(str, corpora)],
                   env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def read_questions(paths: list[Path]) -> list[str]:
    """The ``query`` of every line of the query files."""
    out = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            out += [json.loads(line)["query"] for line in fh if line.strip()]
    return out


class Peer:
    """bm25s over documents (title and text) with the product's jieba words, k=10."""

    def __init__(self, texts: list[str]) -> None:
        import bm25s

        from bench.peers import jieba_words as words

        self.words = words
        self.retriever = bm25s.BM25(k1=0.5, b=0.9)
        self.retriever.index([words(t) for t in texts], show_progress=False)

    def lookup(self, question: str) -> None:
        """The top 10 for a question, tokenising it as the product does."""
        tokens = [t for t in self.words(question) if t in self.retriever.vocab_dict] or ["补贴"]
        self.retriever.retrieve([tokens], k=10, show_progress=False, n_threads=0)


def corpus_texts(corpora: list[Path], env: dict[str, str]) -> list[str]:
    """The documents the peer indexes: the corpus lines, or the knowledge base's passages."""
    if corpora:
        out = []
        for path in corpora:
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        d = json.loads(line)
                        out.append(f"{d.get('title') or ''}\n{d['text']}")
        return out
    from sqlmodel import Session, select

    from kb.database.db import make_engine
    from kb.models import Passage, Policy

    engine = make_engine(f"sqlite:///{env['KB_HOME']}/policykb.db")
    with Session(engine) as session:
        rows = session.exec(select(Policy.title, Passage.heading, Passage.text).join(Policy)).all()
    engine.dispose()
    return [f"{t}\n{h}\n{x}" for t, h, x in rows]


def in_process(env: dict[str, str]) -> "tuple[Searcher, Settings]":
    """A searcher of the same knowledge base in this process, and the ask threshold."""
    from kb.config import Settings
    from kb.database.db import make_engine
    from kb.search.service import Searcher

    settings = Settings(home=Path(env["KB_HOME"]), index_dir=Path(env["KB_INDEX_DIR"]),
                        embedding_model="none")
    searcher = Searcher(make_engine(settings.db_url), settings)
    searcher.ensure_fresh()
    return searcher, settings


def run(base: str, questions: list[str], warmup: int, searcher: "Searcher | None" = None,
        peer: Peer | None = None,
        ) -> dict[str, list[float]]:
    """Latencies in ms of each question over HTTP (one keep-alive connection), in process and by
    the peer, one after another for each question, and of an empty request after each."""
    from kb.search.answers import ask

    times: dict[str, list[float]] = {"api": [], "ask": [], "bm25s": [], "empty": []}
    with httpx.Client(base_url=base, timeout=30) as client:
        for i in range(warmup):
            q = questions[i % len(questions)]
            client.post("/api/ask", json={"question": q}).raise_for_status()
            if searcher is not None:
                ask(searcher=searcher, question=q, threshold=0.3)
            if peer is not None:
                peer.lookup(q)
        for q in questions:
            t0 = time.perf_counter()
            res = client.post("/api/ask", json={"question": q, "channel": "api"})
            times["api"].append((time.perf_counter() - t0) * 1000)
            res.raise_for_status()
            # The floor under any answer: an empty request (a 404) on the same connection.
            t0 = time.perf_counter()
            client.get("/api/no-such-thing")
            times["empty"].append((time.perf_counter() - t0) * 1000)
            if searcher is not None:
                t0 = time.perf_counter()
                ask(searcher=searcher, question=q, threshold=0.3)
                times["ask"].append((time.perf_counter() - t0) * 1000)
            if peer is not None:
                t0 = time.perf_counter()
                peer.lookup(q)
                times["bm25s"].append((time.perf_counter() - t0) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    """Load the knowledge base, serve it, ask, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500, help="questions to time (default 500)")
    parser.add_argument("--warmup", type=int, default=40, help="untimed questions first (default 40)")
    parser.add_argument("--corpus", type=Path, action="append", default=[],
                        help="a JSONL corpus to ingest instead of the demo (repeatable)")
    parser.add_argument("--queries", type=Path, action="append", default=[],
                        help="a JSONL file of questions ({\"query\": ...} lines; repeatable)")
    parser.add_argument("--no-peer", action="store_true", help="skip the bm25s comparison")
    args = parser.parse_args(argv)
    questions = read_questions(args.queries) if args.queries else QUESTIONS
    questions = [questions[i % len(questions)] for i in range(args.n)]

    with tempfile.TemporaryDirectory(prefix="policykb-bench-") as tmp:
        env = os.environ | {
            "KB_HOME": str(Path(tmp) / "var"), "KB_INDEX_DIR": str(Path(tmp) / "indexes"),
            "KB_EMBEDDING_MODEL": "none",
            # One client asks everything here; the per-client limit would otherwise stop it.
            "KB_ASK_RATE_LIMIT": str(10 * (args.n + args.warmup))}
        env.pop("KB_DATABASE_URL", None)  # the bench's own SQLite file, never a configured DB
        if args.corpus:
            load_corpora(env, args.corpus)
        else:
            load_demo(env)
        searcher, _ = in_process(env)
        peer = None if args.no_peer else Peer(corpus_texts(args.corpus, env))
        port = free_port()
        server = start_server(env, port)
        try:
            times = run(f"http://127.0.0.1:{port}", questions, args.warmup, searcher, peer)
        finally:
            server.terminate()
            server.wait(timeout=10)

    what = ", ".join(p.parent.name for p in args.corpus) or "demo knowledge base"
    print(f"{len(questions)} questions, {what}; POST /api/ask on one keep-alive connection to "
          "uvicorn (1 worker), ask in this process and bm25s, interleaved question by question")
    print(f"  {'':14}{'median ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for label, key in (("POST /api/ask", "api"), ("ask in process", "ask"), ("bm25s", "bm25s"),
                       ("empty GET 404", "empty")):
        t = times[key]
        if t:
            print(f"  {label:14}{statistics.median(t):10.2f}{percentile(t, 95):10.2f}"
                  f"{percentile(t, 99):10.2f}")
    api, inproc = statistics.median(times["api"]), statistics.median(times["ask"])
    empty = statistics.median(times["empty"])
    print(f"  POST /api/ask ÷ ask median: {api / inproc:.2f} (target ≤ 1.5); over HTTP beyond the "
          f"answer: {api - inproc:.2f} ms, of which an empty request takes {empty:.2f} ms")
    if times["bm25s"]:
        print(f"  POST /api/ask ÷ bm25s median: {api / statistics.median(times['bm25s']):.2f} "
              "(target on the eval corpora ≤ 3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
