"""Benchmark: PolicyKB as a cluster on a throwaway PostgreSQL server started here.

1. Starts: ``policykb serve --workers 4`` on an empty database, ``--starts`` times in a row (each
   must come up with no error in its log).
2. Publish: 4 web processes on the demo knowledge base, 2 processes publishing 20 policies each at
   once (``policykb ingest``); for every publish, the time until each of the 4 processes finds it
   with ``POST /api/ask`` (target: within 1 s).
3. Validity job: 4 workers for ``--validity-s`` seconds (default 120) with a 5 s period: each
   period's run must happen once, in one worker, with no error logged.
4. Push: 3,000 email pushes, 2 push workers, one SIGKILLed a third of the way through; lost and
   doubled pushes counted at the receiver (by idempotency key) and in the outbox.

Prints its figures; exit 1 when a target is missed. Needs PostgreSQL server binaries
(/usr/lib/postgresql/*/bin) and, run as root, the postgres user.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

from bench.api import free_port, load_demo, percentile  # noqa: E402

WEB = 4
PUBLISHERS = 2
PHASES = ("starts", "publish", "validity", "push")
EACH = 20
STEMS, BRANCHES = "甲乙丙丁戊己庚辛壬癸", "子丑寅卯辰巳午未申酉戌亥"
NOTICE = """金政办发〔2026〕{n}号

金湖县人民政府办公室关于{word}专项扶持资金的通知

各镇人民政府、街道办事处：
一、设立{word}专项扶持资金，支持企业开展{word}项目，最高补助50万元。
二、{word}专项扶持资金的申报材料报送县行政审批局，办理时限为5个工作日。
"""
PUBLISHER = """
import sys, time
from pathlib import Path
from kb.cli.main import main
for path in sys.argv[1:]:
    if main(["ingest", path]) != 0:
        sys.exit(1)
    print("PUBLISHED", Path(path).stem, time.time(), flush=True)
"""


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """A throwaway PostgreSQL server on a free loopback port; yields its URL; always stopped."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise SystemExit("bench/cluster.py: no PostgreSQL server binaries under /usr/lib/postgresql")
    bin_dir = found[-1].parent
    folder = Path(tempfile.mkdtemp(prefix="policykb-pg-"))
    folder.chmod(0o755)
    root = os.geteuid() == 0
    if root:
        shutil.chown(folder, "postgres")

    def owner(cmd: str) -> None:
        args = ["su", "postgres", "-s", "/bin/sh", "-c", cmd] if root else ["sh", "-c", cmd]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    port = free_port()
    owner(f"{bin_dir}/initdb -D {folder}/data -U postgres --auth=trust -E UTF8 --locale=C.UTF-8")
    owner(f"{bin_dir}/pg_ctl -D {folder}/data -l {folder}/log -w -o '-p {port} -k {folder} "
          "-c listen_addresses=127.0.0.1 -c max_connections=300' start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        owner(f"{bin_dir}/pg_ctl -D {folder}/data -m immediate -w stop")
        shutil.rmtree(folder, ignore_errors=True)


def new_database(server: str, name: str) -> str:
    """CREATE DATABASE ``name`` on ``server``; returns its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def environment(tmp: Path, url: str) -> dict[str, str]:
    """The settings every process of one run shares."""
    return {**os.environ, "KB_HOME": str(tmp / "var"), "KB_INDEX_DIR": str(tmp / "idx"),
            "KB_DATABASE_URL": url, "KB_EMBEDDING_MODEL": "none", "KB_SECRET_KEY": "bench",
            "KB_ASK_RATE_LIMIT": "1000000", "PYTHONUNBUFFERED": "1"}


def serve(env: dict[str, str], port: int, log: Path, workers: int = 1) -> subprocess.Popen:
    """``policykb serve`` in its own process, output to ``log``."""
    return subprocess.Popen(
        [sys.executable, "-c", "import sys; from kb.cli.main import main; sys.exit(main(sys.argv[1:]))",
         "serve", "--port", str(port), "--workers", str(workers)],
        env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT)


def wait_up(port: int, proc: subprocess.Popen, log: Path, *, ready_lines: int = 1,
            wait_s: float = 120) -> None:
    """Until ``ready_lines`` workers said so and the port answers; exits on failure."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        if log.read_text().count("Application startup complete") >= ready_lines:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/policies", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    raise SystemExit(f"serve did not start within {wait_s:.0f} s:\n{log.read_text()[-2000:]}")


def stop(proc: subprocess.Popen) -> None:
    """SIGINT, then wait (kill after 30 s)."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def starts(server: str, tmp: Path, times: int) -> int:
    """``serve --workers 4`` on an empty database ``times`` times; returns how many were clean."""
    clean = 0
    for i in range(times):
        env = environment(tmp / f"start{i}", new_database(server, f"start_{i}"))
        port, log = free_port(), tmp / f"start{i}.log"
        proc = serve(env, port, log, workers=WEB)
        try:
            wait_up(port, proc, log, ready_lines=WEB)
        finally:
            stop(proc)
        text = log.read_text()
        ok = "Traceback" not in text and "ERROR" not in text
        clean += ok
        print(f"  start {i + 1}: {'clean' if ok else 'ERRORS in ' + str(log)}")
    return clean


def validity_run(server: str, tmp: Path, seconds: float, every_s: int = 5) -> dict[str, int]:
    """The scheduled validity job under ``serve --workers 4`` for ``seconds``: periods seen, the
    most runs of one period, and error lines."""
    import re
    from collections import Counter

    env = environment(tmp / "validity", new_database(server, "validity"))
    env["KB_VALIDITY_EVERY_S"] = str(every_s)
    port, log = free_port(), tmp / "validity.log"
    proc = serve(env, port, log, workers=WEB)
    try:
        wait_up(port, proc, log, ready_lines=WEB)
        time.sleep(seconds)
    finally:
        stop(proc)
    text = log.read_text()
    runs = Counter(re.findall(rf"validity expiry \S+ \(period (every-{every_s}s-\d+)\)", text))
    errors = sum("ERROR" in line or "Traceback" in line for line in text.splitlines())
    return {"periods": len(runs), "expected": int(seconds // every_s),
            "most_runs": max(runs.values(), default=0), "errors": errors}


def publish_run(server: str, tmp: Path) -> list[float]:
    """Seconds from each publish to its being found, per policy and web process."""
    env = environment(tmp / "publish", new_database(server, "publish"))
    load_demo(env)
    ports, procs = [free_port() for _ in range(WEB)], []
    for i, port in enumerate(ports):
        procs.append(serve(env, port, tmp / f"web{i}.log"))
    words = [s + b for s in STEMS for b in BRANCHES][:PUBLISHERS * EACH]
    folder = tmp / "notices"
    folder.mkdir()
    for n, word in enumerate(words):
        (folder / f"{n}.txt").write_text(NOTICE.format(n=n + 500, word=word), encoding="utf-8")
    delays: list[float] = []
    lock = threading.Lock()
    try:
        for i, (port, proc) in enumerate(zip(ports, procs, strict=True)):
            wait_up(port, proc, tmp / f"web{i}.log")

        # One prober per web process, cycling through the policies it has not found yet: the
        # probes themselves must not load a 2-core machine more than a few users would.
        pending: list[dict[int, float]] = [{} for _ in ports]
        done = threading.Event()

        def probe(i: int, port: int) -> None:
            with httpx.Client(timeout=10) as client:
                while not (done.is_set() and not pending[i]):
                    with lock:
                        todo = sorted(pending[i].items())
                    for n, published in todo:
                        word = words[n]
                        try:
                            res = client.post(f"http://127.0.0.1:{port}/api/ask",
                                              json={"question": f"{word}专项扶持资金怎么申报", "k": 5})
                            found = any(word in hit["title"] for hit in res.json().get("hits", []))
                        except httpx.HTTPError:
                            found = False  # a busy machine: ask again
                        now = time.time()
                        if found or now - published > 30:
                            with lock:
                                del pending[i][n]
                                delays.append(now - published if found else float("inf"))
                    time.sleep(0.02)

        finders = [threading.Thread(target=probe, args=(i, port), daemon=True)
                   for i, port in enumerate(ports)]
        for t in finders:
            t.start()
        publishers = [subprocess.Popen(
            [sys.executable, "-c", PUBLISHER,
             *[str(folder / f"{n}.txt") for n in range(p * EACH, (p + 1) * EACH)]],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True) for p in range(PUBLISHERS)]

        def follow(proc: subprocess.Popen) -> None:
            for line in proc.stdout:
                if line.startswith("PUBLISHED"):
                    _, n, at = line.split()
                    with lock:
                        for waiting in pending:
                            waiting[int(n)] = float(at)

        followers = [threading.Thread(target=follow, args=(p,)) for p in publishers]
        for t in followers:
            t.start()
        for t in followers:
            t.join()
        for p in publishers:
            if p.wait() != 0:
                raise SystemExit("a publisher failed")
        done.set()
        for t in finders:
            t.join()
    finally:
        for proc in procs:
            stop(proc)
    return delays


def push_run(server: str, tmp: Path, total: int) -> dict[str, int]:
    """``total`` email pushes, two workers, one killed by SIGKILL a third of the way through."""
    from sqlmodel import Session, func, select

    from bench.pushdata import add_firms, publish
    from bench.receivers import SmtpReceiver
    from kb.database.db import create_schema, make_engine
    from push.delivery.models import Push, PushStatus

    url = new_database(server, "push")
    engine = make_engine(url)
    create_schema(engine)
    with SmtpReceiver() as smtp:
        add_firms(engine, total, channels=["email"], region="城关镇",
                  contact_email=lambda i: f"firm{i}@bench.test")
        publish(engine, title="基准政策（集群）", regions=["城关镇"])
        env = environment(tmp / "push", url) | {"KB_SMTP_HOST": "127.0.0.1",
                                                 "KB_SMTP_PORT": str(smtp.controller.port),
                                                 "KB_PUSH_DAILY_CAP": "50"}

        def worker(name: str) -> subprocess.Popen:
            return subprocess.Popen([sys.executable, "-m", "kb.cli", "push", "worker", "--id", name,
                                     "--poll", "0.1", "--lease", "5"], cwd=ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        a, b = worker("bench-a"), worker("bench-b")
        while len(smtp.keys) < total // 3:
            time.sleep(0.01)
        a.send_signal(signal.SIGKILL)
        a.wait()

        def pending() -> int:
            with Session(engine) as session:
                return session.exec(select(func.count()).select_from(Push).where(
                    Push.status != PushStatus.DELIVERED)).one()

        deadline = time.monotonic() + 600
        while pending() and time.monotonic() < deadline:  # b takes a's lease when it lapses
            time.sleep(0.2)
        b.send_signal(signal.SIGTERM)
        b.wait(60)
        with Session(engine) as session:
            delivered = session.exec(select(func.count()).select_from(Push).where(
                Push.status == PushStatus.DELIVERED)).one()
            pushes = session.exec(select(func.count()).select_from(Push)).one()
        received = len(smtp.keys)
        resent = smtp.duplicates
    engine.dispose()
    return {"pushes": pushes, "delivered": delivered, "received": received,
            "lost": pushes - received, "doubled": 0 if delivered == pushes else pushes - delivered,
            "resent_same_key": resent}


def main(argv: list[str] | None = None) -> int:
    """Run the three parts and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--starts", type=int, default=10, help="clean starts to try (default 10)")
    parser.add_argument("--pushes", type=int, default=3000)
    parser.add_argument("--validity-s", type=float, default=120,
                        help="how long the validity job runs under 4 workers (default 120)")
    parser.add_argument("--phases", default=",".join(PHASES),
                        help=f"which parts to run, comma-separated (default {','.join(PHASES)})")
    args = parser.parse_args(argv)
    phases = set(args.phases.split(","))
    if phases - set(PHASES):
        parser.error(f"unknown phase(s): {', '.join(sorted(phases - set(PHASES)))}")
    failed = False
    with tempfile.TemporaryDirectory() as tmp_name, postgres_cluster() as server:
        tmp = Path(tmp_name)
        if "starts" in phases:
            print(f"serve --workers {WEB} on an empty PostgreSQL database, {args.starts} times:")
            clean = starts(server, tmp, args.starts)
            print(f"  {clean}/{args.starts} clean starts")
            failed |= clean != args.starts
        if "publish" in phases:
            failed |= report_publish(server, tmp)
        if "validity" in phases:
            failed |= report_validity(server, tmp, args.validity_s)
        if "push" in phases:
            failed |= report_push(server, tmp, args.pushes)
    return 1 if failed else 0


def report_publish(server: str, tmp: Path) -> bool:
    """Run and print the publish part; True when its target is missed."""
    delays = publish_run(server, tmp)
    found = [d for d in delays if d != float("inf")]
    print(f"{PUBLISHERS} processes publishing {EACH} policies each, {WEB} web processes: "
          f"{len(found)}/{PUBLISHERS * EACH * WEB} found; publish to searchable: median "
          f"{percentile(found, 50):.3f} s, p95 {percentile(found, 95):.3f} s, max "
          f"{max(found):.3f} s (target 1 s)")
    return len(found) != len(delays) or max(found) > 1.0


def report_validity(server: str, tmp: Path, seconds: float) -> bool:
    """Run and print the validity part; True when its target is missed."""
    job = validity_run(server, tmp, seconds)
    print(f"validity job, {WEB} workers for {seconds:.0f} s (period 5 s): "
          f"{job['periods']} periods ran (about {job['expected']} expected), at most "
          f"{job['most_runs']} run(s) in one period, {job['errors']} error lines")
    return (job["most_runs"] != 1 or job["errors"] != 0
            or job["periods"] < 0.8 * job["expected"])


def report_push(server: str, tmp: Path, total: int) -> bool:
    """Run and print the push part; True when its target is missed."""
    push = push_run(server, tmp, total)
    print(f"{push['pushes']} pushes, 2 push workers, one SIGKILLed a third through: "
          f"delivered {push['delivered']}, received {push['received']} distinct keys, "
          f"lost {push['lost']}, doubled {push['doubled']} (re-sent with the same key, "
          f"dropped by the receiver: {push['resent_same_key']})")
    return push["lost"] != 0 or push["doubled"] != 0


if __name__ == "__main__":
    sys.exit(main())
