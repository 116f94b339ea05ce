"""What changed since the previous list of the same policy and period: firms added, removed, and
with a different amount (the facts may have been corrected or imported in between)."""

from collections import defaultdict

from sqlmodel import Session, col, func, select

from kb.database.db import chunks, id_column, key
from push.direct.models import DirectEntry, DirectList
from push.firms.models import Firm


def previous_list(*, session: Session, policy_id: int, period: str,
                  before: int | None = None) -> DirectList | None:
    """The latest list of the policy and period (generated before list ``before``, if given)."""
    query = select(DirectList).where(DirectList.policy_id == policy_id, DirectList.period == period)
    if before is not None:
        query = query.where(col(DirectList.id) < before)
    return session.exec(query.order_by(col(DirectList.id).desc())).first()


def firm_totals(session: Session, list_id: int) -> dict[int, float]:
    """Each firm's amount on a list, its measures summed."""
    rows = session.exec(select(DirectEntry.firm_id, func.sum(DirectEntry.amount))
                        .where(DirectEntry.list_id == list_id).group_by(col(DirectEntry.firm_id)))
    return {f: round(a, 2) for f, a in rows}


def firm_names(session: Session, ids: list[int]) -> dict[int, tuple[str, str]]:
    """Each firm's (credit code, name) by id."""
    out: dict[int, tuple[str, str]] = {}
    for chunk in chunks(ids):
        out.update((i, (u, n)) for i, u, n in session.exec(
            select(id_column(Firm.id), Firm.uscc, Firm.name).where(col(Firm.id).in_(chunk))))
    return out


def against_previous(*, session: Session, previous: DirectList | None,
                     now: dict[int, float]) -> dict | None:
    """The difference of ``now`` (firm → amount) from the previous list; None without one."""
    if previous is None:
        return None
    before = firm_totals(session, key(previous))
    added = sorted(set(now) - set(before))
    removed = sorted(set(before) - set(now))
    changed = sorted(f for f in set(now) & set(before) if abs(now[f] - before[f]) >= 0.005)
    names = firm_names(session, added + removed + changed)
    blank = ("", "")
    firm = defaultdict(lambda: blank, names)

    def who(f: int) -> dict:
        return {"firm_id": f, "uscc": firm[f][0], "name": firm[f][1]}

    return {"list_id": previous.id, "status": previous.status,
            "added": [who(f) | {"amount": now[f]} for f in added],
            "removed": [who(f) | {"amount": before[f]} for f in removed],
            "changed": [who(f) | {"before": before[f], "after": now[f]} for f in changed],
            "unchanged": len(set(now) & set(before)) - len(changed)}
