"""The facts a rule may name: built-in ones plus those the county defines, with parsing and display."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, select

from kb.errors import InvalidInput
from push.facts.models import FactDefinition, FactType

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,49}$")
_LIST_SPLIT = re.compile(r"[;；,，、|\n]+")
_TRUE = {"是", "有", "true", "yes", "y", "1"}
_FALSE = {"否", "无", "false", "no", "n", "0"}
UNITS = ("万元", "%", "人", "个", "项", "")  # units a number fact may carry


@dataclass(frozen=True)
class Fact:
    """A named fact: its key, Chinese label, type and unit."""

    name: str
    label: str
    type: FactType = FactType.NUMBER
    unit: str = ""


BUILTIN = {f.name: f for f in (
    Fact("revenue", "营业收入", FactType.NUMBER, "万元"),
    Fact("revenue_growth", "营收增长率", FactType.NUMBER, "%"),
    Fact("rd_expense", "研发费用", FactType.NUMBER, "万元"),
    Fact("employees", "从业人员", FactType.NUMBER, "人"),
    Fact("new_jobs", "新增就业", FactType.NUMBER, "人"),
    # Not 新增就业: only graduates within 2 years of leaving school and not employed when hired
    # (with a contract of a year or more and 3 months of social insurance paid), as 吸纳就业补贴 asks.
    Fact("graduate_hires", "招用离校2年内未就业高校毕业生人数", FactType.NUMBER, "人"),
    Fact("equipment_investment", "新增设备投资", FactType.NUMBER, "万元"),
    Fact("tax_paid", "纳税额", FactType.NUMBER, "万元"),
)}  # fmt: skip


class Catalog:
    """Every fact known to the county, by key and by label."""

    def __init__(self, facts: dict[str, Fact]) -> None:
        self.facts = facts
        self.by_label = {f.label: f for f in facts.values()}

    @classmethod
    def load(cls, session: Session | None = None) -> "Catalog":
        """The built-in facts plus the county's (none without a session)."""
        facts = dict(BUILTIN)
        if session is not None:
            for d in session.exec(select(FactDefinition)):
                facts[d.name] = Fact(d.name, d.label, FactType(d.type), d.unit)
        return cls(facts)

    def find(self, name: str) -> Fact | None:
        """A fact by key or Chinese label."""
        key = (name or "").strip()
        return self.facts.get(key) or self.by_label.get(key)

    def names(self) -> str:
        """The known keys, for error messages."""
        return "、".join(self.facts)


def define(*, session: Session, name: str, label: str, type: FactType, unit: str = "") -> FactDefinition:
    """Add or change a county-defined fact; built-in keys and labels cannot be redefined."""
    name, label, unit = name.strip(), label.strip(), unit.strip()
    if not _NAME.match(name):
        raise InvalidInput(f"事实名“{name}”应为小写英文字母开头的字母、数字或下划线（2至50个）")
    if not label or len(label) > 50:
        raise InvalidInput("请填写事实的中文名称（不超过50字）")
    if name in BUILTIN or label in {f.label for f in BUILTIN.values()}:
        raise InvalidInput(f"“{name}”/“{label}”是内置事实，不能重新定义")
    if type == FactType.NUMBER and unit not in UNITS:
        raise InvalidInput(f"单位“{unit}”无法识别（可选：{'、'.join(u for u in UNITS if u)}）")
    if type != FactType.NUMBER and unit:
        raise InvalidInput(f"只有数值型事实有单位（{type.value}型事实“{label}”不应填写单位）")
    row = session.get(FactDefinition, name) or FactDefinition(name=name, label=label)
    row.label, row.type, row.unit = label, type, unit
    session.add(row)
    session.flush()
    return row


def parse_value(fact: Fact, raw: Any) -> Any:
    """A cell or JSON value as the fact's type; raises ValueError naming what is wrong."""
    if fact.type == FactType.NUMBER:
        if isinstance(raw, bool):
            raise ValueError(f"{fact.label}应为数值，不是是/否")
        text = str(raw).replace(",", "").replace("，", "").strip()
        if fact.unit and text.endswith(fact.unit):
            text = text[: -len(fact.unit)].strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{fact.label}应为数值（{fact.unit or '无单位'}）：{raw}") from None
        if not number.is_finite() or abs(number) > Decimal("1e12"):
            raise ValueError(f"{fact.label}的数值超出范围：{raw}")
        return int(number) if number == number.to_integral_value() else float(number)
    if fact.type == FactType.BOOL:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"{fact.label}应为“是”或“否”：{raw}")
    if fact.type == FactType.DATE:
        try:
            return date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise ValueError(f"{fact.label}应为日期（YYYY-MM-DD）：{raw}") from None
    items = _LIST_SPLIT.split(raw) if isinstance(raw, str) else raw
    if not isinstance(items, list):
        raise ValueError(f"{fact.label}应为列表（用、或；分隔）：{raw}")
    return list(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))


def number_text(value: Any) -> str:
    """A number without trailing zeros: 48, 1.8, 0.15."""
    d = Decimal(str(value)).quantize(Decimal("0.0001")).normalize()
    return f"{d:f}"


def value_text(fact: Fact, value: Any) -> str:
    """A value as shown to people: 800万元, 8%, 是."""
    if fact.type == FactType.NUMBER:
        return f"{number_text(value)}{fact.unit}"
    if fact.type == FactType.BOOL:
        return "是" if value else "否"
    if fact.type == FactType.LIST:
        return "、".join(value) or "（无）"
    return str(value)
