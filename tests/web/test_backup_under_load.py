"""A backup taken while the service answers, publishes and delivers pushes restores whole: the
same rows, the same answers, and the firm links already sent still open the firm's page."""

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from kb.cli.main import main
from kb.config import Settings
from kb.database.db import make_engine, read_scope
from kb.models import Policy
from kb.operations import backup
from push.delivery.models import Push, PushStatus
from push.delivery.tokens import firm_token
from push.firms.models import Firm
from tests.utils.builders import ingest, write_jsonl
from tests.utils.databases import tables_as_text
from web.app import create_app

QUESTIONS = ("首次认定高企的公司县里奖励多少钱", "技改贷款贴息比例是多少", "小微企业有哪些补贴")
PUBLIC = ("203.0.113.7", 50000)


def _answers(settings: Settings) -> list[dict]:
    with TestClient(create_app(settings), client=PUBLIC) as client:
        out = []
        for question in QUESTIONS:
            body = client.post("/api/ask", json={"question": question}).json()
            body.pop("question_id")  # a new row in each database's question log
            out.append(body)
        return out


def _load(engine: Engine, client: TestClient, folder: Path, stop: threading.Event,
          errors: list, published: list, asked: list) -> list[threading.Thread]:
    """Questions over HTTP and publications, until ``stop`` (the app's own worker delivers)."""

    def ask() -> None:
        while not stop.is_set():
            for question in QUESTIONS:
                if client.post("/api/ask", json={"question": question}).status_code != 200:
                    errors.append(question)
                asked.append(question)

    def publish() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            ingest(engine, write_jsonl(folder / f"p{n}.jsonl", [{
                "id": f"load-{n}", "title": f"金湖县小微企业稳岗补贴第{n}号", "sizes": ["小型", "微型"],
                "doc_number": f"金政发〔2026〕{n}号", "department": "县人力资源和社会保障局",
                "text": f"一、补贴标准\n每户补贴{n}万元。"}]))
            published.append(n)

    return [threading.Thread(target=ask), threading.Thread(target=publish)]


def _wait(done: Callable[[], object], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the load did not get going"
        time.sleep(0.05)


def test_a_backup_under_load_restores_whole(cli_env: Path, tmp_path: Path, restore_target: Settings,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["demo", "--no-serve"]) == 0
    monkeypatch.setenv("KB_PUSH_WORKER", "1")  # pushes go out while the backup is taken
    monkeypatch.setenv("KB_ASK_RATE_LIMIT", "100000")  # one client asks as fast as it can
    source = Settings()
    engine = make_engine(source.db_url)
    stop, errors, published, asked = threading.Event(), [], [], []
    with TestClient(create_app(source), client=PUBLIC) as client:
        threads = _load(engine, client, tmp_path, stop, errors, published, asked)
        for thread in threads:
            thread.start()
        try:
            _wait(lambda: published and asked)
            client.app.state.questions.flush()  # (questions are written in batches)
            busy = backup.backup(source, tmp_path / "busy.tar.gz")
            during = len(published)
            _wait(lambda: len(published) > during)  # writes went on after the snapshot
        finally:
            stop.set()
            for thread in threads:
                thread.join()
    assert not errors
    with read_scope(engine) as session:
        firm = session.exec(select(Firm)).first()
        delivered = session.exec(select(Push).where(Push.status == PushStatus.DELIVERED)).all()
    assert firm is not None and delivered  # the worker was delivering during the backup
    assert busy["tables"]["questionlog"] > 0
    with read_scope(engine) as session:  # the snapshot is of a moment the load went past
        assert len(session.exec(select(Policy)).all()) > busy["tables"]["policy"]

    # Under load: one moment's database, every row and its references loaded, nothing short.
    done = backup.restore(restore_target, tmp_path / "busy.tar.gz")
    assert done.rows == busy["rows"]

    # Quiet: the restored installation is the source, row for row, and behaves as it.
    backup.backup(source, tmp_path / "quiet.tar.gz")
    backup.restore(restore_target, tmp_path / "quiet.tar.gz", force=True)
    assert tables_as_text(restore_target) == tables_as_text(source)
    assert _answers(restore_target) == _answers(source)
    token = firm_token(key=source.signing_key(), firm_id=firm.id)
    with TestClient(create_app(restore_target), client=PUBLIC) as restored:
        page = restored.get(f"/push/firm?token={token}")
    assert page.status_code == 200 and firm.name in page.text
    engine.dispose()
