"""Web fixtures: the app over the demo knowledge base, as a staff client and as a member of the public."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from kb.models import Policy
from web.app import create_app

STAFF = ("127.0.0.1", 50000)  # inside the default staff network 127.0.0.0/8
PUBLIC = ("203.0.113.7", 50000)  # a documentation address: not staff
PORTAL = "https://www.jinhu.gov.cn"


@pytest.fixture
def web_settings(settings):
    """The test settings with one portal allowed to embed the widget."""
    return settings.model_copy(update={"widget_origins": PORTAL})


@pytest.fixture
def app(demo_engine, web_settings):
    """The app over the demo knowledge base; its lifespan runs while ``client`` is open."""
    return create_app(web_settings)


@pytest.fixture
def client(app):
    """A client on the staff network (the lifespan runs here)."""
    with TestClient(app, client=STAFF) as c:
        yield c


@pytest.fixture
def public(app, client):
    """A client from the internet, sharing the running app of ``client``."""
    return TestClient(app, client=PUBLIC)


@pytest.fixture
def policy_ids(demo_engine) -> dict[str, int]:
    """Database ids of the demo policies by their bulk-file id (jh-2024-sci-01 → 10)."""
    with Session(demo_engine) as session:
        return {p.source_key.removeprefix("id:"): p.id for p in session.exec(select(Policy))}
