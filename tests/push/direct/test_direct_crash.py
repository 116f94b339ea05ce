"""A 免申即享 list published to 300 firms while the push worker is killed mid-batch: every firm
gets its one notice, none twice, and publishing again pays nobody twice."""

import pytest
from sqlmodel import Session, func, select

from bench.receivers import SmtpReceiver, WebhookReceiver
from kb.authoring.workflow import Staff
from kb.config import Settings
from kb.database.db import create_schema, make_engine, session_scope
from kb.models import Department, Policy, Status
from kb.staff.accounts import create_user
from kb.staff.audit import SYSTEM
from kb.staff.models import User
from push.applications.models import Application
from push.delivery.models import Push, PushKind, Subscription
from push.direct.models import DirectPayment
from push.direct.service import generate, publish, review
from push.facts.models import FirmFact
from push.guides.service import save_guide
from tests.push.crash_utils import kill_mid_batch_then_drain, worker_env
from tests.push.push_utils import add_firms

FIRMS = 300
SECRET = "whsec_direct_crash"
GUIDE = {"mode": "direct", "promised_days": 20, "rules": {"measures": [{
    "key": "jobs", "name": "吸纳就业补贴", "conditions": [{"fact": "new_jobs", "op": ">=", "value": 1}],
    "benefit": {"kind": "per_person", "fact": "new_jobs", "per": 0.15}}]}}


def _staff(s: Session, username: str) -> Staff:
    return Staff(s.exec(select(User).where(User.username == username)).one())


@pytest.mark.slow
def test_sigkill_while_notifying_a_published_direct_list(tmp_path):
    with SmtpReceiver() as smtp, WebhookReceiver(SECRET) as hook:
        settings = Settings(home=tmp_path / "home", index_dir=tmp_path / "idx", embedding_model="none")
        settings.ensure_dirs()
        engine = make_engine(settings.db_url)
        create_schema(engine)
        ids = add_firms(engine, FIRMS, channels=lambda i: ["email"] if i % 2 == 0 else ["webhook"],
                        contact_email=lambda i: f"firm{i}@example.test",
                        webhook_url=lambda i: f"{hook.url}/hooks/{i}")
        with session_scope(engine) as s:
            for username, role in (("rs-review", "reviewer"), ("rs-publish", "publisher")):
                create_user(session=s, actor=SYSTEM, username=username, name=username,
                            password="pw-123456789", department="县人社局", roles=[role])
            s.add_all(Subscription(firm_id=i, webhook_secret=SECRET) for i in ids)
            s.add_all(FirmFact(firm_id=i, name="new_jobs", year=2026, value={"v": 1 + n % 7},
                               source="县人社局") for n, i in enumerate(ids))
            dept = s.exec(select(Department.id).where(Department.name == "县人社局")).one()
            policy = Policy(title="金湖县吸纳就业补贴", source_key="t/direct-crash",
                            status=Status.PUBLISHED, department_id=dept)
            s.add(policy)
            s.flush()
            save_guide(session=s, policy_id=policy.id, data=GUIDE)
            lst = generate(session=s, policy_id=policy.id, period="2026")
            review(session=s, staff=_staff(s, "rs-review"), list_id=lst.id)
            assert len(publish(session=s, staff=_staff(s, "rs-publish"), list_id=lst.id)
                       .applications) == FIRMS
        with Session(engine) as s:
            keys = set(s.exec(select(Push.key).where(Push.kind == PushKind.APPLICATION)).all())
        assert len(keys) == FIRMS

        def received() -> int:
            return len(smtp.keys) + len(hook.keys)

        at_kill = kill_mid_batch_then_drain(engine=engine, env=worker_env(settings, smtp.controller.port),
                                            worker_id="direct-crash", received=received, total=FIRMS)
        print(f"\ndirect crash test: {FIRMS} notices, {at_kill} received before SIGKILL")
        assert set(smtp.keys) | set(hook.keys) == keys  # none lost
        assert len(smtp.messages) + len(hook.accepted) == FIRMS  # none accepted twice
        assert any("已核定" in str(m["Subject"]) for m in smtp.messages)

        with session_scope(engine) as s:  # publishing again after the crash adds nothing
            again = publish(session=s, staff=_staff(s, "rs-publish"), list_id=lst.id)
        assert again.applications == [] and again.already_paid == FIRMS
        with Session(engine) as s:
            assert s.exec(select(func.count()).select_from(DirectPayment)).one() == FIRMS
            assert s.exec(select(func.count()).select_from(Application)).one() == FIRMS
        engine.dispose()
