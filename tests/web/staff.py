"""Staff accounts for web tests: create a user, sign in through the real form."""

import re

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from kb.database.db import session_scope
from kb.staff.accounts import create_user
from kb.staff.audit import SYSTEM
from kb.staff.models import Role, User

PASSWORD = "correct-horse-9"
_HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(engine: Engine, username: str, *, roles: list[Role | str],
              department: str | None = "县科技局", name: str | None = None,
              password: str = PASSWORD) -> User:
    """An active account written as the system would (department created if new)."""
    with session_scope(engine) as session:
        return create_user(session=session, actor=SYSTEM, username=username,
                           name=name or username, password=password, department=department,
                           roles=[str(r) for r in roles])


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _HIDDEN_CSRF.search(html)
    assert found, "the page has no csrf_token field"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through GET and POST /admin/login; returns the session's CSRF token."""
    form = client.get("/admin/login")
    assert form.status_code == 200, form.text
    res = client.post("/admin/login", data={"username": username, "password": password,
                                            "csrf_token": csrf_of(form.text)},
                      follow_redirects=False)
    assert res.status_code == 303, f"sign-in as {username} failed ({res.status_code})"
    home = client.get("/admin")
    assert home.status_code == 200, home.text
    return csrf_of(home.text)
