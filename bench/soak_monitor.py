"""The soak test's watch on the server: processes and their memory, readiness, metrics, logs."""

import json
import re
import subprocess
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.mixed import Tally

READY_S, METRICS_S, RSS_S = 2, 15, 10


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
