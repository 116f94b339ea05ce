"""A department settles a firm's dispute: accept with the corrected value, or reject with a reason."""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from kb.authoring.workflow import Staff, require_department
from kb.database.db import get_or_missing, key
from kb.errors import Conflict, InvalidInput, PermissionDenied
from kb.models import Department, utcnow
from kb.staff import audit
from kb.staff.models import Role
from push.facts.catalog import Catalog, parse_value, value_text
from push.facts.models import DisputeStatus, FactDispute, FirmFact
from push.facts.service import MAX_REASON_CHARS
from push.firms.models import Firm

ACCEPTED, REJECTED = "已采纳", "未采纳"  # how a resolution starts: the firm reads the outcome
RESOLVERS = (Role.HANDLER, Role.DRAFTER, Role.REVIEWER, Role.PUBLISHER, Role.ADMIN)  # not 坐席


@dataclass
class DisputeRow:
    """A dispute with what a queue shows: the firm, the fact, its value and year."""

    dispute: FactDispute
    uscc: str
    firm: str
    label: str
    year: int
    value: str

    def to_dict(self) -> dict:
        """The JSON shape of ``policykb facts disputes --json`` and the API."""
        d = self.dispute
        return {"id": d.id, "status": d.status, "uscc": self.uscc, "firm": self.firm,
                "fact_id": d.fact_id, "fact": self.label, "year": self.year, "value": self.value,
                "source": d.source, "department_id": d.department_id, "reason": d.reason,
                "created_at": d.created_at.isoformat(), "resolution": d.resolution,
                "resolved_at": d.resolved_at.isoformat() if d.resolved_at else None}


def queue(*, session: Session, department_id: int | None,
          status: DisputeStatus | None = DisputeStatus.OPEN) -> list[DisputeRow]:
    """A department's disputes (every department's for None), oldest first, with firm and fact."""
    query = select(FactDispute, FirmFact, Firm).join(
        FirmFact, col(FirmFact.id) == col(FactDispute.fact_id)).join(
        Firm, col(Firm.id) == col(FactDispute.firm_id))
    if status is not None:
        query = query.where(FactDispute.status == status)
    if department_id is not None:
        query = query.where(FactDispute.department_id == department_id)
    catalog = Catalog.load(session)
    out = []
    for d, fact, firm in session.exec(query.order_by(col(FactDispute.created_at), col(FactDispute.id))):
        known = catalog.find(fact.name)
        out.append(DisputeRow(d, firm.uscc, firm.name, known.label if known else fact.name,
                              fact.year, value_text(known, fact.value["v"]) if known
                              else str(fact.value["v"])))
    return out


def department_named(*, session: Session, name: str) -> int:
    """A department's id by its name; InvalidInput naming the unknown one."""
    dept = session.exec(select(Department.id).where(Department.name == name.strip())).first()
    if dept is None:
        raise InvalidInput(f"没有名为“{name.strip()}”的部门")
    return dept


def resolve_dispute(*, session: Session, staff: Staff, dispute_id: int, accept: str | None = None,
                    reject: str | None = None) -> FactDispute:
    """Close an open dispute of the user's department: correct the figure, or say why not."""
    row = get_or_missing(session, FactDispute, dispute_id, f"没有编号为{dispute_id}的异议")
    if not staff.user.active or not any(staff.user.has(r) for r in RESOLVERS):
        raise PermissionDenied("处理企业数据异议需要经办人、拟稿人、审核人、发布人或管理员角色")
    require_department(session, staff.user, row.department_id)
    if row.status != DisputeStatus.OPEN:
        raise Conflict(f"异议{row.id}已处理（{row.resolution}），不能再次处理")
    if (accept is None) == (reject is None):
        raise InvalidInput("请选择采纳（填写更正后的数值）或不予采纳（填写理由），二者选一")
    fact = get_or_missing(session, FirmFact, row.fact_id, f"没有编号为{row.fact_id}的企业数据")
    known = Catalog.load(session).find(fact.name)
    old = value_text(known, fact.value["v"]) if known else str(fact.value["v"])
    detail: dict = {"fact_id": key(fact), "firm_id": row.firm_id, "fact": fact.name,
                    "year": fact.year, "old": fact.value["v"]}
    if accept is not None:
        if known is None:
            raise InvalidInput(f"事实“{fact.name}”已不在事实目录中，无法更正")
        if not accept.strip():
            raise InvalidInput("采纳时请填写更正后的数值")
        try:
            value = parse_value(known, accept)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        fact.value, fact.imported_at, fact.file = {"v": value}, utcnow(), f"异议{row.id}更正"
        session.add(fact)
        row.resolution = f"{ACCEPTED}：{known.label}更正为{value_text(known, value)}（原为{old}）"
        detail |= {"accepted": True, "new": value}
    else:
        text = (reject or "").strip()  # not None: one of the two was given
        if not text:
            raise InvalidInput("不予采纳时请填写理由")
        if len(text) > MAX_REASON_CHARS:
            raise InvalidInput(f"理由不能超过{MAX_REASON_CHARS}字（现有{len(text)}字）")
        row.resolution = f"{REJECTED}：{text}（{known.label if known else fact.name}仍为{old}）"
        detail |= {"accepted": False, "reason": text}
    row.status, row.resolved_at = DisputeStatus.RESOLVED, utcnow()
    session.add(row)
    audit.record(session=session, actor=staff.actor, action="fact.dispute.resolve",
                 record_kind="factdispute", record_id=row.id, detail=detail)
    return row
