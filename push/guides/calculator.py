"""The policy calculator: a firm's facts against a guide's rules, with the formula in words.

Amounts are Decimal 万元 rounded to 0.01 (100元). A fact absent for the year a rule reads is
*missing*: the result names it and gives no amount, never a zero.
"""

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from push.facts.catalog import Catalog, Fact, number_text, value_text
from push.facts.sheet import FactSheet
from push.guides.results import Check, Estimate, Instalment, MeasureResult, deciding
from push.guides.rules import (
    NUMERIC_OPS,
    Alternative,
    Benefit,
    Condition,
    GuideRules,
    Measure,
    given,
)

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def D(value: Any) -> Decimal:  # noqa: N802
    """A Decimal from a stored number (through str, so 0.06 stays 0.06)."""
    return Decimal(str(value))


def money(value: Decimal) -> Decimal:
    """Rounded to 0.01 万元."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def wan(value: Decimal) -> str:
    """An amount as words: 48万元, 1.8万元."""
    return f"{number_text(value)}万元"


def _paid(result: MeasureResult) -> Decimal:
    """The amount of a measure that pays (one found eligible always has one)."""
    if result.amount is None:
        raise ValueError(f"措施“{result.title}”符合条件却没有金额")
    return result.amount


class Calculator:
    """One guide's rules, ready to evaluate many firms."""

    def __init__(self, rules: GuideRules, catalog: Catalog, *, policy_id: int | None = None,
                 title: str = "", mode: str = "ordinary") -> None:
        self.rules, self.catalog = rules, catalog
        self.policy_id, self.title, self.mode = policy_id, title, mode

    # --- conditions -------------------------------------------------------------------

    def _label(self, name: str) -> str:
        fact = self.catalog.find(name)
        return fact.label if fact else name

    def _fact(self, name: str) -> Fact:
        """A fact the rules name: checked on save, so it must still be in the catalog."""
        fact = self.catalog.find(name)
        if fact is None:
            raise ValueError(f"申兑规则引用了未知的事实“{name}”（可用：{self.catalog.names()}）")
        return fact

    def _need(self, name: str, year: int, sheet: FactSheet) -> str:
        """The missing fact's name, and the years the firm has figures for (the wrong year)."""
        have = sheet.years(name)
        also = f"（已有{'、'.join(str(y) for y in have)}年数据）" if have else ""
        return f"{year}年{self._label(name)}{also}"

    def check(self, cond: Condition, sheet: FactSheet, held: frozenset[str], year: int) -> Check:
        """One condition against one firm in application year ``year``."""
        if cond.qualification is not None:
            q, has = cond.qualification, cond.qualification in held
            if cond.held:
                return Check(has, f"已具备{q}" if has else f"不具备{q}", None if has else f"需为{q}",
                             kind="qualifications")
            return Check(not has, f"已是{q}" if has else f"不属于{q}", f"需不属于{q}" if has else None,
                         kind="qualifications")
        if cond.all is not None or cond.any is not None:
            subs = [self.check(c, sheet, held, year) for c in (cond.all or cond.any or [])]
            text = "；".join(s.text for s in subs)
            if cond.all is not None:
                missing = [m for s in subs for m in s.missing]
                failed = deciding(subs)
                if failed:
                    return Check(False, text, "；".join(s.missed for s in failed if s.missed),
                                 missing, kind=failed[0].kind, unmet=sum(s.unmet for s in failed))
                met = True if all(s.met for s in subs) else None
                return Check(met, text, None, missing if met is None else [])
            fits = [s for s in subs if s.met]
            if fits:
                return Check(True, fits[0].text)
            closest = min(subs, key=lambda s: s.distance)  # the first listed on a tie
            if closest.met is None:  # nothing unmet on it: the data decides
                return Check(None, f"需满足其一：{closest.text}", None, closest.missing)
            return Check(False, text, f"需满足其一，最接近的一项：{closest.missed}",
                         closest.missing, kind=closest.kind, unmet=closest.unmet)
        name, op = given(cond.fact, "fact"), given(cond.op, "op")
        fact = self._fact(name)
        at = year + cond.year
        value = sheet.get(name, at)
        label = f"{at}年{fact.label}"
        if value is None:
            need = self._need(name, at, sheet)
            return Check(None, f"缺少{need}", None, [need])
        shown = value_text(fact, value)
        if op == "is":
            ok = bool(value) == cond.value
            want = "是" if cond.value else "否"
            return Check(ok, f"{label}：{shown}",
                         None if ok else f"{fact.label}为“{shown}”，需为“{want}”")
        if op == "has":
            ok = cond.value in value
            return Check(ok, f"{label}含{cond.value}", None if ok else f"{fact.label}需包含{cond.value}")
        v = D(value)
        if op == "between":
            lo, hi = D(cond.min), D(cond.max)
            want = f"{value_text(fact, lo)}至{value_text(fact, hi)}"
            if lo <= v <= hi:
                return Check(True, f"{label} {shown}，在{want}之间")
            gap = lo - v if v < lo else v - hi
            return Check(False, f"{label} {shown}",
                         f"{fact.label} {shown}，需在{want}之间（差 {value_text(fact, gap)}）", gap=float(gap))
        t = D(cond.value)
        ok = {">=": v >= t, ">": v > t, "<=": v <= t, "<": v < t, "==": v == t, "!=": v != t}[op]
        sign = NUMERIC_OPS[op]
        want = value_text(fact, t)
        if ok:
            return Check(True, f"{label} {shown} {sign} {want}")
        short = abs(t - v) if op not in ("==", "!=") else None
        by = f"（差 {value_text(fact, short)}）" if short else ""
        return Check(False, f"{label} {shown}", f"{fact.label} {shown}，需 {sign} {want}{by}",
                     gap=None if short is None else float(short))

    # --- benefits ---------------------------------------------------------------------

    def _base(self, b: Benefit, sheet: FactSheet, year: int) -> tuple[Decimal, str] | str:
        """The amount before floor and cap and its formula, or else the missing fact."""
        if b.kind == "fixed":
            return D(b.amount), f"定额 {wan(D(b.amount))}"
        at = year + b.year
        name = given(b.fact, "benefit.fact")
        value = sheet.get(name, at)
        if value is None:
            return self._need(name, at, sheet)
        fact = self._fact(name)
        v = D(value)
        shown = f"{fact.label} {value_text(fact, v)}"
        if b.kind == "rate":
            amount = money(v * D(b.rate) / HUNDRED)
            return amount, f"{shown} × {number_text(b.rate)}% = {wan(amount)}"
        if b.kind == "per_person":
            amount = money(v * D(b.per))
            return amount, f"{shown} × {wan(D(b.per))}/人 = {wan(amount)}"
        tiers = given(b.tiers, "benefit.tiers")
        tier = None
        for t in tiers:
            if v >= D(t.min):
                tier = t
        if tier is None:
            return Decimal(0), f"{shown}，未达到最低档（≥ {value_text(fact, D(tiers[0].min))}）"
        band = f"{shown}，适用“≥ {value_text(fact, D(tier.min))}”档"
        if tier.amount is not None:
            return D(tier.amount), f"{band}：{wan(D(tier.amount))}"
        amount = money(v * D(tier.rate) / HUNDRED)
        return amount, f"{band}：× {number_text(tier.rate)}% = {wan(amount)}"

    def measure(self, m: Measure, sheet: FactSheet, held: frozenset[str], year: int) -> MeasureResult:
        """One measure for one firm: along the branch that pays (the highest, if several) or else
        the closest one (see push.guides.results)."""
        common = [self.check(c, sheet, held, year) for c in m.conditions]
        tries = [self._along(m, alt, [*common, *(self.check(c, sheet, held, year)
                                                for c in alt.conditions)], sheet, year)
                 for alt in m.alternatives()]
        paying = [r for r in tries if r.eligible]
        if not paying:
            return min(tries, key=lambda r: r.distance)  # the first listed on a tie
        result = max(paying, key=_paid)  # the first listed on a tie
        paid = _paid(result)
        result.instalments = self._instalments(m, paid, sheet, held, year)
        if result.instalments:
            words = {"due": "", "pending": "（条件待核实）", "failed": "（条件未满足）"}
            result.formula += "，分期：" + "；".join(
                f"{i.year}年{i.label} {wan(D(i.amount))}{words[i.status]}" for i in result.instalments)
        expected = sum((D(i.amount) for i in result.instalments if i.status != "failed"),
                       Decimal(0)) if result.instalments else paid
        if expected != paid:
            result.formula += f"，其中可兑现 {wan(expected)}"
            result.amount = money(expected)
        return result

    def _along(self, m: Measure, alt: Alternative, checks: list[Check], sheet: FactSheet,
               year: int) -> MeasureResult:
        """The measure along one alternative whose conditions gave ``checks``."""
        result = MeasureResult(m.key, m.name, None, checks=checks, branch=alt.name)
        if any(c.met is False for c in checks):
            result.eligible = False
            return result
        base = self._base(alt.benefit, sheet, year)
        if isinstance(base, str):  # the missing fact
            checks.append(Check(None, f"缺少{base}", None, [base]))
            return result
        amount, formula = base
        if any(c.met is None for c in checks):
            return result
        b = alt.benefit
        if b.cap is not None and amount > D(b.cap):
            formula += f"，超过年度上限 {wan(D(b.cap))}，按 {wan(D(b.cap))}"
            amount = D(b.cap)
        elif b.cap is not None:
            formula += f"，未超过年度上限 {wan(D(b.cap))}"
        if b.floor is not None and amount < D(b.floor):
            formula += f"，低于保底 {wan(D(b.floor))}，按 {wan(D(b.floor))}"
            amount = D(b.floor)
        result.eligible = amount > 0
        if amount <= 0:
            checks.append(Check(False, formula, formula))
        if alt.name:
            formula = f"按{alt.name}条件，{formula}"
        result.amount, result.formula = money(amount), formula
        return result

    def _instalments(self, m: Measure, amount: Decimal, sheet: FactSheet, held: frozenset[str],
                     year: int) -> list[Instalment]:
        out, left = [], amount
        for n, inst in enumerate(m.instalments):
            part = D(inst.amount) if inst.amount is not None else money(amount * D(inst.share) / HUNDRED)
            if n == len(m.instalments) - 1 and inst.share is not None:
                part = left  # the last share takes the rounding remainder
            left -= part
            checks = [self.check(c, sheet, held, year) for c in inst.conditions]
            status = ("failed" if any(c.met is False for c in checks) else
                      "pending" if any(c.met is None for c in checks) else "due")
            words = [c.missed or c.text for c in checks]
            out.append(Instalment(inst.label, year + inst.offset, float(part), status, words))
        return out

    # --- a whole policy ---------------------------------------------------------------

    def estimate(self, sheet: FactSheet, held: frozenset[str] | set[str], year: int,
                 gates: Sequence[Check] = ()) -> Estimate:
        """Every measure, 就高不重复 and the total cap, for one firm in application year ``year``;
        ``gates``: what the policy asks before its rules (industry, size, region, qualifications,
        judged by push.matching): a failed one decides, and the rules are not read."""
        held = frozenset(held)
        if any(g.met is False for g in gates):
            measures = [MeasureResult(m.key, m.name, False) for m in self.rules.measures]
            return Estimate(self.policy_id, self.title, year, measures, None, "", {},
                            [g for g in gates if g.met is False], self.mode)
        policy_checks = [self.check(c, sheet, held, year) for c in self.rules.conditions]
        if any(c.met is not True for c in policy_checks):
            measures = [MeasureResult(m.key, m.name, False if any(
                c.met is False for c in policy_checks) else None) for m in self.rules.measures]
            return Estimate(self.policy_id, self.title, year, measures, None, "", {},
                            policy_checks, self.mode)
        measures = [self.measure(m, sheet, held, year) for m in self.rules.measures]
        by_key = {m.key: m for m in measures}
        words: list[str] = []
        for group in self.rules.combine.exclusive:
            paying = [by_key[k] for k in group if by_key[k].eligible]
            if len(paying) < 2:
                continue
            best = max(paying, key=_paid)  # the first listed wins a tie
            for r in paying:
                if r is not best:
                    r.counted = False
                    r.note = f"与“{best.title}”就高不重复，不计"
            others = "、".join(f"{r.title} {wan(_paid(r))}" for r in paying if r is not best)
            top = wan(_paid(best))
            words.append(f"{best.title} {top}与{others}就高不重复，取{top}")
        counted = [m for m in measures if m.eligible and m.counted]
        pending = any(m.eligible is None for m in measures)
        if not counted:
            return Estimate(self.policy_id, self.title, year, measures, None,
                            "", {}, policy_checks, self.mode)
        total = sum((_paid(m) for m in counted), Decimal(0))
        formula = ([counted[0].formula] if len(measures) == 1 else
                   [f"{m.name}：{m.formula}" for m in counted]) + words
        if len(counted) > 1:
            formula.append(f"合计 {wan(total)}")
        capped = self._total_cap(sheet, year, total, formula, counted)
        if capped is None:
            return Estimate(self.policy_id, self.title, year, measures, None, "；".join(formula),
                            {}, policy_checks, self.mode)
        per_year = _per_year(counted, capped, year)
        if pending:
            formula.append("另有措施因缺少数据暂未计算")
        return Estimate(self.policy_id, self.title, year, measures, capped, "；".join(formula),
                        per_year, policy_checks, self.mode)

    def _total_cap(self, sheet: FactSheet, year: int, total: Decimal, formula: list[str],
                   measures: list[MeasureResult]) -> Decimal | None:
        cap = self.rules.combine.total_cap
        if cap is None:
            return total
        limits, words = [], []
        if cap.amount is not None:
            limits.append(D(cap.amount))
            words.append(wan(D(cap.amount)))
        if cap.fact is not None:
            at = year + cap.year
            value = sheet.get(cap.fact, at)
            if value is None:
                need = self._need(cap.fact, at, sheet)
                measures[0].checks.append(Check(None, f"缺少{need}", None, [need]))
                return None  # the cap cannot be checked: no amount rather than a wrong one
            fact = self._fact(cap.fact)
            limit = money(D(value) * D(cap.rate) / HUNDRED)
            limits.append(limit)
            words.append(f"{fact.label} {value_text(fact, D(value))} × {number_text(cap.rate)}%"
                         f" = {wan(limit)}")
        limit = min(limits)
        if total > limit:
            formula.append(f"超过累计上限（{'；'.join(words)}），按 {wan(limit)}")
            return limit
        formula.append(f"未超过累计上限（{'；'.join(words)}）")
        return total



def _per_year(counted: list[MeasureResult], total: Decimal, year: int) -> dict[int, Decimal]:
    """Amounts by payment year (no instalments: the application year); a total cap takes the
    excess from the latest years."""
    years: dict[int, Decimal] = {}
    for m in counted:
        parts = [(i.year, D(i.amount)) for i in m.instalments if i.status != "failed"]
        for y, a in parts or [(year, _paid(m))]:
            years[y] = years.get(y, Decimal(0)) + a
    excess = sum(years.values(), Decimal(0)) - total
    for y in sorted(years, reverse=True):
        if excess <= 0:
            break
        cut = min(excess, years[y])
        years[y] -= cut
        excess -= cut
    return {y: money(a) for y, a in sorted(years.items())}
