"""Builders for application tests: two departments, their handlers, policies and firms."""

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import select

from kb.database.db import session_scope
from kb.models import Department, Policy, Status
from kb.staff.accounts import create_user
from kb.staff.audit import SYSTEM
from push.firms.models import Firm
from push.matching.synthetic import make_uscc

PASSWORD = "correct-horse-9"


@dataclass
class Seed:
    """Ids and codes of what ``seed`` stored."""

    policy_id: int  # 县科技局's
    other_policy_id: int  # 县商务局's
    uscc: str
    other_uscc: str
    firm_id: int


def seed(engine: Engine, *, channels: list[str] | None = None, **firm_fields) -> Seed:
    """县科技局 with handler kj-clerk, 县商务局 with sw-clerk, one policy each, two firms."""
    with session_scope(engine) as session:
        for username, name, dept in (("kj-clerk", "赵经办", "县科技局"),
                                     ("sw-clerk", "钱经办", "县商务局")):
            create_user(session=session, actor=SYSTEM, username=username, name=name,
                        password=PASSWORD, department=dept, roles=["handler"])
        create_user(session=session, actor=SYSTEM, username="kj-writer", name="孙拟稿",
                    password=PASSWORD, department="县科技局", roles=["drafter"])
        depts = {d.name: d.id for d in session.exec(select(Department))}
        kj = Policy(title="金湖县高新技术企业奖励办法", source_key="t/kj", status=Status.PUBLISHED,
                    department_id=depts["县科技局"], conditions="高新技术企业证书、上年度财务审计报告",
                    phone="0517-86880001", address="县政务服务中心三楼", fulfil_time="60个工作日")
        sw = Policy(title="金湖县外贸稳增长奖励", source_key="t/sw", status=Status.PUBLISHED,
                    department_id=depts["县商务局"])
        firm = Firm(uscc=make_uscc(1), name="金湖星火科技有限公司", channels=channels or ["inbox"],
                    contact_phone="13800000000", industry_code="3911", **firm_fields)
        other = Firm(uscc=make_uscc(2), name="金湖远航贸易有限公司", channels=["inbox"])
        session.add_all([kj, sw, firm, other])
        session.flush()
        return Seed(kj.id, sw.id, firm.uscc, other.uscc, firm.id)
