"""The soak test's busy morning: askers, sign-offs, publications, firm imports, validity, webhooks."""

import csv
import json
import random
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx

from bench.mixed import NOTICE, STAFF, Tally, a_policy_of, sign_in
from bench.soak_checks import Receiver, Written

ROOT = Path(__file__).resolve().parents[1]  # the checkout the CLI runs in

VALIDITY_EVERY_S = 60  # the web workers' own validity job
FIRMS_PER_IMPORT = 3
SEARCHABLE_WITHIN_S = 30
EXPIRING = {"id": "soak-expiring-{n}", "title": "金湖县浸泡测试第{n}号临时措施",
            "doc_number": "金政办发〔2026〕{m}号", "department": "县科技局", "level": "县",
            "issue_date": "2026-01-05", "effective_from": "2026-01-05", "validity": "有效",
            "themes": ["科技创新"],
            "text": "一、本措施用于浸泡测试，编号{n}，有效期届满后自动失效。\n"
                    "二、第{n}号临时措施由县科技局负责解释，咨询电话0517-86880000。"}


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
          work: Callable[[], object]) -> None:
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


def findable(base: str, question: str, found: Callable[[dict], bool], what: str, tally: Tally,
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
