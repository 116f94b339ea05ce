"""直达快享 statistics per policy and per department: eligible firms, paid without application
vs by application, amounts estimated / approved / paid, working days to payment, guides overdue."""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from kb.clock import aware, county_day
from kb.csvout import dicts_csv
from kb.database.db import key
from kb.models import Department, Policy
from push.applications.models import Application
from push.calendar.days import Calendar
from push.direct.models import DirectPayment
from push.direct.service import evaluate_firms
from push.facts.catalog import Catalog
from push.guides.models import MODE_LABELS
from push.guides.overdue import overdue_guides
from push.guides.service import calculator_for, live_guides


@dataclass
class Row:
    """One policy's (or department's) figures."""

    key: int | None
    label: str
    department: str = ""
    mode: str = ""
    eligible: int = 0
    estimated: float = 0.0
    direct: int = 0  # applications made by 免申即享 (no application by the firm)
    applied: int = 0  # applications the firms made
    approved: float = 0.0
    paid: float = 0.0
    days: list[int] = field(default_factory=list)  # working days from application to payment
    overdue: int = 0  # guides overdue

    def to_dict(self) -> dict:
        """The CSV/JSON columns (Chinese headers)."""
        return {"编号": self.key, "名称": self.label, "部门": self.department, "兑现方式": self.mode,
                "符合企业数": self.eligible, "测算金额（万元）": round(self.estimated, 2),
                "免申即享件数": self.direct, "申报件数": self.applied,
                "核定金额（万元）": round(self.approved, 2), "拨付金额（万元）": round(self.paid, 2),
                "兑现工作日中位数": statistics.median(self.days) if self.days else None,
                "逾期未出指南": self.overdue}


def direct_stats(*, session: Session, today: date, year: int, guide_days: int,
                 by: str = "policy") -> list[Row]:
    """The figures per policy (every policy with a guide, applications or an overdue guide) or
    per department."""
    departments = dict(session.exec(select(Department.id, Department.name)).all())
    policies = {p.id: p for p in session.exec(select(Policy))}
    rows: dict[int, Row] = {}

    def row(policy: Policy) -> Row:
        pid = key(policy)
        if pid not in rows:
            rows[pid] = Row(pid, policy.title, departments.get(policy.department_id, ""))
        return rows[pid]

    catalog = Catalog.load(session)
    for policy, guide in live_guides(session):
        r = row(policy)
        r.mode = MODE_LABELS[guide.mode]
        found = evaluate_firms(session=session, policy=policy, year=year, today=today,
                               calc=calculator_for(guide, policy, catalog))
        r.eligible = len(found)
        r.estimated = float(sum(sum(p.values()) for _, p, _ in found))
    direct_ids = set(session.exec(select(DirectPayment.application_id)).all())
    calendar = Calendar.load(session)
    for app in session.exec(select(Application)):
        r = row(policies[app.policy_id])
        if app.id in direct_ids:
            r.direct += 1
        else:
            r.applied += 1
        r.approved += app.amount_approved or 0
        r.paid += app.amount_paid or 0
        if app.paid_on is not None:
            r.days.append(calendar.between(county_day(aware(app.created_at)), app.paid_on))
    for late in overdue_guides(session=session, today=today, days=guide_days):
        row(policies[late.policy_id]).overdue += 1
    out = [rows[pid] for pid in sorted(rows)]
    if by != "department":
        return out
    merged: dict[str, Row] = defaultdict(lambda: Row(None, ""))
    for r in out:
        m = merged[r.department or "未指定部门"]
        m.label = r.department or "未指定部门"
        for name in ("eligible", "direct", "applied", "overdue"):
            setattr(m, name, getattr(m, name) + getattr(r, name))
        for name in ("estimated", "approved", "paid"):
            setattr(m, name, getattr(m, name) + getattr(r, name))
        m.days += r.days
    return sorted(merged.values(), key=lambda r: r.label)


def stats_csv(rows: list[Row]) -> str:
    """The figures as CSV (kb/csvout: formula-like text kept as text)."""
    return dicts_csv([r.to_dict() for r in rows])
