"""The guide's rules as a matching criterion: the calculator decides, and names what is missed."""

from collections.abc import Iterable, Sequence

from push.facts.sheet import FactSheet
from push.guides.calculator import Calculator, Check, Estimate
from push.matching.facets import Criterion

KEY, LABEL = "rules", "申兑条件"
MET_PREFIX = "符合申兑指南"  # the reason line that tells a firm its amount


def rules_criterion(calc: Calculator, estimate: Estimate, *, strict: bool) -> Criterion:
    """Met when a measure pays; a missing fact fails only for a registered firm (``strict``)."""
    if estimate.eligible:
        if estimate.amount is None:  # the TypeError float(None) raised, saying what is wrong
            raise TypeError(f"政策{estimate.policy_id}的测算结果符合条件却没有金额")
        measures = "、".join(m.title for m in estimate.measures if m.eligible and m.counted)
        return Criterion(KEY, LABEL, True,
                         f"{MET_PREFIX}“{measures}”条件，预计可享 {float(estimate.amount):g}万元"
                         f"（{estimate.formula}）")
    if estimate.missed:
        detail = "；".join(estimate.missed)
        return Criterion(KEY, LABEL, False, f"不符合申兑指南条件：{detail}",
                         estimate.near_miss or detail)
    need = "、".join(estimate.missing) or "企业数据"
    if strict:
        return Criterion(KEY, LABEL, False, f"缺少申兑指南所需数据：{need}", f"需补充{need}")
    return Criterion(KEY, LABEL, True, f"能否享受及金额需提供：{need}")


def gate_checks(criteria: Sequence[Criterion]) -> list[Check]:
    """The policy's own terms the firm fails (industry, size, region, qualifications), as the
    calculator's gates: they decide before the guide's rules, in that order."""
    return [Check(False, f"{c.label}：{c.detail}", f"{c.label}：{c.detail}", kind=c.key)
            for c in criteria if not c.met]


def estimate_for(calc: Calculator, sheet: FactSheet | None, qualifications: Iterable[str] | None,
                 year: int, gates: Sequence[Check] = ()) -> Estimate:
    """The calculator on a firm's facts (an empty sheet for a profile without facts), after
    ``gates`` (see ``gate_checks``)."""
    return calc.estimate(sheet or FactSheet(), frozenset(qualifications or []), year, gates)
