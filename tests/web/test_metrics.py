"""/metrics after a known workload: replies and latency counted, the queue, ledger and overdue
applications read from the database, and only the staff network or the token may scrape."""

from collections import Counter

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from kb.cli.main import main
from kb.config import Settings
from kb.database.db import make_engine, read_scope
from kb.feedback.ledger_matching import OPEN_STATES
from kb.feedback.models import LedgerTopic
from push.applications.views import queue
from push.delivery.channels import build_channels
from push.delivery.models import Digest, Push
from push.delivery.worker import Worker
from tests.utils import servers
from tests.web.staff import csrf_of
from web.app import create_app

STAFF, PUBLIC = ("127.0.0.1", 50000), ("203.0.113.7", 50000)
QUESTIONS = ("首次认定高企的公司县里奖励多少钱", "技改贷款贴息比例是多少", "户口迁移需要什么材料")


def scrape(client: TestClient, **headers: str) -> dict[tuple[str, tuple], float]:
    """Every sample as {(name, sorted labels): value}."""
    res = client.get("/metrics", headers=headers)
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(res.text) for s in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def messages(samples: dict, status: str) -> float:
    return sum(v for (name, labels), v in samples.items()
               if name == "policykb_push_messages" and ("status", status) in labels)


def test_metrics_count_a_known_workload(cli_env, monkeypatch) -> None:
    assert main(["demo", "--no-serve"]) == 0
    monkeypatch.setenv("KB_METRICS_TOKEN", "scrape-secret")
    settings = Settings()
    engine = make_engine(settings.db_url)
    app = create_app(settings)
    with TestClient(app, client=STAFF) as staff:
        public = TestClient(app, client=PUBLIC)
        before = scrape(staff)
        replies = Counter(public.post("/api/ask", json={"question": q}).json()["answer_type"]
                          for q in QUESTIONS)
        form = public.get("/admin/login")
        refused = public.post("/admin/login", data={"username": "kj-drafter", "password": "wrong",
                                                    "csrf_token": csrf_of(form.text)})
        assert refused.status_code == 401
        with read_scope(engine) as session:
            pending = (len(session.exec(select(Push).where(Push.status == "pending")).all())
                       + len(session.exec(select(Digest).where(Digest.status == "pending")).all()))
        delivered = Worker(engine=engine, settings=settings, worker_id="t",
                           channels=build_channels(settings=settings, engine=engine)).run_once()
        after = scrape(staff)

        for reply, n in replies.items():
            assert (value(after, "policykb_questions_total", reply=reply)
                    - value(before, "policykb_questions_total", reply=reply)) == n
        assert (value(after, "policykb_answer_seconds_count")
                - value(before, "policykb_answer_seconds_count")) == len(QUESTIONS)
        assert (value(after, "policykb_signin_failures_total", reason="refused")
                - value(before, "policykb_signin_failures_total", reason="refused")) == 1
        assert messages(before, "pending") == pending > 0
        assert messages(after, "delivered") - messages(before, "delivered") == delivered.delivered > 0
        with read_scope(engine) as session:
            overdue = sum(t.overdue for t in queue(session=session, department_id=None))
            topics = session.exec(select(LedgerTopic)).all()
        assert value(after, "policykb_applications_overdue") == overdue
        assert value(after, "policykb_ledger_topics", state="open") == sum(
            t.status in OPEN_STATES for t in topics)
        assert value(after, "policykb_index_process_version") == value(
            after, "policykb_index_database_version") > 0
        assert value(after, "policykb_index_behind_seconds") == 0

        assert public.get("/metrics").status_code == 403  # not from the internet
        assert public.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert scrape(public, Authorization="Bearer scrape-secret")
    engine.dispose()


@pytest.mark.slow
def test_workers_add_up_in_every_scrape(tmp_path) -> None:
    """Under serve --workers 2 a scrape, whichever worker takes it, counts every worker's replies."""
    env = servers.cli_env(tmp_path)
    servers.policykb(env, "demo", "--no-serve")
    port = servers.free_port()
    proc = servers.serve(env, port, tmp_path / "serve.log", workers=2)
    try:
        base = f"http://127.0.0.1:{port}"
        for question in QUESTIONS * 4:  # new connections: both workers answer some
            assert httpx.post(f"{base}/api/ask", json={"question": question}).status_code == 200
        totals = set()
        for _ in range(6):
            samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                       for f in text_string_to_metric_families(httpx.get(f"{base}/metrics").text)
                       for s in f.samples}
            totals.add(sum(v for (name, _), v in samples.items()
                           if name == "policykb_questions_total"))
        assert totals == {len(QUESTIONS) * 4}
        assert (tmp_path / "var" / "metrics").is_dir()
    finally:
        servers.stop(proc)
