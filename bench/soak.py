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

This file starts the server, paces the work and writes the report; the work itself is in
bench/soak_load.py (askers and the office), the watch on the server in bench/soak_monitor.py
(processes, memory, readiness, metrics, logs), and the account of acknowledged writes with the
lost-write check in bench/soak_checks.py.
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

from bench.api import QUESTIONS, free_port, percentile  # noqa: E402
from bench.mixed import Tally, environment, prepare  # noqa: E402
from bench.soak_checks import Receiver, Written, lost_writes, push_outcome  # noqa: E402
from bench.soak_load import VALIDITY_EVERY_S, Office, SignOffs, asker, paced  # noqa: E402
from bench.soak_monitor import Monitor, Processes, Sample, children  # noqa: E402

COUNTY_QUESTIONS = ROOT / "bench" / "county" / "questions.jsonl"
SIGN_OFF_S, INGEST_S, FIRMS_S, VALIDITY_S, ENABLE_S = 30, 90, 120, 180, 300
GROWTH_LIMIT = 10.0  # % of RSS after the first 10 minutes
KINDS = ("ask", "feedback", "sign-in", "sign-off", "ingest", "probe", "firms", "lapsed",
         "validity", "enable", "readyz", "metrics")


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
