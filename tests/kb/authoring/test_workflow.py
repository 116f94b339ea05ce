"""The sign-off workflow in the domain: states, separation of duties, versions, push and search."""

import pytest
from sqlmodel import Session, select

from kb.authoring import workflow as wf
from kb.database.db import session_scope
from kb.errors import Conflict, InvalidInput, PermissionDenied
from kb.models import ContentKind, Department, Passage, Policy, PolicyVersion, Status
from kb.search.service import Searcher
from kb.staff.models import User
from push.delivery.models import Push
from tests.push.push_utils import add_firms

TEXT = ("第一条 为支持集成电路企业发展，对新购设备投资500万元以上的企业给予补助。\n"
        "第二条 补助比例为设备投资额的10%，最高200万元。")


@pytest.fixture
def people(engine):
    """Three people of one department with one role each, and an outsider."""
    with session_scope(engine) as session:
        dept, other = Department(name="县工业和信息化局"), Department(name="县商务局")
        session.add_all([dept, other])
        session.flush()
        users = {n: User(username=n, name=n.title(), department_id=dept.id, roles=[r],
                         password_hash="-") for n, r in (("drafter", "drafter"),
                                                         ("reviewer", "reviewer"),
                                                         ("publisher", "publisher"))}
        users["outsider"] = User(username="outsider", name="Outsider", department_id=other.id,
                                 roles=["drafter", "reviewer", "publisher"], password_hash="-")
        session.add_all(users.values())
        session.flush()
        return {n: wf.Staff(u, "127.0.0.1") for n, u in users.items()}


def _new_policy(session, people, **extra) -> int:
    rev = wf.start(session=session, staff=people["drafter"], kind=ContentKind.POLICY,
                   data={"title": "金湖县集成电路设备投资补助办法", "full_text": TEXT,
                         "industries_include": ["39"], "sizes": ["小型", "中型"], **extra})
    wf.submit(session=session, staff=people["drafter"], revision_id=rev.id)
    wf.approve(session=session, staff=people["reviewer"], revision_id=rev.id)
    wf.publish(session=session, staff=people["publisher"], revision_id=rev.id)
    return rev.policy_id


def test_only_published_content_is_pushed_and_searched(engine, settings, people):
    add_firms(engine, 3, industry_code="3911", employees=50, revenue=1000)
    searcher = Searcher(engine, settings)
    with session_scope(engine) as session:
        rev = wf.start(session=session, staff=people["drafter"], kind=ContentKind.POLICY,
                       data={"title": "金湖县集成电路设备投资补助办法", "full_text": TEXT,
                             "industries_include": ["39"]})
        wf.submit(session=session, staff=people["drafter"], revision_id=rev.id)
        wf.approve(session=session, staff=people["reviewer"], revision_id=rev.id)
    with Session(engine) as session:
        assert session.exec(select(Policy)).all() == []  # an approved draft is not yet a policy
        assert session.exec(select(Push)).all() == []
    searcher.ensure_fresh()
    assert searcher.search("集成电路设备补助", k=3) == []
    with session_scope(engine) as session:
        wf.publish(session=session, staff=people["publisher"], revision_id=rev.id)
    searcher.changed()
    hits = searcher.search("集成电路设备补助", k=3)
    assert hits and hits[0].title == "金湖县集成电路设备投资补助办法"
    assert hits[0].signoff == {"drafter": "Drafter", "reviewer": "Reviewer", "publisher": "Publisher"}
    with Session(engine) as session:
        assert len(session.exec(select(Push)).all()) == 3  # every matching firm, once


def test_transitions_are_checked(engine, people):
    with session_scope(engine) as session:
        pid = _new_policy(session, people)
        rev = wf.start(session=session, staff=people["drafter"], kind=ContentKind.FAQ,
                       policy_id=pid, data={"question": "补助多少？", "answer": "最高200万元。"})
        with pytest.raises(Conflict):
            wf.publish(session=session, staff=people["publisher"], revision_id=rev.id)
        with pytest.raises(Conflict):
            wf.approve(session=session, staff=people["reviewer"], revision_id=rev.id)
        with pytest.raises(PermissionDenied):
            wf.submit(session=session, staff=people["reviewer"], revision_id=rev.id)  # no role
        with pytest.raises(PermissionDenied):
            wf.edit(session=session, staff=people["outsider"], revision_id=rev.id,
                    data={"question": "x？", "answer": "改掉了"})
        with pytest.raises(InvalidInput, match="问题"):
            wf.edit(session=session, staff=people["drafter"], revision_id=rev.id,
                    data={"question": "", "answer": "没有问题的答案"})


def test_a_reviewer_who_edited_a_draft_may_not_approve_it(engine, people):
    with session_scope(engine) as session:
        pid = _new_policy(session, people)
        colleague = people["reviewer"]
        colleague.user.roles = ["drafter", "reviewer"]
        rev = wf.start(session=session, staff=people["drafter"], kind=ContentKind.FAQ,
                       policy_id=pid, data={"question": "补助多少？", "answer": "最高200万元。"})
        wf.edit(session=session, staff=colleague, revision_id=rev.id,
                data={"question": "补助多少？", "answer": "设备投资额的10%，最高200万元。"})
        wf.submit(session=session, staff=people["drafter"], revision_id=rev.id)
        with pytest.raises(PermissionDenied, match="自己起草或修改"):
            wf.approve(session=session, staff=colleague, revision_id=rev.id)


def test_a_change_drafted_on_an_old_version_is_refused_at_publication(engine, people):
    with session_scope(engine) as session:
        pid = _new_policy(session, people)
        first = wf.start(session=session, staff=people["drafter"], kind=ContentKind.POLICY,
                         record_id=pid, data={"title": "金湖县集成电路设备投资补助办法（修订）",
                                              "full_text": TEXT})
        second = wf.start(session=session, staff=people["drafter"], kind=ContentKind.POLICY,
                          record_id=pid, data={"title": "另一个修改", "full_text": TEXT})
        for rev in (first, second):
            wf.submit(session=session, staff=people["drafter"], revision_id=rev.id)
            wf.approve(session=session, staff=people["reviewer"], revision_id=rev.id)
        wf.publish(session=session, staff=people["publisher"], revision_id=first.id)
        with pytest.raises(Conflict, match="新版本"):
            wf.publish(session=session, staff=people["publisher"], revision_id=second.id)


def test_versions_are_kept_and_rollback_restores_text_and_passages(engine, people):
    with session_scope(engine) as session:
        pid = _new_policy(session, people)
        before = sorted(p.text for p in session.exec(select(Passage).where(Passage.policy_id == pid)))
        rev = wf.start(session=session, staff=people["drafter"], kind=ContentKind.POLICY,
                       record_id=pid, data={"title": "金湖县集成电路设备投资补助办法",
                                            "full_text": TEXT.replace("10%", "15%"),
                                            "effective_to": "2027-12-31"})
        wf.submit(session=session, staff=people["drafter"], revision_id=rev.id)
        wf.approve(session=session, staff=people["reviewer"], revision_id=rev.id)
        wf.publish(session=session, staff=people["publisher"], revision_id=rev.id)
        assert any("15%" in p.text for p in session.exec(select(Passage).where(Passage.policy_id == pid)))
        with pytest.raises(PermissionDenied):
            wf.roll_back(session=session, staff=people["drafter"], policy_id=pid, to_version=1)
        wf.roll_back(session=session, staff=people["publisher"], policy_id=pid, to_version=1)
        policy = session.get(Policy, pid)
        assert policy.version == 3 and policy.effective_to is None and policy.status == Status.PUBLISHED
        after = sorted(p.text for p in session.exec(select(Passage).where(Passage.policy_id == pid)))
        assert after == before
        versions = session.exec(select(PolicyVersion).where(PolicyVersion.policy_id == pid)
                                .order_by(PolicyVersion.version)).all()
        assert [v.summary for v in versions] == [
            "发布政策：金湖县集成电路设备投资补助办法", "修改政策：金湖县集成电路设备投资补助办法",
            "回退到第 1 版"]
        assert versions[0].snapshot["policy"]["full_text"] == TEXT  # never rewritten


def test_a_bulk_reimport_keeps_what_departments_published(engine, people, tmp_path):
    from kb.models import FaqItem, Interpretation
    from tests.utils.builders import ingest, write_jsonl

    record = {"id": "ic-01", "title": "金湖县集成电路设备投资补助办法", "text": TEXT,
              "department": "县工业和信息化局",
              "interpretations": [{"title": "导入的解读", "background": "背景", "measures": "措施"}],
              "faq": [{"question": "导入的问题？", "answer": "导入的答案。"}]}
    ingest(engine, write_jsonl(tmp_path / "p.jsonl", [record]))
    with session_scope(engine) as session:
        pid = session.exec(select(Policy)).one().id
        for kind, data in ((ContentKind.FAQ, {"question": "部门写的问题？", "answer": "部门写的答案。"}),
                           (ContentKind.INTERPRETATION, {"title": "部门写的解读", "background": "背景",
                                                         "purpose": "目的", "measures": "措施"})):
            rev = wf.start(session=session, staff=people["drafter"], kind=kind, policy_id=pid,
                           data=data)
            wf.submit(session=session, staff=people["drafter"], revision_id=rev.id)
            wf.approve(session=session, staff=people["reviewer"], revision_id=rev.id)
            wf.publish(session=session, staff=people["publisher"], revision_id=rev.id)
    record["faq"] = [{"question": "导入的问题？", "answer": "更新后的答案。"}]
    ingest(engine, write_jsonl(tmp_path / "p.jsonl", [record]))
    with Session(engine) as session:
        live = {f.question: f.answer for f in session.exec(select(FaqItem).where(
            FaqItem.status == Status.PUBLISHED))}
        assert live == {"导入的问题？": "更新后的答案。", "部门写的问题？": "部门写的答案。"}
        titles = {i.title for i in session.exec(select(Interpretation).where(
            Interpretation.status == Status.PUBLISHED))}
        assert titles == {"导入的解读", "部门写的解读"}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("industries_include", ["ZZ"], "适用行业"),
    ("industries_exclude", ["99"], "排除行业"),
    ("sizes", ["巨型"], "适用规模"),
    ("effective_to", "2026-13-01", "有效期至：不是有效日期"),
    ("validity", "作废", "效力状态：应为以下之一"),
    ("title", "", "标题：不能为空"),
])
def test_a_bad_policy_draft_is_refused_when_drafted(engine, people, field, value, message):
    data = {"title": "金湖县测试政策", "full_text": TEXT, field: value}
    with session_scope(engine) as session, pytest.raises(InvalidInput, match=message):
        wf.start(session=session, staff=people["drafter"], kind=ContentKind.POLICY, data=data)



def test_a_drafter_cannot_close_another_departments_ledger_topic(engine, people):
    from kb.feedback.models import LedgerTopic, TopicStatus

    with session_scope(engine) as session:
        pid = _new_policy(session, people)
        outsider_dept = people["outsider"].user.department_id
        theirs = LedgerTopic(title="外贸企业出口信用保险有补贴吗", department_id=outsider_dept)
        mine = LedgerTopic(title="集成电路设备投资补助怎么申请",
                           department_id=people["drafter"].user.department_id)
        session.add_all([theirs, mine])
        session.flush()
        theirs_id, mine_id = theirs.id, mine.id
    faq = {"question": "外贸企业出口信用保险有补贴吗", "answer": "有，按保费的一半补贴。"}
    with session_scope(engine) as session, pytest.raises(PermissionDenied, match="其他部门"):
        wf.start(session=session, staff=people["drafter"], kind=ContentKind.FAQ, data=faq,
                 policy_id=pid, topic_id=theirs_id)
    with session_scope(engine) as session:
        # Published by its own department for its own topic; the other department's topic of
        # the very same question stays open.
        rev = wf.start(session=session, staff=people["drafter"], kind=ContentKind.FAQ, data=faq,
                       policy_id=pid, topic_id=mine_id)
        wf.submit(session=session, staff=people["drafter"], revision_id=rev.id)
        wf.approve(session=session, staff=people["reviewer"], revision_id=rev.id)
        wf.publish(session=session, staff=people["publisher"], revision_id=rev.id)
    with Session(engine) as session:
        assert session.get(LedgerTopic, mine_id).status == TopicStatus.CLOSED
        assert session.get(LedgerTopic, theirs_id).status == TopicStatus.OPEN
