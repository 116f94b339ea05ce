"""免申即享 lists as people read them: the index of lists, and one list with its firms, amounts,
formulas and the facts used (the CLI's JSON, the API and the staff pages share these)."""

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from kb.database.db import key
from kb.models import Policy
from push.direct.diff import firm_names
from push.direct.models import LIST_STATUS_LABELS, DirectList
from push.direct.service import entries, formula_of, list_calculator
from push.facts.catalog import Catalog, value_text
from push.guides.models import Guide, GuideMode


@dataclass
class ListRow:
    """One list in the index: the list, its policy's title and its status in words."""

    lst: DirectList
    title: str

    @property
    def status_label(self) -> str:
        """待审核, 待发布, 已发布, 已退回."""
        return LIST_STATUS_LABELS[self.lst.status]


def list_index(*, session: Session, department_id: int | None) -> list[ListRow]:
    """The department's lists (every department's for None), newest first."""
    query = select(DirectList, Policy.title).join(Policy,
                                                  col(Policy.id) == col(DirectList.policy_id))
    if department_id is not None:
        query = query.where(DirectList.department_id == department_id)
    return [ListRow(lst, title) for lst, title in session.exec(query.order_by(col(DirectList.id).desc()))]


def direct_policies(*, session: Session, department_id: int | None) -> list[Policy]:
    """Policies with a published 免申即享 guide, for the generate form."""
    query = select(Policy).join(Guide, col(Guide.policy_id) == col(Policy.id)).where(
        Guide.mode == GuideMode.DIRECT)
    if department_id is not None:
        query = query.where(Policy.department_id == department_id)
    return list(session.exec(query.order_by(Policy.title)))


def facts_text(catalog: Catalog, facts: dict[str, Any]) -> list[str]:
    """The frozen facts of an entry in words: 2025年新增设备投资 800万元 (missing: 无数据)."""
    out = []
    for ref, value in sorted(facts.items()):
        name, _, year = ref.rpartition("@")
        fact = catalog.find(name)
        label = fact.label if fact else name
        shown = "无数据" if value is None else (value_text(fact, value) if fact else str(value))
        out.append(f"{year}年{label} {shown}")
    return out


def list_dict(session: Session, lst: DirectList, with_entries: bool = True,
              limit: int | None = None) -> dict:
    """A list as JSON: header, difference and (optionally, the first ``limit``) entries named."""
    out: dict[str, Any] = {
        "id": lst.id, "policy_id": lst.policy_id, "period": lst.period, "status": lst.status,
        "firms": lst.firms, "total": lst.total, "diff": lst.diff,
        "generated_by": lst.generated_by, "reviewed_by": lst.reviewed_by,
        "published_by": lst.published_by, "comment": lst.comment}
    if with_entries:
        rows = entries(session=session, list_id=key(lst))
        out["entry_count"] = len(rows)
        rows = rows if limit is None else rows[:limit]
        ids = sorted({e.firm_id for e in rows})
        names = firm_names(session, ids)
        catalog = Catalog.load(session)
        calc = list_calculator(session, lst) if rows else None  # once, not per entry
        out["entries"] = [{"uscc": names[e.firm_id][0], "name": names[e.firm_id][1],
                           "measure": e.measure, "amount": e.amount,
                           "formula": e.formula or formula_of(session=session, lst=lst, entry=e,
                                                              calc=calc),
                           "facts": e.facts, "facts_text": facts_text(catalog, e.facts)}
                          for e in rows]
    return out
