"""Application statistics per policy or department: nodes, days per node, on-time shares, amounts."""

import csv
import io
import math
import statistics
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from kb.clock import county_today
from kb.database.db import key
from kb.models import Department, Policy
from push.applications.models import NODE_LABELS, Application, ApplicationMove, Node
from push.applications.views import steps_of
from push.calendar.days import Calendar

TIMED = (Node.SUBMITTED, Node.ACCEPTED, Node.REVIEWING, Node.PUBLICITY, Node.APPROVED)


def p90(values: list[int]) -> int | None:
    """The 90th percentile by nearest rank (a value that occurred, as staff can check by hand)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


@dataclass
class NodeStats:
    """Stays at one node: working days of those that left it, and how many kept the promise."""

    days: list[int] = field(default_factory=list)
    on_time: int = 0
    judged: int = 0  # left the node, or still there past the promise

    def to_dict(self) -> dict:
        """Median, 90th percentile and on-time share."""
        return {"stays": len(self.days),
                "median_days": statistics.median(self.days) if self.days else None,
                "p90_days": p90(self.days),
                "on_time_share": round(self.on_time / self.judged, 4) if self.judged else None}


@dataclass
class StatsRow:
    """Statistics for one policy or department."""

    key: int | None
    label: str
    at_node: dict[str, int] = field(default_factory=lambda: {n.value: 0 for n in Node})
    nodes: dict[str, NodeStats] = field(default_factory=lambda: {n.value: NodeStats()
                                                                 for n in TIMED})
    applications: int = 0
    approved_amount: float = 0.0
    paid_amount: float = 0.0

    def to_dict(self) -> dict:
        """JSON shape of ``applications stats``."""
        return {"key": self.key, "label": self.label, "applications": self.applications,
                "at_node": self.at_node,
                "days": {k: v.to_dict() for k, v in self.nodes.items()},
                "approved_amount": round(self.approved_amount, 4),
                "paid_amount": round(self.paid_amount, 4)}


def stats(*, session: Session, by: str = "policy", today: date | None = None) -> list[StatsRow]:
    """One row per policy (or department) that has applications, busiest first."""
    today = today or county_today()
    calendar = Calendar.load(session)
    titles = dict(session.exec(select(Policy.id, Policy.title)).all())
    departments = dict(session.exec(select(Department.id, Department.name)).all())
    moves: dict[int, list[ApplicationMove]] = {}
    for move in session.exec(select(ApplicationMove).order_by(
            col(ApplicationMove.application_id), col(ApplicationMove.seq))):
        moves.setdefault(move.application_id, []).append(move)
    rows: dict[int | None, StatsRow] = {}
    for app in session.exec(select(Application)):
        if by == "department":
            group, label = app.department_id, departments.get(app.department_id, "未指定部门")
        else:
            group, label = app.policy_id, titles.get(app.policy_id, f"政策{app.policy_id}")
        row = rows.setdefault(group, StatsRow(group, label))
        row.applications += 1
        row.at_node[app.node.value] += 1
        row.approved_amount += app.amount_approved or 0
        row.paid_amount += app.amount_paid or 0
        for step in steps_of(moves.get(key(app), []), calendar, today):
            node = row.nodes.get(step.move.node.value)
            if node is None or step.move.correction:
                continue  # a correction's stay belongs to the mistaken move before it
            if step.left_on is not None:
                node.days.append(step.actual_days)
            if step.left_on is not None or step.overdue:
                node.judged += 1
                node.on_time += not step.overdue
    return sorted(rows.values(), key=lambda r: (-r.applications, r.label))


def stats_text(rows: list[StatsRow]) -> str:
    """The statistics as lines a clerk reads in a terminal: one block per policy or department."""
    if not rows:
        return "还没有申报。\n"
    out = []
    for r in rows:
        waiting = "、".join(f"{NODE_LABELS[n]} {r.at_node[n.value]}" for n in Node
                           if r.at_node[n.value])
        out.append(f"{r.label}：共 {r.applications} 件（当前：{waiting or '无'}）；"
                   f"核定 {round(r.approved_amount, 4):g} 万元，拨付 {round(r.paid_amount, 4):g} 万元")
        for n in TIMED:
            d = r.nodes[n.value].to_dict()
            if not d["stays"]:
                continue
            share = "" if d["on_time_share"] is None else f"，按时率 {d['on_time_share']:.0%}"
            out.append(f"  {NODE_LABELS[n]}：{d['stays']} 件办结，用时中位 {d['median_days']:g} 个工作日，"
                       f"90分位 {d['p90_days']:g}{share}")
    return "\n".join(out) + "\n"


def stats_csv(rows: list[StatsRow]) -> str:
    """The statistics as CSV with Chinese headers (UTF-8 with BOM, for Excel)."""
    out = io.StringIO()
    writer = csv.writer(out)
    head = ["编号", "名称", "申报件数", *(f"{NODE_LABELS[n]}件数" for n in Node)]
    for n in TIMED:
        head += [f"{NODE_LABELS[n]}用时中位数", f"{NODE_LABELS[n]}用时90分位",
                 f"{NODE_LABELS[n]}按时率"]
    writer.writerow([*head, "核定金额（万元）", "拨付金额（万元）"])
    for r in rows:
        line = [r.key if r.key is not None else "", r.label, r.applications,
                *(r.at_node[n.value] for n in Node)]
        for n in TIMED:
            d = r.nodes[n.value].to_dict()
            line += ["" if d["median_days"] is None else d["median_days"],
                     "" if d["p90_days"] is None else d["p90_days"],
                     "" if d["on_time_share"] is None else d["on_time_share"]]
        writer.writerow([*line, round(r.approved_amount, 4), round(r.paid_amount, 4)])
    return "\ufeff" + out.getvalue()

