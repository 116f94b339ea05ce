"""Each move becomes one outbox row per firm channel, in the move's own transaction."""

from sqlmodel import Session, select

from kb.database.db import insert_ignore
from kb.models import Policy
from push.applications.models import NODE_LABELS, Application, ApplicationMove, Node
from push.delivery.models import Push, PushKind, PushStatus, Subscription
from push.delivery.subscriptions import firm_channels
from push.firms.models import Firm


def notice_key(*, firm_id: int, move_id: int, channel: str) -> str:
    """The idempotency key of a move's notice on one channel."""
    return f"ap-{firm_id}-m{move_id}-{channel}"


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
    firm = session.get(Firm, application.firm_id)
    sub = session.exec(select(Subscription).where(Subscription.firm_id == firm.id)).first()
    rows = [{
        "key": notice_key(firm_id=firm.id, move_id=move.id, channel=channel),
        "firm_id": firm.id, "channel": channel, "status": PushStatus.PENDING,
        "due_at": move.at, "attempts": 0, "created_at": move.at, "policy_id": policy.id,
        "version": move.id, "kind": PushKind.APPLICATION, "title": policy.title,
        "doc_number": policy.doc_number, "department_id": application.department_id,
        "reasons": notice_lines(application, move), "changes": [], "themes": [],
        "deadline": None, "digest_slot": None,
    } for channel in firm_channels(firm=firm, sub=sub)]
    return insert_ignore(session, Push, rows)
