"""/healthz and /readyz over HTTP: JSON, never cached, 503 naming what is wrong."""

import time

from fastapi.testclient import TestClient
from sqlalchemy import text

from kb.database.db import session_scope
from tests.kb.search.dense.test_vector_cache import POLICIES
from tests.utils.builders import ingest, write_jsonl
from web.app import create_app


def test_health_and_readiness(demo_engine, web_settings, tmp_path) -> None:
    app = create_app(web_settings.model_copy(update={"ready_max_lag_s": 0.3}))
    with TestClient(app, client=("203.0.113.7", 50000)) as public:
        alive = public.get("/healthz")
        assert alive.status_code == 200 and alive.json() == {"status": "ok"}
        ready = public.get("/readyz")
        assert ready.status_code == 200 and ready.json()["ready"] is True
        assert ready.headers["cache-control"] == "no-store"

        with app.state.searcher._lock:  # a rebuild in progress: the index cannot follow
            ingest(demo_engine, write_jsonl(tmp_path / "p.jsonl", POLICIES[:1]))
            public.get("/readyz")
            time.sleep(0.5)
            behind = public.get("/readyz")
            assert behind.status_code == 503
            assert "behind the database" in behind.json()["checks"]["index"]["error"]
            assert public.get("/healthz").status_code == 200  # alive all the same
        deadline = time.monotonic() + 10
        while public.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "readiness did not come back"
            time.sleep(0.05)

        with session_scope(demo_engine) as session:
            session.execute(text("UPDATE alembic_version SET version_num = '0005'"))
        wrong = public.get("/readyz")
        assert wrong.status_code == 503 and "revision 0005" in wrong.json()["checks"]["schema"]["error"]
