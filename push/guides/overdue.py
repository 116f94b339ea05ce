"""Guides overdue: a published enterprise policy still without a guide after the working days set."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, func, select

from kb.clock import aware, county_day
from kb.database.db import key
from kb.models import Department, Policy, PolicyVersion, Status, Validity
from push.calendar.days import Calendar
from push.guides.models import Guide

ENTERPRISE_WORDS = ("企业", "工业", "公司", "商户")


def is_enterprise_policy(policy: Policy) -> bool:
    """A policy for firms: it has push facets, or its title or beneficiaries name firms."""
    facets = policy.industries_include or policy.sizes or policy.qualifications
    text = f"{policy.title}{policy.beneficiaries or ''}"
    return bool(facets) or any(w in text for w in ENTERPRISE_WORDS)


@dataclass
class Overdue:
    """A policy whose guide is late."""

    policy_id: int
    title: str
    department: str
    published: date
    due: date
    days_late: int  # working days past the due day

    def to_dict(self) -> dict:
        """The JSON shape."""
        return {**self.__dict__, "published": self.published.isoformat(),
                "due": self.due.isoformat()}


def overdue_guides(*, session: Session, today: date, days: int,
                   department_id: int | None = None) -> list[Overdue]:
    """Enterprise policies published more than ``days`` working days ago without a guide."""
    calendar = Calendar.load(session)
    first = dict(session.exec(select(PolicyVersion.policy_id, func.min(PolicyVersion.published_at))
                              .group_by(col(PolicyVersion.policy_id))).all())
    guided = set(session.exec(select(Guide.policy_id)).all())
    departments = dict(session.exec(select(Department.id, Department.name)).all())
    query = select(Policy).where(Policy.status == Status.PUBLISHED,
                                 Policy.validity == Validity.VALID)
    if department_id is not None:
        query = query.where(Policy.department_id == department_id)
    out = []
    for policy in session.exec(query.order_by(col(Policy.id))):
        pid = key(policy)
        if pid in guided or not is_enterprise_policy(policy):
            continue
        published = county_day(aware(first.get(pid) or policy.created_at))
        due = calendar.add(published, days)
        if today > due:
            out.append(Overdue(pid, policy.title, departments.get(policy.department_id, ""),
                               published, due, calendar.between(due, today)))
    return out
