"""Benchmark: a busy morning. N clients at once ask real questions for a fixed time against
``policykb serve --workers 2`` and, in the same run, against the floor (bench/floor.py: the same
uvicorn and FastAPI answering a bm25s lookup over the same documents). Prints throughput, p50, p95,
p99 and errors of both, and their ratios.

    python bench/load.py                                  # 8, 32, 128 clients; SQLite
    python bench/load.py --databases sqlite,postgres      # and a throwaway PostgreSQL cluster
    python bench/load.py --model e5                       # the product with the Chinese model

Questions: bench/county/questions.jsonl (the county set's 397). Each client keeps one keep-alive
connection and asks the next question as soon as it has its answer; the client is a few lines of
asyncio writing HTTP/1.1 itself, so the load generator costs both servers alike and little.
Exit status 1 when the target is missed: 2 workers, 32 clients, SQLite: throughput at least half
the floor's, p95 at most 3 times the floor's, no error.
"""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

QUESTIONS = ROOT / "bench" / "county" / "questions.jsonl"


@dataclass
class Result:
    """One target under one load."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)

    def line(self, label: str) -> str:
        """A row of the table."""
        return (f"{label:<22} {self.qps:8.1f} {self.p(50):8.2f} {self.p(95):8.2f} "
                f"{self.p(99):8.2f} {self.errors:7d}")

    @property
    def qps(self) -> float:
        """Answers a second."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        """The q-th percentile latency in ms."""
        lat = sorted(self.latencies)
        return lat[min(len(lat) - 1, max(0, round(q / 100 * len(lat)) - 1))] * 1000 if lat else 0.0


# --- The load generator -----------------------------------------------------------------------


async def _client(port: int, bodies: list[bytes], start: int, until: float, record: bool,
                  result: Result) -> None:
    reader = writer = None
    i = start
    while time.perf_counter() < until:
        body = bodies[i % len(bodies)]
        i += 1
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            began = time.perf_counter()
            writer.write(b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
            status = int((await reader.readline()).split()[1])
            length, close = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "connection" and "close" in value.lower():
                    close = True
            await reader.readexactly(length)
            took = time.perf_counter() - began
            if close:
                writer.close()
                writer = None
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            if record:
                result.errors += 1
            writer = None
            await asyncio.sleep(0.01)
            continue
        if record:
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status == 200:
                result.latencies.append(took)
            else:
                result.errors += 1
    if writer is not None:
        writer.close()


async def _load(port: int, bodies: list[bytes], clients: int, seconds: float,
                warmup: float) -> Result:
    result = Result()
    start = time.perf_counter()
    await asyncio.gather(*(_client(port, bodies, k * 7, start + warmup, False, result)
                           for k in range(clients)))
    begun = time.perf_counter()
    await asyncio.gather(*(_client(port, bodies, k * 7, begun + seconds, True, result)
                           for k in range(clients)))
    result.seconds = time.perf_counter() - begun
    return result


def load(port: int, bodies: list[bytes], clients: int, seconds: float, warmup: float) -> Result:
    """``clients`` connections asking for ``seconds`` (after ``warmup`` not counted)."""
    try:
        import uvloop

        return uvloop.run(_load(port, bodies, clients, seconds, warmup))
    except ImportError:
        return asyncio.run(_load(port, bodies, clients, seconds, warmup))


# --- The servers --------------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(proc: subprocess.Popen, port: int, what: str, wait_s: float = 120) -> None:
    """Until ``port`` answers a question."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with status {proc.returncode}")
        try:
            if httpx.post(f"http://127.0.0.1:{port}/api/ask", json={"question": "企业补贴"},
                          timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"{what} did not start within {wait_s:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    """SIGINT, then kill after 30 s."""
    proc.send_signal(2)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def floor_texts(url: str, path: Path) -> int:
    """The knowledge base's published passages as the floor's documents."""
    from sqlmodel import Session, select

    from kb.database.db import make_engine
    from kb.models import Passage, Policy

    engine = make_engine(url)
    with Session(engine) as session, path.open("w", encoding="utf-8") as out:
        rows = session.exec(select(Passage.id, Policy.title, Passage.heading, Passage.text)
                            .join(Policy)).all()
        for pid, title, heading, text in rows:
            out.write(json.dumps({"id": pid, "title": title, "text": f"{heading}\n{text}"},
                                 ensure_ascii=False) + "\n")
    engine.dispose()
    return len(rows)


def environment(home: Path, model: str, url: str | None, answer_cache: int | None = None
                ) -> dict[str, str]:
    """The product's settings for the run: every client is 127.0.0.1, so no rate limit."""
    env = os.environ | {"KB_HOME": str(home), "KB_INDEX_DIR": str(home / "indexes"),
                        "KB_EMBEDDING_MODEL": model, "KB_PUSH_WORKER": "0",
                        "KB_ASK_RATE_LIMIT": str(10**9), "PYTHONPATH": str(ROOT)}
    if answer_cache is not None:
        env["KB_ANSWER_CACHE"] = str(answer_cache)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if url:
        env["KB_DATABASE_URL"] = url
    else:
        env.pop("KB_DATABASE_URL", None)
    return env


def run_database(name: str, url: str | None, args: argparse.Namespace, bodies: list[bytes],
                 work: Path) -> dict[int, tuple[Result, Result]]:
    """Load the demo into ``name``, serve it and the floor, and load both at each client count."""
    home = work / name
    env = environment(home, args.model, url, args.answer_cache)
    subprocess.run([sys.executable, "-m", "kb.cli", "demo", "--no-serve"], env=env, check=True,
                   stdout=subprocess.DEVNULL, cwd=ROOT)
    texts = work / f"{name}-floor.jsonl"
    n = floor_texts(url or f"sqlite:///{home / 'policykb.db'}", texts)
    product_port, floor_port = free_port(), free_port()
    product = subprocess.Popen(
        [sys.executable, "-m", "kb.cli", "serve", "--port", str(product_port), "--workers",
         str(args.workers)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    floor = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "bench.floor:create_app", "--port",
         str(floor_port), "--workers", str(args.workers), "--log-level", "warning"],
        env=env | {"FLOOR_TEXTS": str(texts)}, cwd=ROOT, stdout=subprocess.DEVNULL)
    out: dict[int, tuple[Result, Result]] = {}
    try:
        wait_ready(product, product_port, "policykb serve")
        wait_ready(floor, floor_port, "the floor app")
        print(f"{name}: {n} passages; product and floor each with {args.workers} workers",
              flush=True)
        for k, clients in enumerate(args.clients):
            # Alternate which goes first, so neither always meets a warmer machine.
            order = [("product", product_port), ("floor", floor_port)]
            found = {}
            for label, port in (order if k % 2 == 0 else order[::-1]):
                found[label] = load(port, bodies, clients, args.seconds, args.warmup)
            out[clients] = (found["product"], found["floor"])
            print(f"  {clients} clients done", flush=True)
    finally:
        stop(product)
        stop(floor)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run, print the table and the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="8,32,128",
                        type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured, per target and load")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--databases", default="sqlite", help="sqlite, postgres or both")
    parser.add_argument("--model", default="none", help="KB_EMBEDDING_MODEL of the product "
                        "(none: lexical, as the floor; e5: the bundled Chinese model)")
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--answer-cache", type=int, default=None,
                        help="KB_ANSWER_CACHE of the product (0: every question worked out; "
                             "default: the product's, which keeps answers to questions asked "
                             "again, as the county set's are within a run)")
    args = parser.parse_args(argv)
    with args.questions.open(encoding="utf-8") as fh:
        questions = [json.loads(line)["query"] for line in fh if line.strip()]
    bodies = [json.dumps({"question": q, "channel": "widget"}, ensure_ascii=False).encode()
              for q in questions]
    results: dict[str, dict[int, tuple[Result, Result]]] = {}
    with tempfile.TemporaryDirectory(prefix="policykb-load-") as tmp:
        for name in args.databases.split(","):
            cluster = None
            if name == "postgres":
                from bench.pgcluster import start

                cluster = start()
            try:
                results[name] = run_database(name, cluster.url if cluster else None, args, bodies,
                                             Path(tmp))
            finally:
                if cluster:
                    cluster.stop()
    print(f"\n{len(questions)} questions; {args.seconds:.0f} s measured per row after "
          f"{args.warmup:.0f} s; product model: {args.model}, "
          f"answer cache: {'default' if args.answer_cache is None else args.answer_cache}\n")
    print(f"{'target':<22} {'QPS':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    verdict = 0
    for name, rows in results.items():
        for clients, (product, floor) in rows.items():
            print(product.line(f"{name} product c={clients}"))
            print(floor.line(f"{name} floor   c={clients}"))
            qps_ratio = product.qps / floor.qps if floor.qps else 0.0
            p95_ratio = product.p(95) / floor.p(95) if floor.p(95) else float("inf")
            others = {s: n for s, n in product.statuses.items() if s != 200}
            print(f"{'':<22} throughput {qps_ratio:.2f}x the floor's, p95 {p95_ratio:.2f}x"
                  + (f"; non-200: {others}" if others else ""))
            if name == "sqlite" and clients == 32 and args.workers == 2:
                met = qps_ratio >= 0.5 and p95_ratio <= 3 and product.errors == 0
                print(f"{'':<22} target (≥ 0.5x, p95 ≤ 3x, 0 errors): {'MET' if met else 'MISSED'}")
                verdict = 0 if met else 1
    return verdict


if __name__ == "__main__":
    sys.exit(main())
