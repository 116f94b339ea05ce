"""Soak test: an hour of a busy county morning against ``policykb serve --workers 2`` on one SQLite
file, with memory per process, errors, lost writes and index lag. Exit status 1 unless the run had
no error, lost no write, and no process's RSS grew 10 % or more after the first 10 minutes.

    python bench/soak.py                       # the issue's run: 60 minutes, 2 workers, 4 askers
    python bench/soak.py --minutes 3           # a trial (growth is then measured after the half)
    python bench/soak.py --push-process        # pushes by a separate `policykb push worker`

A fresh data folder in a temporary directory (the demo knowledge base, the three staff accounts of
bench/mixed.py), a local webhook receiver (200, but 500 for one firm), ``policykb serve`` on a free
loopback port, then, paced as a busy morning rather than flat out, each interval jittered ±20 %:

- askers: each asks a question of the county set (bench/county/questions.jsonl) on its own
  keep-alive connection, then thinks 0.5–2.5 s; feedback on 1 answer in 5;
- sign-off: every 30 s a drafter drafts an FAQ and submits it, a reviewer approves it, a publisher
  publishes it (all three sign in again every 10 cycles); then the FAQ's question is asked until
  the FAQ answers it (publish to answered);
- publishes: every 90 s ``policykb ingest`` of a new notice (published, pushed to every firm);
  then it is asked for until it is found;
- firm imports: every 120 s ``policykb firms import`` of 3 new firms, 2 of them on webhooks;
- the validity job: every 180 s a policy whose 有效期至 was yesterday is ingested; the web workers'
  own job (every 60 s here: ``KB_VALIDITY_EVERY_S``) or ``policykb validity expire``, run 0–70 s
  later, makes it 失效, whichever comes first;
- push delivery: by a thread of each web worker (``KB_PUSH_WORKER``, the default of ``serve``), or
  with ``--push-process`` by a separate ``policykb push worker``. The failing firm's webhook is
  suspended after 5 failures; every 300 s ``policykb push enable`` lifts the suspension and its
  pushes fail again. Its failures are the product's business (retries, dead letters), not errors
  of the run. Unlike production: ``KB_PUSH_BACKOFF_S=5`` (retries within minutes) and a daily cap
  no notice reaches;
- monitoring: ``/readyz`` every 2 s on a new connection (either worker; its index lag),
  ``/metrics`` every 15 s as Prometheus scrapes (the push queue), the RSS of every process every
  10 s (VmRSS of the serve process, each uvicorn worker, multiprocessing's resource tracker and any
  push worker, found through /proc).

Every minute one line: work done, errors by kind, RSS per process in MB, index lag, the push
queue. When the time is up the office's work in hand finishes, the askers ask a last question
together, and the server gets SIGINT at once (a clean shutdown writes the question log's last
batches); then the database is read directly for lost writes: every question_id and feedback_id a
client was given, every FAQ published through the sign-off, every ingested notice and lapsed
policy (published; the lapsed ones 失效), every imported firm, and every webhook push marked
delivered that the receiver never acknowledged.

Errors: any request answered otherwise than expected or not at all, any CLI run failing, a
``/readyz`` 503, an FAQ or notice not found 30 s after its publication, an ERROR line (or a
traceback) in the server's or push worker's log, a worker process replaced, an unclean shutdown.
RSS growth: each process's RSS at the end against its RSS at minute 10 (at half time for a run
under 20 minutes); the peak after that minute is shown too. The data folder and logs are kept
when the run fails (or with ``--keep``).
"""

import argparse
import csv
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

from bench.api import QUESTIONS, free_port, percentile  # noqa: E402
from bench.mixed import NOTICE, STAFF, Tally, a_policy_of, environment, prepare, sign_in  # noqa: E402

COUNTY_QUESTIONS = ROOT / "bench" / "county" / "questions.jsonl"
SIGN_OFF_S, INGEST_S, FIRMS_S, VALIDITY_S, ENABLE_S = 30, 90, 120, 180, 300
VALIDITY_EVERY_S = 60  # the web workers' own validity job
READY_S, METRICS_S, RSS_S = 2, 15, 10
FIRMS_PER_IMPORT = 3
SEARCHABLE_WITHIN_S = 30
GROWTH_LIMIT = 10.0  # % of RSS after the first 10 minutes
KINDS = ("ask", "feedback", "sign-in", "sign-off", "ingest", "probe", "firms", "lapsed",
         "validity", "enable", "readyz", "metrics")
EXPIRING = {"id": "soak-expiring-{n}", "title": "金湖县浸泡测试第{n}号临时措施",
            "doc_number": "金政办发〔2026〕{m}号", "department": "县科技局", "level": "县",
            "issue_date": "2026-01-05", "effective_from": "2026-01-05", "validity": "有效",
            "themes": ["科技创新"],
            "text": "一、本措施用于浸泡测试，编号{n}，有效期届满后自动失效。\n"
                    "二、第{n}号临时措施由县科技局负责解释，咨询电话0517-86880000。"}


# --- What the product said it stored ------------------------------------------------------------


@dataclass
class Written:
    """Everything the product acknowledged, to be found in the database at the end."""

    questions: set[int] = field(default_factory=set)
    feedback: dict[int, int] = field(default_factory=dict)  # feedback_id: question_id
    faq: dict[int, str] = field(default_factory=dict)  # revision id: the FAQ's question
    notices: set[str] = field(default_factory=set)  # 文号
    expiring: set[str] = field(default_factory=set)  # 文号
    firms: set[str] = field(default_factory=set)  # 统一社会信用代码
    searchable: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    expired_by_cli: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


# --- The webhook receiver -----------------------------------------------------------------------


class Receiver:
    """A firm's webhook endpoint on loopback: 200 under /hooks/ok/, 500 under /hooks/fail/."""

    def __init__(self) -> None:
        self.ok: Counter[str] = Counter()  # idempotency key: times acknowledged
        self.failed = 0
        self.strange: list[str] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = self.headers.get("X-PolicyKB-Delivery") or ""
                failing = self.path.startswith("/hooks/fail/")
                with receiver.lock:
                    if not key or not self.path.startswith(("/hooks/ok/", "/hooks/fail/")):
                        receiver.strange.append(f"{self.path} key={key!r}")
                    elif failing:
                        receiver.failed += 1
                    else:
                        receiver.ok[key] += 1
                body = b'{"error": "soak: receiver down"}' if failing else b'{"ok": true}'
                self.send_response(500 if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:  # noqa: ANN002
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop listening."""
        self.server.shutdown()
        self.server.server_close()


# --- Processes and their memory -----------------------------------------------------------------


def rss_mb(pid: int) -> float | None:
    """VmRSS of ``pid`` in MB, None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (/proc/PID/task/*/children, else every /proc/*/stat)."""
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(x) for x in (task / "children").read_text().split()]
        return found
    except OSError:
        pass
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def cmdline(pid: int) -> str:
    """The command line of ``pid`` ('' when it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Processes:
    """The long-lived processes of the run, named once: serve, worker1.., tracker, push."""

    def __init__(self, serve: subprocess.Popen, push: subprocess.Popen | None) -> None:
        self.serve, self.push = serve, push
        self.names: dict[int, str] = {serve.pid: "serve"}
        if push is not None:
            self.names[push.pid] = "push"
        self.workers = 0
        self.expected = 0  # worker processes at start, set once they are all up
        self.replaced: list[str] = []
        self.lock = threading.Lock()

    def current(self) -> dict[str, int]:
        """Name: pid of every process alive now; a worker seen for the first time after the
        first ones is noted as a replacement."""
        with self.lock:
            return self._current()

    def _current(self) -> dict[str, int]:
        out = {"serve": self.serve.pid} if self.serve.poll() is None else {}
        for pid in children(self.serve.pid):
            if pid not in self.names:
                line = cmdline(pid)
                if "resource_tracker" in line:
                    self.names[pid] = "tracker"
                elif "spawn_main" in line or "multiprocessing" in line:
                    self.workers += 1
                    self.names[pid] = f"worker{self.workers}"
                    if self.expected and self.workers > self.expected:
                        self.replaced.append(f"a new worker process {pid} ({self.names[pid]})")
                else:
                    self.names[pid] = f"child-{pid}"
            out[self.names[pid]] = pid
        if self.push is not None and self.push.poll() is None:
            out["push"] = self.push.pid
        return out


@dataclass
class Sample:
    """RSS in MB of every process at ``t`` seconds into the run."""

    t: float
    rss: dict[str, float]


# --- Monitoring ---------------------------------------------------------------------------------


class Monitor:
    """RSS, readiness (index lag), metrics (push queue) and the server's log, sampled in a
    thread."""

    def __init__(self, base: str, procs: Processes, logs: list[Path], tally: Tally,
                 started: float) -> None:
        self.base, self.procs, self.tally, self.started = base, procs, tally, started
        self.logs = {path: 0 for path in logs}
        self.samples: list[Sample] = []
        self.lag_max = self.gap_max = 0.0  # over the run
        self.minute_lag = self.minute_gap = 0.0  # since the last minute line
        self.behind_metric_max = 0.0
        self.push: dict[str, float] = {}
        self.log_errors: list[str] = []
        self.log_warnings: list[str] = []
        self.web_expired = 0  # policies the web workers' validity job expired
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        """Readiness every READY_S, metrics every METRICS_S, RSS every RSS_S."""
        next_metrics = next_rss = 0.0
        with httpx.Client(base_url=self.base, timeout=30) as scraper:
            while not self.stop.is_set():
                now = time.monotonic()
                if now >= next_rss:
                    self.sample_rss()
                    next_rss = now + RSS_S
                if now >= next_metrics:
                    self.scrape(scraper)
                    next_metrics = now + METRICS_S
                self.ready()
                self.stop.wait(READY_S)

    def sample_rss(self) -> Sample:
        """One RSS sample of every process."""
        rss = {}
        for name, pid in self.procs.current().items():
            mb = rss_mb(pid)
            if mb is not None:
                rss[name] = mb
        sample = Sample(time.monotonic() - self.started, rss)
        with self.lock:
            self.samples.append(sample)
        with self.procs.lock:
            replaced, self.procs.replaced = self.procs.replaced, []
        for what in replaced:
            self.tally.add("workers", time.perf_counter(), what)
        return sample

    def ready(self) -> None:
        """``/readyz`` on a new connection (so either worker may answer): its index lag."""
        t0 = time.perf_counter()
        try:
            res = httpx.get(f"{self.base}/readyz", timeout=30)
            index = res.json()["checks"]["index"]
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            self.tally.add("readyz", t0, repr(exc))
            return
        lag = float(index.get("behind_s") or 0)
        gap = float(index.get("database_version", 0)) - float(index.get("version", 0))
        with self.lock:
            self.lag_max, self.gap_max = max(self.lag_max, lag), max(self.gap_max, gap)
            self.minute_lag, self.minute_gap = max(self.minute_lag, lag), max(self.minute_gap, gap)
        self.tally.add("readyz", t0, None if res.status_code == 200
                       else f"{res.status_code} {res.text[:300]}")

    def scrape(self, client: httpx.Client) -> None:
        """``/metrics`` as Prometheus would: the push queue and this worker's index lag."""
        t0 = time.perf_counter()
        try:
            res = client.get("/metrics")
        except httpx.HTTPError as exc:
            self.tally.add("metrics", t0, repr(exc))
            return
        if res.status_code != 200:
            self.tally.add("metrics", t0, f"{res.status_code} {res.text[:200]}")
            return
        push: dict[str, float] = defaultdict(float)
        for line in res.text.splitlines():
            if line.startswith("policykb_push_messages{"):
                status = re.search(r'status="([^"]*)"', line)
                push[status.group(1) if status else "?"] += float(line.rsplit(" ", 1)[1])
            elif line.startswith("policykb_index_behind_seconds "):
                with self.lock:
                    self.behind_metric_max = max(self.behind_metric_max,
                                                 float(line.rsplit(" ", 1)[1]))
        with self.lock:
            self.push = dict(push)
        self.tally.add("metrics", t0)

    def read_logs(self) -> None:
        """The new lines of the server's (and push worker's) log: errors, warnings, expiries."""
        for path, offset in self.logs.items():
            try:
                with path.open("rb") as fh:
                    fh.seek(offset)
                    data = fh.read()
            except OSError:
                continue
            end = data.rfind(b"\n") + 1  # whole lines only
            self.logs[path] = offset + end
            for raw in data[:end].decode("utf-8", "replace").splitlines():
                self._line(path.name, raw)

    def _line(self, source: str, raw: str) -> None:
        try:
            entry = json.loads(raw)
            level, message = entry.get("level", ""), entry.get("message", "")
            text = message + ("\n" + entry["error"] if entry.get("error") else "")
        except (ValueError, AttributeError):  # a line uvicorn or Python printed itself
            level = "ERROR" if ("Traceback" in raw or "Error" in raw) else ""
            message = text = raw
        found = re.search(r"validity expiry \S+.*?: (\d+) policies now 失效", message)
        if found:
            self.web_expired += int(found.group(1))
        if level in ("ERROR", "CRITICAL"):
            self.log_errors.append(f"{source}: {text[:2000]}")
        elif level == "WARNING":
            self.log_warnings.append(f"{source}: {text[:500]}")

    def minute(self) -> tuple[float, float]:
        """The largest index lag and version gap seen since the last call."""
        with self.lock:
            out = (self.minute_lag, self.minute_gap)
            self.minute_lag = self.minute_gap = 0.0
        return out


# --- The load -----------------------------------------------------------------------------------


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``policykb ARGS`` in a process of its own."""
    return subprocess.run([sys.executable, "-m", "kb.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True)


def failure(done: subprocess.CompletedProcess) -> str | None:
    """None for exit status 0, else the status and the end of what it printed."""
    if done.returncode == 0:
        return None
    return f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[-400:]}"


def paced(stop: threading.Event, period: float, first: float, rng: random.Random,
          work) -> None:  # noqa: ANN001
    """Call ``work()`` after ``first`` s, then every ``period`` s (±20 %), until ``stop``."""
    due = time.monotonic() + first
    while not stop.wait(max(0.0, due - time.monotonic())):
        work()
        due = max(time.monotonic(), due + period * rng.uniform(0.8, 1.2))


def ask(client: httpx.Client, question: str, channel: str, tally: Tally,
        written: Written) -> int | None:
    """POST /api/ask; the question_id it was given, None (an error counted) when it failed."""
    t0 = time.perf_counter()
    try:
        res = client.post("/api/ask", json={"question": question, "channel": channel})
        qid = res.json().get("question_id") if res.status_code == 200 else None
        if qid is None:
            raise RuntimeError(f"{res.status_code} {res.text[:300]}")
    except (httpx.HTTPError, ValueError, RuntimeError) as exc:
        tally.add("ask", t0, repr(exc))
        return None
    with written.lock:
        written.questions.add(qid)
    tally.add("ask", t0)
    return qid


def findable(base: str, question: str, found, what: str, tally: Tally,  # noqa: ANN001
             written: Written) -> None:
    """Ask ``question`` on new connections (either worker may answer) until ``found(reply)``;
    the seconds it took go to ``written.searchable[what]``, an error after 30 s."""
    began, t0, last = time.monotonic(), time.perf_counter(), ""
    while time.monotonic() - began < SEARCHABLE_WITHIN_S:
        try:
            res = httpx.post(f"{base}/api/ask", json={"question": question, "k": 5}, timeout=30)
            if res.status_code == 200:
                reply = res.json()
                with written.lock:
                    written.questions.add(reply["question_id"])
                if found(reply):
                    with written.lock:
                        written.searchable[what].append(time.monotonic() - began)
                    tally.add("probe", t0)
                    return
                last = ""
            else:
                last = f": {res.status_code} {res.text[:300]}"
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            last = f": {exc!r}"
        time.sleep(0.1)
    tally.add("probe", t0, f"{what} not found {SEARCHABLE_WITHIN_S} s after its publication "
                          f"({question}){last}")


def asker(base: str, stop: threading.Event, tally: Tally, written: Written, questions: list[str],
          rng: random.Random, last: threading.Barrier) -> None:
    """A citizen asking, reading, thinking 0.5–2.5 s; feedback on 1 answer in 5. When ``stop``
    is set, one last question together with the other askers (the shutdown follows at once)."""
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            qid = ask(client, rng.choice(questions), rng.choice(("widget", "api")), tally, written)
            if qid is not None and rng.random() < 0.2:
                helpful = rng.random() < 0.7
                body = {"question_id": qid, "helpful": helpful,
                        "reason": None if helpful else rng.choice(
                            (None, "没有说清楚申报材料", "想知道具体补贴标准"))}
                t0 = time.perf_counter()
                try:
                    res = client.post("/api/feedback", json=body)
                    fid = res.json().get("feedback_id") if res.status_code == 200 else None
                    if fid is None:
                        raise RuntimeError(f"{res.status_code} {res.text[:300]}")
                    with written.lock:
                        written.feedback[fid] = qid
                    tally.add("feedback", t0)
                except (httpx.HTTPError, ValueError, RuntimeError) as exc:
                    tally.add("feedback", t0, f"question {qid}: {exc!r}")
            stop.wait(rng.uniform(0.5, 2.5))
        try:
            last.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass  # an asker is gone (or the run was interrupted): ask anyway
        ask(client, rng.choice(questions), "widget", tally, written)


class SignOffs:
    """A drafter, a reviewer and a publisher of 县科技局, one FAQ through all three per call."""

    def __init__(self, base: str, tally: Tally, written: Written) -> None:
        self.base, self.tally, self.written = base, tally, written
        self.policy_id = a_policy_of(base)
        self.people: dict[str, tuple[httpx.Client, str]] = {}
        self.cycles = 0

    def sign_in(self) -> bool:
        """All three sign in afresh (their old sessions' clients are closed)."""
        self.close()
        for username, role in STAFF.items():
            t0 = time.perf_counter()
            try:
                self.people[role] = sign_in(self.base, username)
                self.tally.add("sign-in", t0)
            except (httpx.HTTPError, RuntimeError, AttributeError) as exc:
                self.tally.add("sign-in", t0, f"{username}: {exc!r}")
                return False
        return True

    def cycle(self) -> None:
        """Draft, submit, approve, publish one FAQ."""
        if self.cycles % 10 == 0 and not self.sign_in():
            self.cycles += 1
            return
        n = self.cycles
        self.cycles += 1
        question = f"浸泡测试第{n}个问题的材料怎么提交"
        t0 = time.perf_counter()
        try:
            res = self._post("drafter", f"/admin/content/new/faq?policy_id={self.policy_id}",
                             question=question,
                             answer=f"浸泡测试第{n}个问题，请携带营业执照复印件到县政务服务中心一楼"
                                    "科技局窗口提交，5个工作日办结。")
            found = re.search(r"/admin/revisions/(\d+)", res.headers.get("location", ""))
            if res.status_code != 303 or not found:
                raise RuntimeError(f"create: {res.status_code} {res.text[:300]}")
            rid = int(found.group(1))
            for role, action in (("drafter", "submit"), ("reviewer", "approve"),
                                 ("publisher", "publish")):
                res = self._post(role, f"/admin/revisions/{rid}/{action}")
                if res.status_code != 303:
                    raise RuntimeError(f"{action} {rid}: {res.status_code} {res.text[:300]}")
            with self.written.lock:
                self.written.faq[rid] = question
            self.tally.add("sign-off", t0)
        except (httpx.HTTPError, RuntimeError) as exc:
            self.tally.add("sign-off", t0, repr(exc))
            return
        findable(self.base, question, lambda r: (r["answer"] or {}).get("question") == question,
                 "FAQ", self.tally, self.written)

    def _post(self, role: str, path: str, **data: str) -> httpx.Response:
        client, csrf = self.people[role]
        return client.post(path, data={"csrf_token": csrf, **data})

    def close(self) -> None:
        """Close the three browsers."""
        for client, _ in self.people.values():
            client.close()
        self.people.clear()


class Office:
    """The county office's command-line work: notices, firms, the validity job, push enable."""

    def __init__(self, base: str, env: dict[str, str], folder: Path, tally: Tally,
                 written: Written, receiver: Receiver, failing: str, stop: threading.Event,
                 rng: random.Random) -> None:
        self.base, self.env, self.folder, self.tally = base, env, folder, tally
        self.written, self.receiver, self.failing = written, receiver, failing
        self.stop, self.rng = stop, rng
        self.notices = self.imports = self.expiring = 0
        folder.mkdir(parents=True, exist_ok=True)

    def ingest(self) -> None:
        """``policykb ingest`` one new notice; then ask for it until it is found."""
        n = 1000 + self.notices
        self.notices += 1
        path = self.folder / f"notice-{n}.txt"
        path.write_text(NOTICE.format(n=n), encoding="utf-8")
        t0 = time.perf_counter()
        error = failure(cli(self.env, "ingest", str(path)))
        self.tally.add("ingest", t0, error)
        if error is None:
            with self.written.lock:
                self.written.notices.add(f"金政办发〔2026〕{n}号")
            findable(self.base, f"压力测试第{n}号事项的办理时限是多久",
                     lambda r: any(f"第{n}号事项" in hit["title"] for hit in r["hits"]),
                     "notice", self.tally, self.written)

    def firms(self, *, first: bool = False) -> None:
        """``policykb firms import`` of new firms: 2 of 3 on webhooks, and first the failing one."""
        from push.matching.synthetic import make_uscc

        rows = []
        for k in range(FIRMS_PER_IMPORT):
            i = 7000 + self.imports * FIRMS_PER_IMPORT + k
            uscc = make_uscc(i)
            hook = "fail" if uscc == self.failing else "ok"
            webhook = k < 2 or uscc == self.failing
            url = f"{self.receiver.url}/hooks/{hook}/{uscc}" if webhook else ""
            rows.append({"uscc": uscc, "name": f"金湖浸泡测试{i}号企业有限公司",
                         "industry_code": "3911", "employees": 40 + k, "revenue": 900 + 10 * k,
                         "region": "城关镇", "qualifications": "科技型中小企业",
                         "webhook_url": url,
                         "channels": "webhook" if webhook else "inbox"})
        self.imports += 1
        path = self.folder / f"firms-{self.imports}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            out = csv.DictWriter(fh, fieldnames=list(rows[0]))
            out.writeheader()
            out.writerows(rows)
        t0 = time.perf_counter()
        error = failure(cli(self.env, "firms", "import", str(path)))
        if first and error is not None:
            raise SystemExit(f"the first firm import failed: {error}")
        self.tally.add("firms", t0, error)
        if error is None:
            with self.written.lock:
                self.written.firms.update(r["uscc"] for r in rows)

    def validity(self) -> None:
        """A policy that lapsed yesterday; the web workers' job or ``validity expire`` 0–70 s
        later makes it 失效 (the command runs at once when the run is over)."""
        from kb.clock import county_today

        n = self.expiring = self.expiring + 1
        doc = EXPIRING["doc_number"].format(m=9000 + n)
        record = {k: (v.format(n=n, m=9000 + n) if isinstance(v, str) else v)
                  for k, v in EXPIRING.items()}
        record["effective_to"] = (county_today() - timedelta(days=1)).isoformat()
        path = self.folder / f"expiring-{n}.jsonl"
        path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
        t0 = time.perf_counter()
        error = failure(cli(self.env, "ingest", str(path)))
        self.tally.add("lapsed", t0, error)
        if error is not None:
            return
        with self.written.lock:
            self.written.expiring.add(doc)
        self.stop.wait(self.rng.uniform(0, VALIDITY_EVERY_S + 10))
        t0 = time.perf_counter()
        done = cli(self.env, "validity", "expire")
        self.tally.add("validity", t0, failure(done))
        found = re.search(r"(\d+) 项政策已失效", done.stdout)
        if found:
            with self.written.lock:
                self.written.expired_by_cli += int(found.group(1))

    def enable(self) -> None:
        """``policykb push enable`` for the failing firm's webhook: its held pushes fail again."""
        t0 = time.perf_counter()
        self.tally.add("enable", t0, failure(cli(self.env, "push", "enable", "--firm",
                                                 self.failing, "--channel", "webhook")))


# --- Server -------------------------------------------------------------------------------------


def start(env: dict[str, str], port: int, workers: int, log: Path, push_process: bool,
          push_log: Path, procs: list[subprocess.Popen],
          ) -> tuple[subprocess.Popen, subprocess.Popen | None]:
    """``policykb serve`` (and ``policykb push worker``), answering; logs to files; each process
    started is added to ``procs``."""
    args = ["serve", "--port", str(port), "--workers", str(workers)]
    if push_process:
        args.append("--no-push-worker")
    with log.open("wb") as out:
        serve = subprocess.Popen([sys.executable, "-m", "kb.cli", *args], env=env, cwd=ROOT,
                                 stdout=out, stderr=subprocess.STDOUT)
    procs.append(serve)
    push = None
    if push_process:
        with push_log.open("wb") as out:
            push = subprocess.Popen([sys.executable, "-m", "kb.cli", "push", "worker", "--id",
                                     "soak-push"], env=env, cwd=ROOT, stdout=out,
                                    stderr=subprocess.STDOUT)
        procs.append(push)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if serve.poll() is not None:
            raise SystemExit(f"policykb serve exited with status {serve.returncode}; see {log}")
        try:
            if httpx.post(f"http://127.0.0.1:{port}/api/ask", json={"question": "企业补贴"},
                          timeout=10).status_code == 200:
                return serve, push
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("policykb serve did not start within 120 s")


def shutdown(proc: subprocess.Popen, sig: int, what: str, tally: Tally) -> None:
    """Signal ``proc`` and wait for a clean exit (60 s), else kill it and count an error."""
    t0 = time.perf_counter()
    proc.send_signal(sig)
    try:
        code = proc.wait(timeout=60)
        tally.add("shutdown", t0, None if code == 0 else f"{what} exited with status {code}")
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        tally.add("shutdown", t0, f"{what} did not stop within 60 s of signal {sig}; killed")


# --- Lost writes --------------------------------------------------------------------------------


def lost_writes(db: Path, written: Written, receiver: Receiver) -> dict[str, tuple[int, list[str]]]:
    """Per kind: how many acknowledged writes there were, and which are missing (or wrong)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out: dict[str, tuple[int, list[str]]] = {}
        ids = {r[0] for r in con.execute("SELECT id FROM questionlog")}
        out["questions"] = (len(written.questions),
                            [f"question {q}" for q in sorted(written.questions - ids)])
        stored = dict(con.execute("SELECT id, question_id FROM feedback"))
        out["feedback"] = (len(written.feedback), [
            f"feedback {f} (question {q}): stored for question {stored.get(f)}"
            for f, q in sorted(written.feedback.items()) if stored.get(f) != q])
        missing = []
        for rid, question in sorted(written.faq.items()):
            row = con.execute("SELECT r.status, f.status, f.question FROM revision r LEFT JOIN "
                              "faqitem f ON f.id = r.record_id WHERE r.id = ?", (rid,)).fetchone()
            if row is None or row[0] != "PUBLISHED" or row[1] != "PUBLISHED" or row[2] != question:
                missing.append(f"revision {rid} ({question}): {row}")
        out["faq"] = (len(written.faq), missing)
        policies = {doc: (status, validity) for doc, status, validity in con.execute(
            "SELECT doc_number, status, validity FROM policy")}
        out["notices"] = (len(written.notices), [
            f"{doc}: {policies.get(doc)}" for doc in sorted(written.notices)
            if policies.get(doc, ("",))[0] != "PUBLISHED"])
        out["expiring"] = (len(written.expiring), [
            f"{doc}: {policies.get(doc)}" for doc in sorted(written.expiring)
            if policies.get(doc) != ("PUBLISHED", "EXPIRED")])
        firms = {r[0] for r in con.execute("SELECT uscc FROM firm")}
        out["firms"] = (len(written.firms), sorted(written.firms - firms))
        delivered = {r[0] for r in con.execute(
            "SELECT key FROM push WHERE channel = 'webhook' AND status = 'DELIVERED'")}
        out["webhook pushes"] = (len(delivered), [f"delivered, never received: {k}"
                                                  for k in sorted(delivered - set(receiver.ok))])
        return out
    finally:
        con.close()


def push_outcome(db: Path, failing: str) -> tuple[dict[str, int], dict[str, int]]:
    """Pushes by status: all of them, and the failing firm's."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        every = dict(con.execute("SELECT status, count(*) FROM push GROUP BY status"))
        theirs = dict(con.execute("SELECT p.status, count(*) FROM push p JOIN firm f ON "
                                  "f.id = p.firm_id WHERE f.uscc = ? GROUP BY p.status",
                                  (failing,)))
        return every, theirs
    finally:
        con.close()


# --- Report -------------------------------------------------------------------------------------


def errors_line(tally: Tally, monitor: Monitor) -> str:
    """"errors N (kind n, ...)", server log errors included."""
    with tally.lock:
        kinds = {k: len(v) for k, v in tally.failed.items() if v}
    if monitor.log_errors:
        kinds["server log"] = len(monitor.log_errors)
    total = sum(kinds.values())
    return f"errors {total}" + (f" ({', '.join(f'{k} {n}' for k, n in kinds.items())})"
                                if total else "")


def minute_line(minute: int, minutes: float, tally: Tally, monitor: Monitor,
                sample: Sample) -> str:
    """The line printed every minute."""
    with tally.lock:
        done = " ".join(f"{k} {tally.ok.get(k, 0)}" for k in KINDS[:-2] if k in tally.ok
                        or k in ("ask", "feedback", "sign-off"))
    lag, gap = monitor.minute()
    rss = ", ".join(f"{name} {mb:.0f}" for name, mb in sorted(sample.rss.items()))
    push = monitor.push
    queue = " ".join(f"{k} {push[k]:.0f}" for k in ("delivered", "pending", "held", "dead")
                     if k in push)
    return (f"[{minute:>3}/{minutes:g} min] {done} | {errors_line(tally, monitor)} | "
            f"RSS MB {rss} | index lag {lag:.1f} s, versions behind {gap:.0f} | push {queue}")


def growth(samples: list[Sample], at: float) -> tuple[Sample, Sample, dict[str, float]]:
    """The sample at ``at`` s (the first at or after it), the last one, and the peak per process."""
    base = next((s for s in samples if s.t >= at), samples[-1])
    peak: dict[str, float] = {}
    for s in samples:
        if s.t >= base.t:
            for name, mb in s.rss.items():
                peak[name] = max(peak.get(name, 0.0), mb)
    return base, samples[-1], peak


def summary(args: argparse.Namespace, tally: Tally, monitor: Monitor, written: Written,
            lost: dict[str, tuple[int, list[str]]], pushes: tuple[dict, dict],
            receiver: Receiver, baseline_s: float, seconds: float) -> tuple[str, bool]:
    """The closing report, and whether the run passed."""
    where = "a separate policykb push worker" if args.push_process else "each web worker's thread"
    lines = ["", f"soak: {seconds / 60:.1f} min, policykb serve --workers {args.workers} "
             f"(pushes by {where}), {args.askers} askers, SQLite",
             f"  {'kind':<10}{'ok':>7}{'failed':>8}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}"]
    with tally.lock:
        for kind in sorted(set(tally.ok) | set(tally.failed), key=lambda k: (
                KINDS.index(k) if k in KINDS else len(KINDS), k)):
            ms = tally.latency_ms.get(kind) or [0.0]
            lines.append(f"  {kind:<10}{tally.ok.get(kind, 0):>7}"
                         f"{len(tally.failed.get(kind, [])):>8}{sorted(ms)[len(ms) // 2]:>11.0f}"
                         f"{percentile(ms, 95):>9.0f}{max(ms):>9.0f}")
        failures = [(k, e) for k, errs in tally.failed.items() for e in errs]
    errors = len(failures) + len(monitor.log_errors)
    lines.append(f"{errors_line(tally, monitor)}")
    for kind, error in failures[:8]:
        lines.append(f"  {kind}: {error}")
    for line in monitor.log_errors[:5]:
        lines.append(f"  server log: {line}")
    lines.append(f"server log: {len(monitor.log_errors)} error lines, "
                 f"{len(monitor.log_warnings)} warning lines")
    for line in monitor.log_warnings[:3]:
        lines.append(f"  warning: {line}")
    lost_total = sum(len(m) for _, m in lost.values())
    lines.append(f"lost writes: {lost_total} (" + ", ".join(
        f"{kind} {len(m)}/{n}" for kind, (n, m) in lost.items()) + ")")
    for kind, (_, missing) in lost.items():
        for item in missing[:5]:
            lines.append(f"  {kind}: {item}")
    lines.append(f"validity: {len(written.expiring)} lapsed policies ingested; made 失效 by the "
                 f"web workers' job {monitor.web_expired}, by `policykb validity expire` "
                 f"{written.expired_by_cli}")
    every, theirs = pushes
    lines.append(f"push: {', '.join(f'{k.lower()} {v}' for k, v in sorted(every.items()))}; "
                 f"receiver acknowledged {len(receiver.ok)} keys "
                 f"({sum(receiver.ok.values()) - len(receiver.ok)} repeats), answered 500 "
                 f"{receiver.failed} times; the failing firm's pushes: "
                 f"{', '.join(f'{k.lower()} {v}' for k, v in sorted(theirs.items())) or 'none'}")
    if receiver.strange:
        lines.append(f"  receiver got unexpected requests: {receiver.strange[:3]}")
    lines.append(f"index lag: /readyz behind_s max {monitor.lag_max:.1f} s, versions behind max "
                 f"{monitor.gap_max:.0f}; /metrics policykb_index_behind_seconds max "
                 f"{monitor.behind_metric_max:.1f} s")
    for what, since in (("FAQ", "the publish request's answer"),
                        ("notice", "the end of `policykb ingest`")):
        took = written.searchable.get(what) or [0.0]
        lines.append(f"  publish to answered, {what} (from {since}): "
                     f"{len(written.searchable.get(what, []))} found, median "
                     f"{sorted(took)[len(took) // 2]:.2f} s, max {max(took):.2f} s")
    base, end, peak = growth(monitor.samples, baseline_s)
    after = ("the first 10 minutes" if baseline_s == 600
             else f"the first half ({baseline_s / 60:.1f} min; a run under 20 minutes)")
    lines.append(f"RSS (MB) after {after}:")
    lines.append(f"  {'process':<10}{'at ' + format(base.t / 60, '.1f') + ' min':>13}"
                 f"{'end':>9}{'peak':>9}{'growth':>9}")
    grown = []
    for name in sorted(set(base.rss) | set(end.rss)):
        if name not in base.rss or name not in end.rss:
            lines.append(f"  {name:<10} not alive throughout (at {base.rss.get(name)}, "
                         f"end {end.rss.get(name)})")
            grown.append(f"{name} not alive throughout")
            continue
        pct = (end.rss[name] - base.rss[name]) / base.rss[name] * 100
        lines.append(f"  {name:<10}{base.rss[name]:>13.1f}{end.rss[name]:>9.1f}"
                     f"{peak[name]:>9.1f}{pct:>+8.1f}%")
        if pct >= GROWTH_LIMIT:
            grown.append(f"{name} {pct:+.1f}%")
    passed = errors == 0 and lost_total == 0 and not grown
    rss = (f"under {GROWTH_LIMIT:g}% for every process" if not grown
           else f"{GROWTH_LIMIT:g}% or more: {', '.join(grown)}")
    lines.append(f"{'PASS' if passed else 'FAIL'}: errors {errors} (target 0), lost writes "
                 f"{lost_total} (target 0), RSS growth after {after.split(' (')[0]} {rss}")
    return "\n".join(lines), passed


# --- Main ---------------------------------------------------------------------------------------


def county_questions() -> list[str]:
    """The county set's questions (bench/county), else bench/api.py's twenty."""
    if COUNTY_QUESTIONS.exists():
        with COUNTY_QUESTIONS.open(encoding="utf-8") as fh:
            return [json.loads(line)["query"] for line in fh if line.strip()]
    return list(QUESTIONS)


def kill(proc: subprocess.Popen | None) -> None:
    """SIGKILL a process still running, and its children (uvicorn's workers) by their ids."""
    if proc is None or proc.poll() is not None:
        return
    left = children(proc.pid)
    proc.kill()
    proc.wait()
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def main(argv: list[str] | None = None) -> int:
    """Prepare, serve, load for the given minutes, shut down, check, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--askers", type=int, default=4)
    parser.add_argument("--push-process", action="store_true",
                        help="serve --no-push-worker and a separate `policykb push worker`")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="policykb-soak-"))
    receiver = Receiver()
    procs: list[subprocess.Popen] = []
    passed = False
    try:
        passed = run(args, tmp, receiver, procs)
    finally:
        for proc in procs:
            kill(proc)
        receiver.close()
        if args.keep or not passed:
            print(f"data folder and logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if passed else 1


def run(args: argparse.Namespace, tmp: Path, receiver: Receiver,
        procs: list[subprocess.Popen]) -> bool:
    """The run; the processes it starts go into ``procs`` (killed by the caller if still up).
    Returns whether it passed."""
    from push.matching.synthetic import make_uscc

    seconds = args.minutes * 60
    baseline_s = 600.0 if args.minutes >= 20 else seconds / 2
    rng = random.Random(args.seed)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = environment(tmp) | {
        "KB_WEBHOOK_ALLOW_LOOPBACK": "1", "KB_PUBLIC_URL": base, "KB_LOG_FORMAT": "json",
        "KB_VALIDITY_EVERY_S": str(VALIDITY_EVERY_S),
        "KB_PUSH_BACKOFF_S": "5",  # retries of the failing webhook within minutes, not hours
        "KB_PUSH_DAILY_CAP": "100000"}  # every notice reaches every firm (no deferral to tomorrow)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    failing = make_uscc(7000)  # the first firm of the first import
    tally, written = Tally(), Written()
    stop, stop_askers = threading.Event(), threading.Event()  # the office's work, the askers
    last = threading.Barrier(args.askers)
    office = Office(base, env, tmp / "files", tally, written, receiver, failing, stop,
                    random.Random(rng.random()))
    print(f"soak: preparing {tmp} (demo knowledge base, staff, first firms)", flush=True)
    prepare(env)
    office.firms(first=True)
    log, push_log = tmp / "serve.log", tmp / "push.log"
    serve, push = start(env, port, args.workers, log, args.push_process, push_log, procs)
    processes = Processes(serve, push)
    deadline = time.monotonic() + 30
    while sum(n.startswith("worker") for n in processes.current()) < args.workers:
        if time.monotonic() > deadline:
            raise SystemExit(f"fewer than {args.workers} worker processes after 30 s")
        time.sleep(0.5)
    processes.expected = args.workers
    started = time.monotonic()
    monitor = Monitor(base, processes, [log] + ([push_log] if push else []), tally, started)
    print(f"soak: {base}, {args.minutes:g} min; processes "
          f"{', '.join(f'{n} {p}' for n, p in processes.current().items())}; webhook receiver "
          f"{receiver.url} (500 for firm {failing})", flush=True)
    sign_offs = SignOffs(base, tally, written)
    questions = county_questions()
    askers = [threading.Thread(target=asker, name=f"asker{i}", args=(
        base, stop_askers, tally, written, questions, random.Random(rng.random()), last))
        for i in range(args.askers)]
    threads = [threading.Thread(target=paced, name=name, args=(
        stop, period, first, random.Random(rng.random()), work))
        for name, period, first, work in (
            ("sign-off", SIGN_OFF_S, 5, sign_offs.cycle), ("ingest", INGEST_S, 20, office.ingest),
            ("firms", FIRMS_S, 40, office.firms), ("validity", VALIDITY_S, 30, office.validity),
            ("enable", ENABLE_S, 150, office.enable))]
    monitor.thread.start()
    for t in askers + threads:
        t.start()
    try:
        minute = 0
        while (left := started + seconds - time.monotonic()) > 0:
            time.sleep(max(0.0, min(left, started + (minute + 1) * 60 - time.monotonic())))
            if time.monotonic() >= started + (minute + 1) * 60 - 0.5:
                minute += 1
                monitor.read_logs()
                print(minute_line(minute, args.minutes, tally, monitor, monitor.sample_rss()),
                      flush=True)
        stop.set()
        print("soak: time is up; the office finishes the work in hand while the askers go on",
              flush=True)
        for t in threads:
            t.join()
        sign_offs.close()
        monitor.sample_rss()  # the end, under load as at the baseline
        monitor.stop.set()
        stop_askers.set()
        for t in askers:
            t.join()
        # At once: the askers' last questions are still queued in the workers' batches, which a
        # clean shutdown writes.
        shutdown(serve, signal.SIGINT, "policykb serve", tally)
        if push is not None:
            shutdown(push, signal.SIGTERM, "policykb push worker", tally)
    finally:
        stop.set()
        stop_askers.set()
        last.abort()
        monitor.stop.set()
    monitor.thread.join()
    monitor.read_logs()
    db = tmp / "var" / "policykb.db"
    text, passed = summary(args, tally, monitor, written, lost_writes(db, written, receiver),
                           push_outcome(db, failing), receiver, baseline_s, seconds)
    print(text)
    return passed


if __name__ == "__main__":
    raise SystemExit(main())
