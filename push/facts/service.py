"""A firm's own facts as shown to it, and its disputes, which go to the supplying department."""

from sqlmodel import Session, col, select

from kb.database.db import key
from kb.errors import InvalidInput, NotFound
from push.facts.catalog import Catalog, value_text
from push.facts.models import DisputeStatus, FactDispute, FirmFact

MAX_REASON_CHARS = 500


def firm_facts(*, session: Session, firm_id: int) -> list[dict]:
    """Every fact of a firm, newest year first, with label, text, source and import date."""
    catalog = Catalog.load(session)
    rows = session.exec(select(FirmFact).where(FirmFact.firm_id == firm_id).order_by(
        col(FirmFact.year).desc(), col(FirmFact.name)))
    disputed: set[int] = set()
    outcome: dict[int, str] = {}  # the latest settled dispute per figure, for the firm to read
    for fact_id, status, resolution in session.exec(select(
            FactDispute.fact_id, FactDispute.status, FactDispute.resolution).where(
            FactDispute.firm_id == firm_id).order_by(col(FactDispute.id))):
        if status == DisputeStatus.OPEN:
            disputed.add(fact_id)
        else:
            outcome[fact_id] = resolution or "已处理"
    out = []
    for f in rows:
        fact, fid = catalog.find(f.name), key(f)
        out.append({"id": fid, "name": f.name, "label": fact.label if fact else f.name,
                    "year": f.year, "value": f.value["v"],
                    "text": value_text(fact, f.value["v"]) if fact else str(f.value["v"]),
                    "source": f.source, "imported_at": f.imported_at.isoformat(),
                    "disputed": fid in disputed, "outcome": outcome.get(fid)})
    return out


def dispute(*, session: Session, firm_id: int, fact_id: int, reason: str) -> FactDispute:
    """Record a firm's objection to one of its own facts, for the source department's queue."""
    fact = session.get(FirmFact, fact_id)
    if fact is None or fact.firm_id != firm_id:
        raise NotFound(f"没有编号为{fact_id}的本企业数据")
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("请说明哪里不对、正确的数值是多少")
    if len(text) > MAX_REASON_CHARS:
        raise InvalidInput(f"说明不能超过{MAX_REASON_CHARS}字（现有{len(text)}字）")
    open_one = session.exec(select(FactDispute).where(
        FactDispute.fact_id == fact_id, FactDispute.status == DisputeStatus.OPEN)).first()
    if open_one is not None:
        return open_one  # one open objection per figure: a second click adds nothing
    row = FactDispute(fact_id=key(fact), firm_id=firm_id, department_id=fact.department_id,
                      source=fact.source, reason=text)
    session.add(row)
    session.flush()
    return row
