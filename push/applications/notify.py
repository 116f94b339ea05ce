"""Each move becomes a notice to the firm, written by the outbox in the move's own transaction."""

from sqlmodel import Session

from kb.database.db import get_or_missing, key
from kb.models import Policy
from push.applications.models import NODE_LABELS, Application, ApplicationMove, Node
from push.delivery.models import PushKind
from push.delivery.outbox import Notice, enqueue
from push.firms.models import Firm


def notice_lines(application: Application, move: ApplicationMove) -> list[str]:
    """The notice's lines: tracking number, node, time, handler, note and what to know."""
    lines = [f"申报编号：{application.ref}",
             f"当前节点：{NODE_LABELS[move.node]}" + ("（更正）" if move.correction else "")]
    lines.append(f"办理部门：{move.department or '—'}；经办：{move.handler or '—'}")
    if move.amount is not None and move.node in (Node.APPROVED, Node.PAID):
        what = "核定金额" if move.node == Node.APPROVED else "拨付金额"
        lines.append(f"{what}：{move.amount:g}万元")
    if move.note:
        lines.append(f"说明：{move.note}")
    if move.supply_by:
        lines.append(f"补正期限：{move.supply_by.isoformat()}")
    elif move.due:
        lines.append(f"承诺办结：{move.due.isoformat()}前（{move.promised_days}个工作日）")
    lines.append(f"您需要知道：{move.know.get('tip', '')}")
    if move.know.get("contact"):
        lines.append(f"咨询：{move.know['contact']}")
    return lines


def notify_move(*, session: Session, application: Application, move: ApplicationMove,
                policy: Policy) -> int:
    """Queue the move's notice on each of the firm's channels; a replay adds nothing."""
    firm = get_or_missing(session, Firm, application.firm_id,
                          f"没有编号为 {application.firm_id} 的企业")
    told = move.amount is not None and move.node in (Node.APPROVED, Node.PAID)
    return enqueue(session=session, policy=policy, kind=PushKind.APPLICATION, version=key(move),
                   notices=[Notice(firm, notice_lines(application, move), told_amount=told)],
                   now=move.at, department_id=application.department_id)
