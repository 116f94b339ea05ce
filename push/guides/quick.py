"""The calculator's amounts without its words, for lists over many firms (免申即享).

Same rules, same Decimal arithmetic as ``Calculator.estimate``; the test suite checks the two agree
on every hand-made case. Words (the formula) are rendered later from the frozen facts.
"""

from decimal import Decimal

from push.facts.sheet import FactSheet
from push.guides.calculator import HUNDRED, D, money
from push.guides.rules import Benefit, Condition, GuideRules, Measure, given

_OPS = {">=": Decimal.__ge__, ">": Decimal.__gt__, "<=": Decimal.__le__, "<": Decimal.__lt__,
        "==": Decimal.__eq__, "!=": Decimal.__ne__}


def _met(c: Condition, sheet: FactSheet, held: frozenset[str], year: int) -> bool | None:
    if c.qualification is not None:
        return (c.qualification in held) is c.held
    if c.all is not None:
        subs = [_met(s, sheet, held, year) for s in c.all]
        return False if False in subs else (True if all(subs) else None)
    if c.any is not None:
        subs = [_met(s, sheet, held, year) for s in c.any]
        return True if True in subs else (None if None in subs else False)
    value = sheet.values.get((given(c.fact, "fact"), year + c.year))
    if value is None:
        return None
    op = given(c.op, "op")
    if op == "is":
        return bool(value) == c.value
    if op == "has":
        return c.value in value
    v = D(value)
    if op == "between":
        return D(c.min) <= v <= D(c.max)
    return _OPS[op](v, D(c.value))


def _pays(b: Benefit, sheet: FactSheet, year: int) -> Decimal | None:
    """One benefit's amount after its floor and cap, None when its fact is missing or it is 0."""
    if b.kind == "fixed":
        amount = D(b.amount)
    else:
        value = sheet.values.get((given(b.fact, "benefit.fact"), year + b.year))
        if value is None:
            return None
        v = D(value)
        if b.kind == "rate":
            amount = money(v * D(b.rate) / HUNDRED)
        elif b.kind == "per_person":
            amount = money(v * D(b.per))
        else:
            amount = Decimal(0)
            for t in given(b.tiers, "benefit.tiers"):
                if v >= D(t.min):
                    amount = D(t.amount) if t.amount is not None else money(v * D(t.rate) / HUNDRED)
    if b.cap is not None and amount > D(b.cap):
        amount = D(b.cap)
    if b.floor is not None and amount < D(b.floor):
        amount = D(b.floor)
    if amount <= 0:
        return None
    return money(amount)


def _amount(m: Measure, sheet: FactSheet, held: frozenset[str], year: int) -> Decimal | None:
    """The measure's amount before combination, None when not payable (failed or missing): the
    highest of its branches that pay (the first listed on a tie), as the calculator's."""
    for c in m.conditions:
        if _met(c, sheet, held, year) is not True:
            return None
    best = None
    for alt in m.alternatives():
        if all(_met(c, sheet, held, year) is True for c in alt.conditions):
            amount = _pays(alt.benefit, sheet, year)
            if amount is not None and (best is None or amount > best):
                best = amount
    if best is None:
        return None
    amount = best
    if m.instalments:
        left, parts = amount, Decimal(0)
        for n, inst in enumerate(m.instalments):
            part = D(inst.amount) if inst.amount is not None else money(amount * D(inst.share) / HUNDRED)
            if n == len(m.instalments) - 1 and inst.share is not None:
                part = left
            left -= part
            if all(_met(c, sheet, held, year) is not False for c in inst.conditions):
                parts += part
        amount = money(parts)
    return amount


def quick_amounts(rules: GuideRules, sheet: FactSheet, held: frozenset[str],
                  year: int) -> tuple[dict[str, Decimal], Decimal] | None:
    """Counted measures' amounts and the total after 就高不重复 and the caps; None if nothing pays
    (or a fact the total cap needs is missing)."""
    for c in rules.conditions:
        if _met(c, sheet, held, year) is not True:
            return None
    amounts = {m.key: a for m in rules.measures
               if (a := _amount(m, sheet, held, year)) is not None}
    for group in rules.combine.exclusive:
        paying = [k for k in group if k in amounts]
        if len(paying) > 1:
            best = max(paying, key=lambda k: amounts[k])  # the first listed wins a tie
            for k in paying:
                if k != best:
                    del amounts[k]
    if not amounts:
        return None
    total = sum(amounts.values(), Decimal(0))
    cap = rules.combine.total_cap
    if cap is not None:
        limits = [D(cap.amount)] if cap.amount is not None else []
        if cap.fact is not None:
            value = sheet.values.get((cap.fact, year + cap.year))
            if value is None:
                return None
            limits.append(money(D(value) * D(cap.rate) / HUNDRED))
        total = min(total, *limits)
    return amounts, total
