"""Benchmark: POST /api/ask over HTTP against a real uvicorn server on the demo knowledge base."""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

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


def run(base: str, n: int, warmup: int) -> tuple[list[float], float]:
    """Latencies in ms of ``n`` questions asked one after another on one keep-alive connection."""
    latencies = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for i in range(warmup):
            client.post("/api/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]}).raise_for_status()
        start = time.perf_counter()
        for i in range(n):
            t0 = time.perf_counter()
            res = client.post("/api/ask", json={"question": QUESTIONS[i % len(QUESTIONS)],
                                                "channel": "api"})
            latencies.append((time.perf_counter() - t0) * 1000)
            res.raise_for_status()
        elapsed = time.perf_counter() - start
    return latencies, elapsed


def main(argv: list[str] | None = None) -> int:
    """Load the demo, serve it, ask, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=500, help="questions to time (default 500)")
    parser.add_argument("--warmup", type=int, default=40, help="untimed questions first (default 40)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="policykb-bench-") as tmp:
        env = os.environ | {
            "KB_HOME": str(Path(tmp) / "var"), "KB_INDEX_DIR": str(Path(tmp) / "indexes"),
            "KB_EMBEDDING_MODEL": "none",
            # One client asks everything here; the per-client limit would otherwise stop it.
            "KB_ASK_RATE_LIMIT": str(10 * (args.n + args.warmup))}
        env.pop("KB_DATABASE_URL", None)  # the bench's own SQLite file, never a configured DB
        load_demo(env)
        port = free_port()
        server = start_server(env, port)
        try:
            latencies, elapsed = run(f"http://127.0.0.1:{port}", args.n, args.warmup)
        finally:
            server.terminate()
            server.wait(timeout=10)

    rows = [("requests", f"{args.n}"), ("median ms", f"{statistics.median(latencies):.1f}"),
            ("p95 ms", f"{percentile(latencies, 95):.1f}"), ("p99 ms", f"{percentile(latencies, 99):.1f}"),
            ("max ms", f"{max(latencies):.1f}"), ("requests/s", f"{args.n / elapsed:.0f}")]
    print("POST /api/ask, demo knowledge base, one keep-alive connection, uvicorn (1 worker)")
    for label, value in rows:
        print(f"  {label:<12}{value:>10}")
    target = statistics.median(latencies) < 30
    print(f"  target median < 30 ms: {'met' if target else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
