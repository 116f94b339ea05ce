"""Staff pages show exactly the actions the server allows: every role of the sign-off, on revisions
in every state, and on a policy's pages; each shown action is carried out, each hidden one refused."""

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from kb.authoring.workflow import Staff, start
from kb.database.db import session_scope
from kb.models import Policy, Revision
from kb.staff.models import User
from push.guides.authoring import KIND as GUIDE_KIND
from tests.push.guides.test_guide_signoff import GUIDE
from tests.web.staff import login, make_user

ACTIONS = ("edit", "submit", "discard", "approve", "publish", "return")
QUESTION, ANSWER = "入库后每年要复核吗？", "每年复核一次入库条件。"
# How a revision of 张拟稿 (changed by 陈多岗 too) reaches each state: (who, action) in turn.
ROUTES = {
    "draft": [],
    "returned": [("zhang", "submit"), ("li", "return")],
    "submitted": [("zhang", "submit")],
    "approved": [("zhang", "submit"), ("sun", "approve")],
    "published": [("zhang", "submit"), ("sun", "approve"), ("wang", "publish")],
    "withdrawn": [("zhang", "discard")],
}
# What each person may do in each state; a person left out may do nothing there.
EXPECTED = {
    "draft": {"zhang": {"edit", "submit", "discard"}, "chen": {"edit", "submit", "discard"}},
    "returned": {"zhang": {"edit", "submit", "discard"}, "chen": {"edit", "submit", "discard"}},
    "submitted": {"li": {"approve", "return"}, "sun": {"approve", "return"}},
    # 孙 approved it, so may return it as a publisher but not publish it too.
    "approved": {"wang": {"publish", "return"}, "sun": {"return"}},
}
PEOPLE = {  # username: (roles, name, department)
    "zhang": (["drafter"], "张拟稿", "县科技局"),
    "chen": (["drafter", "reviewer", "publisher"], "陈多岗", "县科技局"),  # changed the draft
    "li": (["reviewer"], "李审核", "县科技局"),
    "sun": (["reviewer", "publisher"], "孙审发", "县科技局"),
    "wang": (["publisher"], "王发布", "县科技局"),
    "admin": (["admin"], "管理员", "县科技局"),
    "zhao": (["drafter", "reviewer", "publisher"], "赵商务", "县商务局"),
}


@pytest.fixture
def people(app, client, demo_engine):
    """A signed-in browser for every role of the demo, one more of another department."""
    out = {}
    for i, (username, (roles, name, department)) in enumerate(PEOPLE.items()):
        make_user(demo_engine, username, roles=roles, name=name, department=department)
        browser = TestClient(app, client=(f"10.0.0.{20 + i}", 40000))
        out[username] = (browser, login(browser, username))
    return out


@pytest.fixture
def policy_id(demo_engine) -> int:
    """The 县科技局 demo policy the drafts belong to."""
    with Session(demo_engine) as session:
        return session.exec(select(Policy).where(Policy.source_key == "id:jh-2024-sci-01")).one().id


def _post(who, path: str, **data):
    browser, csrf = who
    return browser.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)


def _take(who, rid: int, action: str):
    """Carry out ``action`` as the page's form would post it."""
    data = {"edit": {"question": QUESTION, "answer": ANSWER + "（已修改）"},
            "return": {"comment": "请写明复核时间"}}.get(action, {})
    return _post(who, f"/admin/revisions/{rid}/{action}", **data)


def _revision_in(people, policy_id: int, state: str) -> int:
    res = _post(people["zhang"], f"/admin/content/new/faq?policy_id={policy_id}",
                question=QUESTION, answer=ANSWER)
    assert res.status_code == 303, res.text
    rid = int(re.search(r"/admin/revisions/(\d+)", res.headers["location"]).group(1))
    assert _take(people["chen"], rid, "edit").status_code == 303
    for who, action in ROUTES[state]:
        assert _take(people[who], rid, action).status_code == 303, (who, action)
    return rid


def _shown(html: str, rid: int) -> set[str]:
    """The actions a page offers: forms posting to the revision, the link to its edit form."""
    posted = set(re.findall(rf'<form method="post" action="/admin/revisions/{rid}/(\w+)"', html))
    return posted | set(re.findall(rf'href="/admin/revisions/{rid}/(edit)"', html))


def _state(engine, rid: int) -> tuple:
    with Session(engine) as session:
        rev = session.get(Revision, rid)
        return rev.status, len(rev.history), rev.data


def test_revision_pages_offer_exactly_what_the_server_allows(people, policy_id, demo_engine):
    # One test for all states: each signed-in browser costs seconds to set up.
    for state in ROUTES:
        rid = _revision_in(people, policy_id, state)
        before = _state(demo_engine, rid)
        for username in people:
            _check_one(people, policy_id, demo_engine, state, rid, username)
            assert _state(demo_engine, rid) == before, (state, username)  # refusals change nothing


def _check_one(people, policy_id, engine, state, rid, username) -> None:
    """The page as ``username`` sees it: hidden actions refused, shown ones carried out."""
    where = (state, username)
    browser = people[username][0]
    page = browser.get(f"/admin/revisions/{rid}")
    assert page.status_code == (403 if username == "zhao" else 200), where
    shown = _shown(page.text, rid) if page.status_code == 200 else set()
    if not shown and page.status_code == 200:
        assert 'id="waiting"' in page.text or "已发布" in page.text, where  # who acts next
    for action in set(ACTIONS) - shown:
        refused = _take(people[username], rid, action)
        assert refused.status_code in (403, 409), (*where, action, refused.status_code)
    if "edit" not in shown:
        assert browser.get(f"/admin/revisions/{rid}/edit").status_code in (403, 409), where
    for action in shown:  # each on a fresh revision in the same state
        fresh = _revision_in(people, policy_id, state)
        untouched = _state(engine, fresh)
        res = _take(people[username], fresh, action)
        assert res.status_code == 303, (*where, action, res.status_code)
        assert _state(engine, fresh) != untouched, (*where, action)
    assert shown == EXPECTED.get(state, {}).get(username, set()), where  # and the rules as meant


def test_a_guide_draft_offers_no_form_it_does_not_have(people, policy_id, demo_engine):
    with session_scope(demo_engine) as session:
        zhang = session.exec(select(User).where(User.username == "zhang")).one()
        rid = start(session=session, staff=Staff(zhang), kind=GUIDE_KIND, data=GUIDE,
                    policy_id=policy_id).id
    page = people["zhang"][0].get(f"/admin/revisions/{rid}").text
    assert _shown(page, rid) == {"submit", "discard"}  # no 修改草稿 leading to an error page
    assert "policykb guides draft" in page[page.index('id="redraft"'):]


def _links(html: str) -> set[str]:
    """Draft forms a page links to, and the forms it posts to (withdraw, roll back)."""
    return set(re.findall(r'href="(/admin/content/new/[^"]+)"', html)) | set(
        re.findall(r'<form method="post" action="(/admin/content/[^"]+)"', html))


def test_policy_pages_offer_only_what_each_role_may_do(people, policy_id, demo_engine):
    # A second published version, so the history offers a roll back.
    rid = _revision_in(people, policy_id, "published")
    pages = ("/admin/content", f"/admin/content/policies/{policy_id}",
             f"/admin/content/policies/{policy_id}/history")
    shown = {u: set().union(*(_links(people[u][0].get(p).text) for p in pages))
             for u in people if u != "zhao"}
    everything = set().union(*shown.values())
    assert "/admin/content/new/policy" in everything
    assert any(link.endswith("/withdraw") for link in everything)
    assert any(link.endswith("/rollback") for link in everything)
    for username, links in shown.items():
        browser = people[username]
        for link in everything:
            # A refused action is a 403; an allowed one is a form (200) or, posted without the
            # reason or version it asks for, a 422 that changes nothing.
            res = (_post(browser, link) if link.endswith(("/withdraw", "/rollback"))
                   else browser[0].get(link))
            allowed = {200, 422} if link in links else {403}
            assert res.status_code in allowed, (username, link, res.status_code)
    with Session(demo_engine) as session:
        assert session.get(Policy, policy_id).version == 2  # nothing was withdrawn or rolled back
        assert session.get(Revision, rid).status == "published"
