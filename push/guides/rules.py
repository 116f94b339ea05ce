"""Benefit rules as data: conditions, benefits, instalments and how measures combine.

Checked once on save (pydantic, with the county's fact catalog as context) and never evaluated as
code: push/guides/calculator.py interprets them. Amounts are in 万元, rates in percent.
"""

import re
from typing import Any, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator

from kb.errors import InvalidInput
from push.facts.catalog import Catalog, Fact
from push.facts.models import FactType

T = TypeVar("T")

NUMERIC_OPS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠"}
_KEY = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")


class RuleError(ValueError):
    """A rule problem; ``field`` is the sub-field it is about (joined to pydantic's location)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}§{message}")


def given(value: T | None, field: str) -> T:
    """A field the checks below guarantee for its kind of rule (a fact condition's fact and op, a
    benefit's fact or tiers); None means the rules were never checked."""
    if value is None:
        raise ValueError(f"申兑规则未经校验：缺少 {field}")
    return value


def _catalog(info: ValidationInfo) -> Catalog:
    return (info.context or {}).get("catalog") or Catalog.load()


def _number_fact(catalog: Catalog, name: str | None, field: str, unit: str | None = None) -> Fact:
    """The named fact, which must exist, be a number and (when given) carry ``unit``."""
    if not name:
        raise RuleError(field, "请指明依据的事实")
    fact = catalog.find(name)
    if fact is None:
        raise RuleError(field, f"未知的事实“{name}”（可用：{catalog.names()}）")
    if fact.type != FactType.NUMBER:
        raise RuleError(field, f"事实“{fact.label}”不是数值，不能用于计算")
    if unit is not None and fact.unit != unit:
        raise RuleError(field, f"单位不符：“{fact.label}”的单位是“{fact.unit or '无'}”，此处需要“{unit}”")
    return fact


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Condition(_Rule):
    """A comparison or range over a fact, yes/no, a qualification held, or all/any of others."""

    fact: str | None = None
    op: Literal[">=", ">", "<=", "<", "==", "!=", "between", "is", "has"] | None = None
    value: bool | float | str | None = None
    min: float | None = None
    max: float | None = None
    year: int = Field(default=0, ge=-5, le=5)  # the fact's year relative to the application year
    unit: str | None = None  # if given, must be the fact's unit (catches 元 for 万元)
    qualification: str | None = None
    held: bool = True  # with qualification: False means the firm must *not* hold it (规下)
    all: list["Condition"] | None = None
    any: list["Condition"] | None = None  # alternatives: met when one is met

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> "Condition":
        kinds = [k for k in ("fact", "qualification", "all", "any") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise RuleError("fact", "每个条件须且只须写 fact、qualification、all 或 any 之一")
        if not self.held and self.qualification is None:
            raise RuleError("held", "held 只用于资质条件（qualification）")
        if self.all is not None or self.any is not None:
            if not (self.all or self.any):
                raise RuleError(kinds[0], "组合条件至少要有一个子条件")
            return self
        if self.qualification is not None:
            if not self.qualification:
                raise RuleError("qualification", "请写明资质名称")
            return self
        catalog = _catalog(info)
        fact = catalog.find(self.fact or "")
        if fact is None:
            raise RuleError("fact", f"未知的事实“{self.fact}”（可用：{catalog.names()}）")
        self.fact = fact.name
        if self.unit is not None and self.unit != fact.unit:
            raise RuleError("unit", f"单位“{self.unit}”与事实“{fact.label}”的单位“{fact.unit or '无'}”不符")
        if self.op is None:
            raise RuleError("op", f"请写明比较方式（{'、'.join([*NUMERIC_OPS, 'between', 'is', 'has'])}）")
        if self.op in NUMERIC_OPS or self.op == "between":
            if fact.type != FactType.NUMBER:
                raise RuleError("op", f"“{fact.label}”不是数值，不能用{self.op}比较")
            if self.op == "between":
                if self.min is None or self.max is None:
                    raise RuleError("min", "范围条件须同时写 min 和 max")
                if self.min > self.max:
                    raise RuleError("max", f"范围上限{self.max}小于下限{self.min}")
            elif isinstance(self.value, bool) or not isinstance(self.value, int | float):
                raise RuleError("value", f"与“{fact.label}”比较的值应为数值")
        elif self.op == "is":
            if fact.type != FactType.BOOL or not isinstance(self.value, bool):
                raise RuleError("value", f"“is”只用于是/否型事实，值为 true 或 false（“{fact.label}”）")
        elif fact.type != FactType.LIST or not isinstance(self.value, str) or not self.value:
            raise RuleError("value", f"“has”只用于列表型事实，值为一项文字（“{fact.label}”）")
        return self

    def facts(self) -> set[tuple[str, int]]:
        """Every (fact, relative year) the condition reads."""
        if self.fact:
            return {(self.fact, self.year)}
        out: set[tuple[str, int]] = set()
        for sub in self.all or self.any or []:
            out |= sub.facts()
        return out


class Tier(_Rule):
    """From ``min`` of the fact upwards: a fixed amount or a rate of the fact."""

    min: float = Field(ge=0)
    amount: float | None = Field(default=None, ge=0)
    rate: float | None = Field(default=None, gt=0, le=100)

    @model_validator(mode="after")
    def _one(self) -> "Tier":
        if (self.amount is None) == (self.rate is None):
            raise RuleError("amount", "每档须且只须写 amount（万元）或 rate（%）之一")
        return self


class Benefit(_Rule):
    """What a measure pays: fixed, rate × fact, per person × a count, or tiers over a fact."""

    kind: Literal["fixed", "rate", "per_person", "tiers"]
    amount: float | None = Field(default=None, ge=0)  # fixed, 万元
    fact: str | None = None
    year: int = Field(default=0, ge=-5, le=5)
    rate: float | None = Field(default=None, gt=0, le=100)  # percent
    per: float | None = Field(default=None, gt=0)  # 万元 per person
    floor: float | None = Field(default=None, ge=0)
    cap: float | None = Field(default=None, gt=0)
    tiers: list[Tier] | None = None

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> "Benefit":
        catalog = _catalog(info)
        if self.kind == "fixed":
            if self.amount is None:
                raise RuleError("amount", "定额奖励须写 amount（万元）")
            if self.fact or self.rate or self.per or self.tiers:
                raise RuleError("kind", "定额奖励不写 fact、rate、per 或 tiers")
            return self
        if self.amount is not None:
            raise RuleError("amount", f"{self.kind} 型奖励不写 amount（金额由事实算出）")
        unit = {"rate": "万元", "per_person": "人", "tiers": None}[self.kind]
        self.fact = _number_fact(catalog, self.fact, "fact", unit).name
        if self.kind == "rate" and self.rate is None:
            raise RuleError("rate", "按比例补助须写 rate（%）")
        if self.kind == "per_person" and self.per is None:
            raise RuleError("per", "按人数补助须写 per（每人万元）")
        if self.kind == "tiers":
            if not self.tiers:
                raise RuleError("tiers", "分档奖励至少要有一档")
            mins = [t.min for t in self.tiers]
            if mins != sorted(mins) or len(set(mins)) != len(mins):
                raise RuleError("tiers", f"各档的 min 应从小到大且不重复：{mins}")
        if self.floor is not None and self.cap is not None and self.cap < self.floor:
            raise RuleError("cap", f"上限{self.cap:g}万元低于保底{self.floor:g}万元")
        return self


class Instalment(_Rule):
    """One payment of a measure: a share or an amount, a year offset, its own conditions."""

    label: str = Field(min_length=1, max_length=100)
    share: float | None = Field(default=None, gt=0, le=100)  # percent of the measure's amount
    amount: float | None = Field(default=None, gt=0)
    offset: int = Field(default=0, ge=0, le=5)  # years after the application year
    conditions: list[Condition] = []

    @model_validator(mode="after")
    def _one(self) -> "Instalment":
        if (self.share is None) == (self.amount is None):
            raise RuleError("share", "每期须且只须写 share（%）或 amount（万元）之一")
        return self


class Branch(_Rule):
    """One alternative way to a measure (规上 at 8% or 规下 at 6%): its own conditions, and its own
    benefit unless the measure's applies."""

    name: str = Field(min_length=1, max_length=50)
    conditions: list[Condition] = []
    benefit: Benefit | None = None

    @model_validator(mode="after")
    def _check(self) -> "Branch":
        if not self.conditions:
            raise RuleError("conditions", f"分支“{self.name}”没有条件：任何企业都符合，其余分支形同虚设")
        return self


class Alternative(NamedTuple):
    """What the calculator reads of one way to a measure (``name`` None: the measure has one)."""

    name: str | None
    conditions: list[Condition]
    benefit: Benefit


def _paying(benefit: Benefit | None, name: str) -> Benefit:
    """The benefit a way to a measure pays by, which Measure's check makes sure there is."""
    if benefit is None:
        raise RuleError("benefit", f"“{name}”没有写 benefit")
    return benefit


class Measure(_Rule):
    """One benefit of the policy, with its own conditions (on top of the policy's) and, when the
    policy offers it on different terms, ``any``: the alternative branches, each with its
    conditions and benefit (the firm gets the branch that fits)."""

    key: str
    name: str = Field(min_length=1, max_length=100)
    conditions: list[Condition] = []
    benefit: Benefit | None = None
    any: list[Branch] | None = None
    instalments: list[Instalment] = []

    @model_validator(mode="after")
    def _check(self) -> "Measure":
        if not _KEY.match(self.key):
            raise RuleError("key", f"措施键“{self.key}”应为1至40个字母、数字、-或_")
        self._check_branches()
        if not self.instalments:
            return self
        shares = [i.share for i in self.instalments if i.share is not None]
        amounts = [i.amount for i in self.instalments if i.amount is not None]
        if len(shares) == len(self.instalments):
            total = sum(shares)
            if abs(total - 100) > 1e-9:
                raise RuleError("instalments", f"各期比例之和为{total:g}%，应为100%")
        elif len(amounts) == len(self.instalments):
            for benefit in self.benefits():
                if benefit.kind != "fixed":
                    raise RuleError("instalments", "按金额分期只用于定额奖励，其余请用 share（%）")
                if benefit.amount is None:  # Benefit's own check asks for it first
                    raise RuleError("amount", "定额奖励须写 amount（万元）")
                total = sum(amounts)
                if abs(total - benefit.amount) > 1e-9:
                    raise RuleError("instalments",
                                    f"各期金额之和{total:g}万元与奖励金额{benefit.amount:g}万元不符")
        else:
            raise RuleError("instalments", "各期须统一用 share 或统一用 amount")
        return self

    def _check_branches(self) -> None:
        if self.any is None:
            if self.benefit is None:
                raise RuleError("benefit", "请写明 benefit（或在 any 中写出各分支及其 benefit）")
            return
        if len(self.any) < 2:
            raise RuleError("any", "可选分支至少要有两个（只有一种情形时，条件直接写在措施的 conditions 中）")
        names = [b.name for b in self.any]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise RuleError("any", f"分支名称重复：{'、'.join(dupes)}")
        for i, b in enumerate(self.any):
            if b.benefit is None and self.benefit is None:
                raise RuleError(f"any.{i}.benefit", f"分支“{b.name}”没有写 benefit，措施也没有通用的 benefit")
        if self.benefit is not None and all(b.benefit is not None for b in self.any):
            raise RuleError("benefit", "各分支都写了自己的 benefit，措施的 benefit 不会用到，请删去")

    def alternatives(self) -> list[Alternative]:
        """The ways to the measure: its branches, or itself alone."""
        if self.any is None:
            return [Alternative(None, [], _paying(self.benefit, self.name))]
        return [Alternative(b.name, b.conditions, _paying(b.benefit or self.benefit, b.name))
                for b in self.any]

    def benefits(self) -> list[Benefit]:
        """Every benefit the measure may pay by."""
        return [a.benefit for a in self.alternatives()]


class TotalCap(_Rule):
    """A cap on the measures together: an amount, and/or a rate of a fact (累计不超过投资额30%)."""

    amount: float | None = Field(default=None, gt=0)
    rate: float | None = Field(default=None, gt=0, le=100)
    fact: str | None = None
    year: int = Field(default=0, ge=-5, le=5)

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> "TotalCap":
        if self.amount is None and self.rate is None:
            raise RuleError("amount", "累计上限须写 amount（万元）或 rate（%）加 fact")
        if (self.rate is None) != (self.fact is None):
            raise RuleError("fact", "按比例的累计上限须同时写 rate 和 fact")
        if self.fact is not None:
            self.fact = _number_fact(_catalog(info), self.fact, "fact", "万元").name
        return self


class Combine(_Rule):
    """就高不重复 groups (only the highest measure of each counts) and a total cap."""

    exclusive: list[list[str]] = []
    total_cap: TotalCap | None = None


class GuideRules(_Rule):
    """Everything the calculator needs: the policy's conditions, its measures, how they combine."""

    conditions: list[Condition] = []
    measures: list[Measure] = Field(min_length=1)
    combine: Combine = Combine()

    @model_validator(mode="after")
    def _check(self) -> "GuideRules":
        keys = [m.key for m in self.measures]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise RuleError("measures", f"措施键重复：{'、'.join(dupes)}")
        seen: set[str] = set()
        for i, group in enumerate(self.combine.exclusive):
            unknown = [k for k in group if k not in keys]
            if unknown:
                raise RuleError(f"combine.exclusive.{i}", f"未知的措施：{'、'.join(unknown)}")
            if len(set(group)) < 2:
                raise RuleError(f"combine.exclusive.{i}", "就高不重复的一组至少要有两项不同措施")
            if seen & set(group):
                raise RuleError(f"combine.exclusive.{i}", f"措施{'、'.join(seen & set(group))}已在另一组")
            seen |= set(group)
        cap = self.combine.total_cap
        if cap is not None and cap.amount is not None:
            for m in self.measures:
                for b in m.benefits():
                    floor = b.floor or (b.amount if b.kind == "fixed" else None)
                    if floor is not None and floor > cap.amount:
                        raise RuleError("combine.total_cap.amount",
                                        f"累计上限{cap.amount:g}万元低于措施“{m.name}”的{floor:g}万元")
        return self

    def all_conditions(self) -> list[Condition]:
        """The policy's and every measure's conditions, branches' and instalments' too."""
        out = list(self.conditions)
        for m in self.measures:
            out += m.conditions + [c for a in m.alternatives() for c in a.conditions]
            out += [c for i in m.instalments for c in i.conditions]
        return out

    def facts(self) -> set[tuple[str, int]]:
        """Every (fact, relative year) the rules read."""
        out: set[tuple[str, int]] = set()
        for c in self.all_conditions():
            out |= c.facts()
        for b in (b for m in self.measures for b in m.benefits()):
            if b.fact:
                out.add((b.fact, b.year))
        cap = self.combine.total_cap
        if cap is not None and cap.fact:
            out.add((cap.fact, cap.year))
        return out


Condition.model_rebuild()


def rules_message(exc: ValidationError, prefix: str = "") -> str:
    """One line naming each bad field by its path (measures.0.benefit.cap: ...)."""
    parts = []
    for err in exc.errors():
        where = ([prefix] if prefix else []) + [str(p) for p in err["loc"]]
        text = str(err.get("ctx", {}).get("error", "")) or err["msg"]
        text = text.removeprefix("Value error, ")
        if "§" in text:
            field, text = text.split("§", 1)
            where.append(field)
        parts.append(f"{'.'.join(where) or 'rules'}: {text}")
    return "；".join(dict.fromkeys(parts))


def validate_rules(data: Any, *, catalog: Catalog | None = None, prefix: str = "") -> GuideRules:
    """The rules checked against the fact catalog; InvalidInput naming each bad field otherwise
    (``prefix``: where the rules sit in a larger document, e.g. ``rules``)."""
    if not isinstance(data, dict):
        raise InvalidInput(f"{prefix or 'rules'}: 应为一个JSON对象")
    try:
        return GuideRules.model_validate(data, context={"catalog": catalog or Catalog.load()})
    except ValidationError as exc:
        raise InvalidInput(f"申兑规则有误：{rules_message(exc, prefix)}") from None
