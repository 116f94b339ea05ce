"""The transactional outbox: one push per firm and channel, with reasons; never doubled."""

from sqlmodel import Session, select

from kb.database.db import session_scope
from kb.events import EventKind, PolicyEvent
from push.delivery.models import Push
from push.delivery.outbox import on_policy_event
from push.delivery.subscriptions import update_subscription
from tests.push.push_utils import NOW, add_firms, publish, pushes
from tests.utils.builders import ingest, write_jsonl


def test_publication_queues_one_push_per_firm_and_channel_with_reasons(engine):
    add_firms(engine, 3, channels=["inbox", "email"], contact_email=lambda i: f"f{i}@x.test")
    add_firms(engine, 1, start=10, industry_code="0111")  # outside the policy's industry
    pid = publish(engine, industries_include=["C"], doc_number="金政发〔2026〕9号")
    rows = pushes(engine)
    assert len(rows) == 6
    assert {(r.firm_id, r.channel) for r in rows} == {(f, c) for f in (1, 2, 3)
                                                      for c in ("inbox", "email")}
    row = rows[0]
    assert row.policy_id == pid and row.version == 1 and row.kind == "new"
    assert row.doc_number == "金政发〔2026〕9号" and row.status == "pending"
    assert any("制造业" in r or "C" in r for r in row.reasons), row.reasons
    assert row.key == f"pk-{row.firm_id}-{pid}-v1-{row.channel}-new"


def test_replaying_an_event_never_doubles_a_push(engine):
    add_firms(engine, 5)
    pid = publish(engine)
    with session_scope(engine) as session:
        for _ in range(3):
            on_policy_event(session=session, event=PolicyEvent(EventKind.PUBLISHED, pid, 1),
                            now=NOW)
    assert len(pushes(engine)) == 5
    with Session(engine) as session:
        keys = session.exec(select(Push.key)).all()
    assert len(set(keys)) == 5


def test_rolled_back_publication_leaves_no_push(engine):
    add_firms(engine, 2)
    try:
        with session_scope(engine) as session:
            from kb.models import Policy

            policy = Policy(title="回滚的政策", source_key="rb")
            session.add(policy)
            session.flush()
            on_policy_event(session=session, event=PolicyEvent(EventKind.PUBLISHED, policy.id, 1))
            raise RuntimeError("publishing failed after the outbox wrote")
    except RuntimeError:
        pass
    assert pushes(engine) == []


def test_theme_subscription_filters_policies(engine):
    a, b = add_firms(engine, 2)
    with session_scope(engine) as session:
        update_subscription(session=session, firm_id=a, themes=["融资担保"], channels=["inbox"],
                            frequency="immediate", quiet_start=None, quiet_end=None)
    publish(engine, themes=["技术改造"])
    assert [p.firm_id for p in pushes(engine)] == [b]


def test_ingestion_emits_events_into_the_outbox(engine, tmp_path):
    add_firms(engine, 2)
    record = {"id": "p1", "title": "金湖县企业稳岗补贴办法", "text": "第一条 对稳定就业的企业给予补贴。",
              "themes": ["稳岗就业"]}
    ingest(engine, write_jsonl(tmp_path / "p.jsonl", [record]))
    rows = pushes(engine)
    assert len(rows) == 2 and all(r.kind == "new" and r.version == 1 for r in rows)
    record["text"] = "第一条 对稳定就业的企业给予补贴，最高5万元。"
    ingest(engine, write_jsonl(tmp_path / "p.jsonl", [record]))
    rows = pushes(engine)  # nothing was delivered yet: v1 is cancelled, v2 queued as new
    assert sorted((r.version, r.kind, r.status) for r in rows) == [
        (1, "new", "cancelled"), (1, "new", "cancelled"), (2, "new", "pending"),
        (2, "new", "pending")]
