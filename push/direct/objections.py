"""The 异议 window of a 免申即享 application: it moves to 公示中 only after the window, and not
while the firm has an open objection to its figures."""

from datetime import date

from sqlmodel import Session, select

from kb.clock import aware
from push.applications.models import Application, Node
from push.direct.models import DirectPayment
from push.facts.models import DisputeStatus, FactDispute


def objection_block(*, session: Session, application: Application, first: Node, to: Node,
                    day: date) -> str | None:
    """Why the application may not move ``to`` on ``day`` yet, or None: a 免申即享 one (begun
    at 已核定) waits for its 异议 window before 公示中. Registered in pyproject.toml as a
    ``policykb.application_guards`` entry point, so push.applications never imports push.direct."""
    if to != Node.PUBLICITY or first != Node.APPROVED:
        return None
    payment = session.exec(select(DirectPayment).where(
        DirectPayment.application_id == application.id)).first()
    if payment is None:
        return None
    if payment.objection_until is not None and day <= payment.objection_until:
        return (f"异议期至{payment.objection_until.isoformat()}，期满无异议后方可转入公示"
                f"（申报 {application.ref}）")
    since = aware(payment.created_at)
    for d in session.exec(select(FactDispute).where(
            FactDispute.firm_id == application.firm_id, FactDispute.status == DisputeStatus.OPEN)):
        created = aware(d.created_at)
        if created >= since:
            return f"企业对数据提出了异议（{d.reason[:50]}），请{d.source}核实处理后再公示"
    return None
