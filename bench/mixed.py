"""Load benchmark: citizens asking, CLI ingests, sign-ins and sign-off cycles, all at once, against
a real uvicorn server on loopback over one SQLite file. Prints counts and latency per kind; exit
status 1 if any request or ingest failed.

    python bench/mixed.py                      # the issue's mix: 6 askers for 30 s, 10 ingests,
                                              # 10 sign-ins, 20 sign-off cycles, 1 worker
    python bench/mixed.py --workers 4
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

from bench.api import QUESTIONS, free_port, load_demo, percentile  # noqa: E402
from bench.api import start_server as start_api_server  # noqa: E402

PASSWORD = "load-bench-password-9"
STAFF = {"ld-drafter": "drafter", "ld-reviewer": "reviewer", "ld-publisher": "publisher"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NOTICE = """金政办发〔2026〕{n}号

金湖县人民政府办公室关于压力测试第{n}号事项的通知

各镇人民政府、街道办事处：
一、本通知用于负载测试，编号{n}，企业可向县行政审批局咨询第{n}号事项的办理流程。
二、第{n}号事项的办理时限为5个工作日，受理地址为县政务服务中心一楼。
"""


@dataclass
class Tally:
    """Outcomes and latencies by kind of work."""

    ok: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    latency_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, started: float, error: str | None = None) -> None:
        """Count one piece of work of ``kind`` begun at ``started`` (perf_counter)."""
        with self.lock:
            self.latency_ms[kind].append((time.perf_counter() - started) * 1000)
            if error is None:
                self.ok[kind] += 1
            else:
                self.failed[kind].append(error)

    @property
    def failures(self) -> int:
        """How many pieces of work failed, all kinds together."""
        return sum(len(v) for v in self.failed.values())


def environment(tmp: Path) -> dict[str, str]:
    """The server's and the CLI's environment: a fresh data folder, no rate limit in the way."""
    env = os.environ | {
        "KB_HOME": str(tmp / "var"), "KB_INDEX_DIR": str(tmp / "indexes"),
        "KB_EMBEDDING_MODEL": "none", "KB_ASK_RATE_LIMIT": "1000000",
        "KB_LOGIN_MAX_FAILURES": "1000", "PYTHONPATH": str(ROOT)}
    env.pop("KB_DATABASE_URL", None)  # the bench's own SQLite file, never a configured DB
    return env


def prepare(env: dict[str, str]) -> None:
    """The demo knowledge base and three staff accounts of 县科技局."""
    load_demo(env)
    for username, role in STAFF.items():
        subprocess.run([sys.executable, "-c", "import sys; from kb.cli.main import main; "
                        "sys.exit(main(sys.argv[1:]))", "user", "add", username, "--name",
                        username, "--department", "县科技局", "--role", role, "--password-stdin"],
                       input=PASSWORD + "\n", text=True, env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    """uvicorn with ``workers`` processes, ready to answer (more workers take longer to start)."""
    return start_api_server(env, port, workers=workers, wait_s=90)


def sign_in(base: str, username: str) -> tuple[httpx.Client, str]:
    """A browser signed in as ``username``, and its session's CSRF token."""
    client = httpx.Client(base_url=base, timeout=60)
    form = client.get("/admin/login")
    form.raise_for_status()
    res = client.post("/admin/login", data={"username": username, "password": PASSWORD,
                                            "csrf_token": _CSRF.search(form.text).group(1)})
    if res.status_code != 303:
        client.close()
        raise RuntimeError(f"sign-in as {username}: {res.status_code}")
    home = client.get("/admin")
    home.raise_for_status()
    return client, _CSRF.search(home.text).group(1)


def asker(base: str, until: float, tally: Tally, offset: int) -> None:
    """One client asking one question after another until ``until`` (monotonic)."""
    with httpx.Client(base_url=base, timeout=60) as client:
        i = offset
        while time.monotonic() < until:
            t0 = time.perf_counter()
            try:
                res = client.post("/api/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})
                tally.add("ask", t0, None if res.status_code == 200 else f"{res.status_code}")
            except httpx.HTTPError as exc:
                tally.add("ask", t0, repr(exc))
            i += 1


def ingester(env: dict[str, str], folder: Path, numbers: list[int], tally: Tally) -> None:
    """``policykb ingest`` of one new notice per number, one after another."""
    for n in numbers:
        path = folder / f"notice-{n}.txt"
        path.write_text(NOTICE.format(n=n + 100), encoding="utf-8")
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", "import sys; from kb.cli.main import main; "
                               "sys.exit(main(sys.argv[1:]))", "ingest", str(path)],
                              env=env, cwd=ROOT, capture_output=True, text=True)
        tally.add("ingest", t0, None if done.returncode == 0
                  else f"exit {done.returncode}: {done.stderr.strip()[-300:]}")


def signer(base: str, count: int, tally: Tally) -> None:
    """``count`` sign-ins through the form (GET the form, POST it, open /admin)."""
    for i in range(count):
        t0 = time.perf_counter()
        try:
            client, _ = sign_in(base, list(STAFF)[i % len(STAFF)])
            client.close()
            tally.add("sign-in", t0)
        except (httpx.HTTPError, RuntimeError) as exc:
            tally.add("sign-in", t0, repr(exc))


def sign_offs(base: str, count: int, policy_id: int, tally: Tally, tag: str) -> None:
    """``count`` full cycles: a drafter drafts an FAQ, submits; a reviewer approves; a publisher
    publishes."""
    try:
        people = {role: sign_in(base, username) for username, role in STAFF.items()}
    except (httpx.HTTPError, RuntimeError) as exc:
        for _ in range(count):
            tally.add("sign-off", time.perf_counter(), f"sign-in: {exc!r}")
        return

    def post(role: str, path: str, **data: str) -> httpx.Response:
        client, csrf = people[role]
        return client.post(path, data={"csrf_token": csrf, **data})

    try:
        for i in range(count):
            t0 = time.perf_counter()
            try:
                res = post("drafter", f"/admin/content/new/faq?policy_id={policy_id}",
                           question=f"负载测试{tag}第{i}个问题怎么办理",
                           answer=f"负载测试{tag}第{i}个问题，请到县政务服务中心一楼办理，5个工作日办结。")
                found = re.search(r"/admin/revisions/(\d+)", res.headers.get("location", ""))
                if res.status_code != 303 or not found:
                    raise RuntimeError(f"create: {res.status_code} {res.text[:200]}")
                rid = found.group(1)
                for role, action in (("drafter", "submit"), ("reviewer", "approve"),
                                     ("publisher", "publish")):
                    res = post(role, f"/admin/revisions/{rid}/{action}")
                    if res.status_code != 303:
                        raise RuntimeError(f"{action}: {res.status_code} {res.text[:200]}")
                tally.add("sign-off", t0)
            except (httpx.HTTPError, RuntimeError) as exc:
                tally.add("sign-off", t0, repr(exc))
    finally:
        for client, _ in people.values():
            client.close()


def a_policy_of(base: str) -> int:
    """A published policy of 县科技局 (the staff's department) to attach FAQ to."""
    page = httpx.get(f"{base}/api/policies", params={"department": "县科技局"}, timeout=30)
    page.raise_for_status()
    items = page.json()["items"]
    if not items:
        raise SystemExit("no policy of 县科技局 in the demo knowledge base")
    return items[0]["id"]


def run_mix(base: str, env: dict[str, str], folder: Path, *, seconds: float, askers: int,
            ingests: int, sign_ins: int, cycles: int) -> Tally:
    """Everything at once; returns when the askers' time is up and every other job is done."""
    tally = Tally()
    policy_id = a_policy_of(base)
    httpx.post(f"{base}/api/ask", json={"question": QUESTIONS[0]}, timeout=120).raise_for_status()
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=asker, args=(base, until, tally, i)) for i in range(askers)]
    half = ingests // 2
    threads += [threading.Thread(target=ingester, args=(env, folder, nums, tally))
                for nums in (list(range(half)), list(range(half, ingests))) if nums]
    threads += [threading.Thread(target=signer, args=(base, n, tally))
                for n in (sign_ins // 2, sign_ins - sign_ins // 2) if n]
    threads += [threading.Thread(target=sign_offs, args=(base, n, policy_id, tally, tag))
                for tag, n in (("甲", cycles // 2), ("乙", cycles - cycles // 2)) if n]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return tally


def report(tally: Tally, *, seconds: float, workers: int) -> str:
    """The table of counts and latency."""
    lines = [f"load mix for {seconds:g} s, uvicorn --workers {workers}, SQLite",
             f"  {'kind':<10}{'ok':>6}{'failed':>8}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}"]
    for kind in ("ask", "ingest", "sign-in", "sign-off"):
        ms = tally.latency_ms.get(kind) or [0.0]
        lines.append(f"  {kind:<10}{tally.ok.get(kind, 0):>6}{len(tally.failed.get(kind, [])):>8}"
                     f"{sorted(ms)[len(ms) // 2]:>11.0f}{percentile(ms, 95):>9.0f}{max(ms):>9.0f}")
    for kind, errors in tally.failed.items():
        for error in errors[:3]:
            lines.append(f"  {kind} failed: {error}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Prepare, serve, run the mix, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--askers", type=int, default=6)
    parser.add_argument("--ingests", type=int, default=10)
    parser.add_argument("--sign-ins", type=int, default=10)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="policykb-load-") as tmp:
        env = environment(Path(tmp))
        prepare(env)
        port = free_port()
        server = start_server(env, port, args.workers)
        try:
            tally = run_mix(f"http://127.0.0.1:{port}", env, Path(tmp), seconds=args.seconds,
                            askers=args.askers, ingests=args.ingests, sign_ins=args.sign_ins,
                            cycles=args.cycles)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(report(tally, seconds=args.seconds, workers=args.workers))
    return 1 if tally.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
