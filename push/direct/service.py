"""免申即享 lists: generate from the facts, review, publish (each firm paid once per measure).

A list is frozen when generated: the amounts and the facts used are stored with it, so a later
import changes nothing already reviewed. Publishing inserts one ``DirectPayment`` per (policy,
measure, period, firm) with insert-or-ignore on that unique key and creates applications only
for the rows it actually inserted: publishing again, or a re-run list, never pays anyone twice.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypedDict

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from kb.authoring.workflow import Staff, require_department, require_role
from kb.clock import county_today
from kb.database.db import chunks, get_or_missing, id_column, key, table_of
from kb.errors import Conflict, InvalidInput, PermissionDenied
from kb.models import Policy, utcnow
from kb.staff import audit
from kb.staff.audit import Actor
from kb.staff.models import Role
from push.applications.service import create_direct
from push.calendar.days import Calendar
from push.direct.diff import against_previous, previous_list
from push.direct.models import DirectEntry, DirectList, DirectPayment, ListStatus
from push.facts.catalog import Catalog
from push.facts.sheet import FactSheet, sheets_for
from push.firms.models import Firm
from push.guides.calculator import Calculator, money
from push.guides.models import Guide, GuideMode
from push.guides.quick import quick_amounts
from push.guides.service import calculator_for, guide_of
from push.matching.columnar import FirmColumns, match_columns
from push.matching.facets import compile_policy

OBJECTION_DAYS = 5  # working days a firm has to object (异议) before 公示
_PERIOD = re.compile(r"^(\d{4})(?:-[A-Za-z0-9]{1,10})?$")


class _Entry(TypedDict):
    """One entry of a list being generated, as inserted (with its list's id added)."""

    firm_id: int
    measure: str
    amount: float
    formula: str
    facts: dict[str, Any]


def parse_period(period: str) -> tuple[str, int]:
    """``2026`` or ``2026-H1``: the period and its application year."""
    text = (period or "").strip()
    m = _PERIOD.match(text)
    if not m:
        raise InvalidInput(f"期次应为年份（如 2026）或年份加期号（如 2026-H1）：{period}")
    return text, int(m.group(1))


def direct_policy(session: Session, policy_id: int) -> tuple[Policy, Guide]:
    """The policy and its guide, which must be 免申即享."""
    policy = get_or_missing(session, Policy, policy_id, f"没有编号为 {policy_id} 的政策")
    guide = guide_of(session=session, policy_id=policy_id)
    if guide is None or guide.mode != GuideMode.DIRECT:
        raise Conflict(f"政策《{policy.title}》没有已发布的免申即享申兑指南")
    return policy, guide


def _candidates(session: Session, policy: Policy, today: date) -> list[int]:
    """Firms the policy's facets fit (industry, size, region, qualifications), by the columns."""
    spec = compile_policy(policy, today)
    spec.gates = [c for c in spec.gates if c.key != "window"]  # nobody applies: no window
    if not spec.open:
        reasons = "；".join(c.detail for c in spec.gates if not c.met)
        raise Conflict(f"政策《{policy.title}》当前不能兑现：{reasons}")
    if not (spec.include or spec.exclude or spec.sizes or spec.regions or spec.qualifications):
        # Every firm: no facet.
        return list(session.exec(select(id_column(Firm.id)).order_by(col(Firm.id))).all())
    cols = FirmColumns.from_session(session)
    return cols.ids[match_columns(cols, spec).eligible].tolist()


def _paid(session: Session, policy_id: int, period: str) -> dict[tuple[int, str], float]:
    rows = session.exec(select(DirectPayment.firm_id, DirectPayment.measure, DirectPayment.amount)
                        .where(DirectPayment.policy_id == policy_id, DirectPayment.period == period))
    return {(f, m): a for f, m, a in rows}


def evaluate_firms(*, session: Session, policy: Policy, calc: Calculator, year: int,
                   today: date | None = None
                   ) -> list[tuple[int, dict[str, Decimal], dict[str, Any]]]:
    """Every firm the rules pay in ``year``: (firm id, amount per measure, the facts used)."""
    ids = _candidates(session, policy, today or county_today())
    reads = sorted(calc.rules.facts())
    sheets = sheets_for(session=session, names={n for n, _ in reads},
                        years={year + y for _, y in reads},
                        firm_ids=ids if len(ids) < 5000 else None)  # a big list reads the lot
    quals: dict[int, list[str]] = {}
    if any(c.qualification for c in calc.rules.all_conditions()):
        quals = dict(session.exec(select(id_column(Firm.id), col(Firm.qualifications))).all())
    empty = FactSheet()
    staged = any(m.instalments for m in calc.rules.measures)  # needs per-instalment detail
    out = []
    for firm_id in ids:
        sheet = sheets.get(firm_id, empty)
        if not sheet.values and reads:
            continue  # no figure at all: nothing to pay (and nothing to compute)
        held = frozenset(quals.get(firm_id, ()))
        paying = _staged(calc, sheet, held, year) if staged else _quick(calc, sheet, held, year)
        paying = {k: a for k, a in paying.items() if a > 0}
        if paying:
            out.append((firm_id, paying,
                        {f"{name}@{year + y}": sheet.get(name, year + y) for name, y in reads}))
    return out


def generate(*, session: Session, policy_id: int, period: str, by: str = "系统",
             today: date | None = None) -> DirectList:
    """The eligible list for a period, frozen, with its difference from what was already paid."""
    period, year = parse_period(period)
    policy, guide = direct_policy(session, policy_id)
    calc = calculator_for(guide, policy, Catalog.load(session))
    rows = [_Entry(firm_id=firm_id, measure=measure, amount=float(money(amount)), formula="",
                   facts=used)  # the words: formula_of(), when shown
            for firm_id, paying, used in evaluate_firms(session=session, policy=policy, calc=calc,
                                                        year=year, today=today)
            for measure, amount in paying.items()]
    paid = _paid(session, key(policy), period)
    listed = {(r["firm_id"], r["measure"]): r["amount"] for r in rows}
    diff: dict[str, Any] = {
        "added": sum(k not in paid for k in listed),
        "changed": [{"firm_id": f, "measure": m, "paid": paid[(f, m)], "now": a}
                    for (f, m), a in listed.items() if (f, m) in paid and paid[(f, m)] != a],
        "dropped": [{"firm_id": f, "measure": m, "paid": a}
                    for (f, m), a in paid.items() if (f, m) not in listed],
        "already_paid": sum(k in paid for k in listed),
    }
    per_firm: dict[int, float] = defaultdict(float)
    for r in rows:
        per_firm[r["firm_id"]] += r["amount"]
    diff["previous"] = against_previous(  # what a re-run changed: facts corrected or imported
        session=session,
        previous=previous_list(session=session, policy_id=key(policy), period=period),
        now={f: round(a, 2) for f, a in per_firm.items()})
    lst = DirectList(policy_id=key(policy), department_id=policy.department_id, period=period,
                     year=year, firms=len({r["firm_id"] for r in rows}),
                     total=round(sum(r["amount"] for r in rows), 2), diff=diff, generated_by=by)
    session.add(lst)
    session.flush()
    list_id = key(lst)
    for chunk in chunks(rows, 2000):
        session.connection().execute(table_of(DirectEntry).insert(),  # Core: ~3x faster
                                     [{**r, "list_id": list_id} for r in chunk])
    return lst


def _quick(calc: Calculator, sheet: FactSheet, held: frozenset[str],
           year: int) -> dict[str, Decimal]:
    """Amounts per counted measure; a total cap shared out in proportion."""
    found = quick_amounts(calc.rules, sheet, held, year)
    if found is None:
        return {}
    amounts, total = found
    whole = sum(amounts.values(), Decimal(0))
    return amounts if whole == total else {k: a * total / whole for k, a in amounts.items()}


def _staged(calc: Calculator, sheet: FactSheet, held: frozenset[str],
            year: int) -> dict[str, Decimal]:
    """Like ``_quick``, paying of each measure only the instalments due in the period."""
    est = calc.estimate(sheet, held, year)
    if not est.eligible:
        return {}
    total = est.amount
    if total is None:  # measures pay but the total cap's fact is missing: nothing to share out
        raise ValueError(f"《{est.title}》的累计上限缺少数据，无法分摊各措施的金额")
    counted = [(m, m.amount) for m in est.measures if m.eligible and m.counted and m.amount]
    whole = sum((full for _, full in counted), Decimal(0))
    out: dict[str, Decimal] = {}
    for m, full in counted:
        amount = full if whole == total else full * total / whole
        if m.instalments:  # later instalments have their own conditions and years
            amount = sum((Decimal(str(i.amount)) for i in m.instalments
                          if i.year == year and i.status == "due"), Decimal(0)) * amount / full
        out[m.key] = amount
    return out


def list_calculator(session: Session, lst: DirectList) -> Calculator:
    """The calculator of the list's policy (build once to word many entries)."""
    policy, guide = direct_policy(session, lst.policy_id)
    return calculator_for(guide, policy, Catalog.load(session))


def formula_of(*, session: Session, lst: DirectList, entry: DirectEntry,
               calc: Calculator | None = None) -> str:
    """The entry's formula in words, recomputed from the facts frozen with it."""
    calc = calc or list_calculator(session, lst)
    sheet = FactSheet({(k.rsplit("@", 1)[0], int(k.rsplit("@", 1)[1])): v
                       for k, v in entry.facts.items() if v is not None})
    held = frozenset(c.qualification for c in calc.rules.all_conditions() if c.qualification)
    return calc.estimate(sheet, held, lst.year).formula  # qualifications were met when listed


def get_list(*, session: Session, list_id: int) -> DirectList:
    """A list by id, or NotFound."""
    return get_or_missing(session, DirectList, list_id, f"没有编号为 {list_id} 的免申即享名单")


def entries(*, session: Session, list_id: int) -> list[DirectEntry]:
    """A list's entries by firm."""
    return list(session.exec(select(DirectEntry).where(DirectEntry.list_id == list_id)
                             .order_by(col(DirectEntry.firm_id), col(DirectEntry.measure))))


def review(*, session: Session, staff: Staff, list_id: int, approve: bool = True,
           comment: str = "") -> DirectList:
    """A 审核人 of the department, not the one who generated it, passes or returns the list."""
    lst = get_list(session=session, list_id=list_id)
    require_role(staff.user, Role.REVIEWER)
    require_department(session, staff.user, lst.department_id)
    if lst.status != ListStatus.GENERATED:
        raise Conflict(f"名单{lst.id}当前为“{lst.status.value}”，只能审核待审核的名单")
    if staff.user.name == lst.generated_by or staff.user.username == lst.generated_by:
        raise PermissionDenied("不能审核自己生成的名单（生成、审核、发布须由不同人员完成）")
    if not approve and not comment.strip():
        raise InvalidInput("退回时请填写意见")
    lst.status = ListStatus.REVIEWED if approve else ListStatus.RETURNED
    lst.reviewed_by, lst.reviewed_at, lst.comment = staff.user.name, utcnow(), comment.strip() or None
    session.add(lst)
    audit.record(session=session, actor=staff.actor, action="direct.review", record_kind="directlist",
                 record_id=lst.id, detail={"approve": approve, "firms": lst.firms})
    return lst


@dataclass
class PublishReport:
    """What publishing did: new payments and applications, and what was already paid before."""

    list_id: int
    applications: list[str] = field(default_factory=list)  # tracking numbers
    paid_rows: int = 0
    already_paid: int = 0

    def to_dict(self) -> dict:
        """The JSON shape of ``policykb direct publish``."""
        return {"list_id": self.list_id, "applications": len(self.applications),
                "refs": self.applications, "new_payments": self.paid_rows,
                "already_paid": self.already_paid}


def _insert_payments(session: Session, rows: list[dict[str, Any]]) -> set[tuple[int, str]]:
    """Insert-or-ignore on the unique key; the (firm, measure) pairs RETURNING says are new."""
    maker = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = table_of(DirectPayment)
    new: set[tuple[int, str]] = set()
    for chunk in chunks(rows):
        stmt = maker(table).on_conflict_do_nothing().returning(table.c.firm_id, table.c.measure)
        new |= {(f, m) for f, m in session.connection().execute(stmt, chunk)}
    return new


def publish(*, session: Session, staff: Staff, list_id: int) -> PublishReport:
    """Pay the reviewed list: per firm one application at 已核定 and its notice; never twice."""
    lst = get_list(session=session, list_id=list_id)
    require_role(staff.user, Role.PUBLISHER)
    require_department(session, staff.user, lst.department_id)
    if lst.status not in (ListStatus.REVIEWED, ListStatus.PUBLISHED):
        raise Conflict(f"名单{lst.id}尚未审核通过，不能发布")
    if staff.user.name in (lst.generated_by, lst.reviewed_by):
        raise PermissionDenied("发布人不能是名单的生成人或审核人（生成、审核、发布须由不同人员完成）")
    policy = get_or_missing(session, Policy, lst.policy_id, f"没有编号为 {lst.policy_id} 的政策")
    now = utcnow()
    until = Calendar.load(session).add(county_today(now), OBJECTION_DAYS)
    rows = entries(session=session, list_id=key(lst))
    new = _insert_payments(session, [
        {"policy_id": lst.policy_id, "measure": e.measure, "period": lst.period, "firm_id": e.firm_id,
         "list_id": lst.id, "amount": e.amount, "objection_until": until, "created_at": now}
        for e in rows])
    report = PublishReport(key(lst), paid_rows=len(new), already_paid=len(rows) - len(new))
    by_firm: dict[int, list[DirectEntry]] = defaultdict(list)
    for e in rows:
        if (e.firm_id, e.measure) in new:
            by_firm[e.firm_id].append(e)
    actor = Actor.of(staff.user, staff.client)
    for firm_id, items in sorted(by_firm.items()):
        firm = get_or_missing(session, Firm, firm_id, f"没有编号为 {firm_id} 的企业")
        amount = round(sum(e.amount for e in items), 2)
        formula = items[0].formula or formula_of(session=session, lst=lst, entry=items[0])
        note = (f"免申即享：无需申报，已按{lst.period}年度数据核定{amount:g}万元（{formula}）。"
                f"如有异议请于{until.isoformat()}前在企业页面提出，期满无异议转入公示。")
        app = create_direct(session=session, actor=actor, firm=firm, policy=policy, amount=amount,
                            note=note[:1000], at=now)
        report.applications.append(app.ref)
        session.execute(table_of(DirectPayment).update().where(
            col(DirectPayment.policy_id) == lst.policy_id, col(DirectPayment.period) == lst.period,
            col(DirectPayment.firm_id) == firm_id, col(DirectPayment.application_id).is_(None))
            .values(application_id=app.id))
    lst.status, lst.published_by, lst.published_at = ListStatus.PUBLISHED, staff.user.name, now
    session.add(lst)
    audit.record(session=session, actor=actor, action="direct.publish", record_kind="directlist",
                 record_id=lst.id, detail=report.to_dict() | {"refs": len(report.applications)})
    return report
