"""The reach funnel (pushed → delivered → opened → clicked → 已申报 → 已核定 → 已拨付) and the overview."""

from dataclasses import dataclass, field

import sqlalchemy
from sqlmodel import Session, col, func, select

from kb.csvout import csv_text
from kb.models import Department, Policy
from push.applications.models import Application, Node
from push.delivery.models import (
    ChannelState,
    Digest,
    FirmPolicyMark,
    Mark,
    Push,
    PushKind,
    PushStatus,
)
from push.firms.models import Firm

STAGES = ("pushed", "delivered", "opened", "clicked", "applied", "approved", "paid")
STAGE_LABELS = {"pushed": "推送", "delivered": "送达", "opened": "打开", "clicked": "点击",
                "applied": "已申报", "approved": "已核定", "paid": "已拨付"}


@dataclass
class FunnelRow:
    """Distinct firms reaching each stage, for one policy or one department."""

    key: int | None
    label: str
    firms: dict[str, set[int]] = field(default_factory=lambda: {s: set() for s in STAGES})

    def __getattr__(self, name: str) -> int:
        if name in STAGES:
            return len(self.firms[name])
        raise AttributeError(name)

    def to_dict(self) -> dict:
        """Counts per stage."""
        return {"key": self.key, "label": self.label, **{s: getattr(self, s) for s in STAGES}}


def funnel(*, session: Session, by: str = "policy") -> list[FunnelRow]:
    """Funnel rows per policy (or department), counting each firm once per stage."""
    policies = {p.id: p for p in session.exec(select(Policy))}
    departments = {d.id: d.name for d in session.exec(select(Department))}
    applied = {(m.firm_id, m.policy_id) for m in session.exec(
        select(FirmPolicyMark).where(FirmPolicyMark.mark == Mark.APPLIED))}
    # An application registered with the department counts as 已申报 even without the firm's mark.
    reached: dict[str, set[tuple[int, int]]] = {"approved": set(), "paid": set()}
    for firm_id, policy_id, node, approved in session.exec(select(
            Application.firm_id, Application.policy_id, Application.node,
            Application.amount_approved)):
        applied.add((firm_id, policy_id))
        if node == Node.PAID:
            reached["paid"].add((firm_id, policy_id))
        if node == Node.PAID or approved is not None:
            reached["approved"].add((firm_id, policy_id))
    rows: dict[int | None, FunnelRow] = {}
    # SQLAlchemy's select: SQLModel's is typed for at most four columns.
    query = sqlalchemy.select(col(Push.policy_id), col(Push.firm_id), col(Push.status),
                              col(Push.opened_at), col(Push.clicked_at))
    for policy_id, firm_id, status, opened, clicked in session.execute(
            query.where(col(Push.status) != PushStatus.CANCELLED,
                        col(Push.kind) != PushKind.APPLICATION)):
        policy = policies.get(policy_id)
        if by == "department":
            key = policy.department_id if policy else None
            label = departments.get(key, "未指定部门")
        else:
            key, label = policy_id, (policy.title if policy else f"政策{policy_id}")
        row = rows.setdefault(key, FunnelRow(key, label))
        row.firms["pushed"].add(firm_id)
        if status == PushStatus.DELIVERED:
            row.firms["delivered"].add(firm_id)
        if opened or clicked:
            row.firms["opened"].add(firm_id)
        if clicked:
            row.firms["clicked"].add(firm_id)
        if (firm_id, policy_id) in applied:
            row.firms["applied"].add(firm_id)
        for stage, pairs in reached.items():
            if (firm_id, policy_id) in pairs:
                row.firms[stage].add(firm_id)
    return sorted(rows.values(), key=lambda r: (-r.pushed, r.label))


def funnel_csv(rows: list[FunnelRow]) -> str:
    """The funnel as CSV with Chinese headers (UTF-8, opens in Excel with the BOM)."""
    return csv_text(["编号", "名称", *(STAGE_LABELS[s] for s in STAGES)],
                    ([r.key, r.label, *(getattr(r, s) for s in STAGES)] for r in rows))


@dataclass
class Overview:
    """What the staff page shows besides the funnel."""

    failing: list[Push]
    dead: list[Push | Digest]
    suspended: list[tuple[ChannelState, str]]
    counts: dict[str, int]
    firms: int = 0  # firms in the registry
    preview: list[tuple[Push, str]] = field(default_factory=list)  # the first policy pushes, firm name


def overview(*, session: Session, limit: int = 200) -> Overview:
    """Failing (being retried) and dead-lettered pushes, suspended channels, counts by status."""
    failing = list(session.exec(select(Push).where(
        Push.status == PushStatus.PENDING, Push.attempts > 0).order_by(col(Push.due_at))
        .limit(limit)))
    dead_pushes = session.exec(select(Push).where(Push.status == PushStatus.DEAD)
                               .order_by(col(Push.id).desc()).limit(limit)).all()
    dead: list[Push | Digest] = [*dead_pushes, *session.exec(
        select(Digest).where(Digest.status == PushStatus.DEAD).limit(limit)).all()]
    names = dict(session.exec(select(Firm.id, Firm.name)).all())
    suspended = [(s, names.get(s.firm_id, "?")) for s in session.exec(
        select(ChannelState).where(col(ChannelState.suspended_at).is_not(None)))]
    counts = {str(status): n for status, n in session.exec(
        select(Push.status, func.count()).group_by(Push.status))}
    preview = [(p, names.get(p.firm_id, "?")) for p in session.exec(
        select(Push).where(Push.kind == PushKind.NEW).order_by(col(Push.id)).limit(5))]
    return Overview(failing, dead, suspended, counts, firms=len(names), preview=preview)
