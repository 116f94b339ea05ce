"""Figures for the statistics page and the annual government-information disclosure report."""

import statistics as pystats
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from sqlmodel import Session, col, select

from kb import clock
from kb.clock import COUNTY_TZ, aware, county_day
from kb.csvout import dicts_csv
from kb.errors import InvalidInput
from kb.feedback.ledger import OPEN_STATES, is_overdue
from kb.feedback.models import Feedback, LedgerTopic, QuestionLog
from kb.feedback.questions import top_questions
from kb.models import Department, FaqItem, Interpretation, Policy, Status, Validity

MAX_DAYS = 366  # one bar per day stays readable for a year
CONFIDENT = ("faq", "passage")

Item = TypeVar("Item", Interpretation, FaqItem)
NO_DEPARTMENT = "未指定部门"


@dataclass
class DayFigures:
    """One county day of questions and feedback."""

    day: date
    questions: int = 0
    confident: int = 0
    feedback: int = 0
    helpful: int = 0


@dataclass
class DepartmentFigures:
    """One department's ledger backlog and what it published in the range."""

    department: str
    open_topics: int = 0
    overdue_topics: int = 0
    interpretations: int = 0
    faq: int = 0


@dataclass
class Statistics:
    """What the statistics page shows for a range of county days."""

    start: date
    end: date
    days: list[DayFigures]
    top_questions: list[tuple[str, int]]
    departments: list[DepartmentFigures] = field(default_factory=list)

    @property
    def questions(self) -> int:
        """Questions asked in the range."""
        return sum(d.questions for d in self.days)

    @property
    def feedback(self) -> int:
        """Feedback given in the range."""
        return sum(d.feedback for d in self.days)

    @property
    def confident_rate(self) -> float | None:
        """Share of questions answered from an FAQ or a passage; None without questions."""
        return sum(d.confident for d in self.days) / self.questions if self.questions else None

    @property
    def helpful_rate(self) -> float | None:
        """Share of feedback that said the answer helped; None without feedback."""
        return sum(d.helpful for d in self.days) / self.feedback if self.feedback else None


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """UTC instants of the start of ``start`` and the end of ``end`` in the county."""
    lo = datetime.combine(start, time(0), tzinfo=COUNTY_TZ).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=COUNTY_TZ).astimezone(UTC)
    return lo, hi


def _day(moment: datetime) -> date:
    return county_day(aware(moment))


def check_range(start: date, end: date) -> None:
    """Refuse a reversed range or one too long to draw."""
    if start > end:
        raise InvalidInput(f"开始日期 {start.isoformat()} 晚于结束日期 {end.isoformat()}，请调换后再试")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput(f"统计区间最长 {MAX_DAYS} 天（现为 {(end - start).days + 1} 天），请缩短区间")


def _published_by_department(session: Session, model: type[Item], lo: datetime,
                             hi: datetime) -> Counter[int | None]:
    """Interpretations or FAQ items published in [lo, hi), counted by their policy's department."""
    rows = session.exec(select(col(Policy.department_id))
                        .join(model, col(model.policy_id) == Policy.id)
                        .where(model.status == Status.PUBLISHED,
                               col(model.published_at) >= lo, col(model.published_at) < hi)).all()
    return Counter(rows)


def statistics(*, session: Session, start: date, end: date, top: int = 20,
               today: date | None = None) -> Statistics:
    """Questions, answer and feedback rates, hot questions, ledger backlog and publications."""
    check_range(start, end)
    today = today or county_day(clock.now())
    lo, hi = _bounds(start, end)
    days = {start + timedelta(days=i): DayFigures(start + timedelta(days=i))
            for i in range((end - start).days + 1)}
    texts = []
    for asked_at, answer_type, text in session.exec(
            select(QuestionLog.asked_at, QuestionLog.answer_type, QuestionLog.question)
            .where(QuestionLog.asked_at >= lo, QuestionLog.asked_at < hi)):
        figures = days[_day(asked_at)]
        figures.questions += 1
        figures.confident += answer_type in CONFIDENT
        texts.append(text)
    for created_at, helpful in session.exec(select(Feedback.created_at, Feedback.helpful)
                                            .where(Feedback.created_at >= lo, Feedback.created_at < hi)):
        figures = days[_day(created_at)]
        figures.feedback += 1
        figures.helpful += bool(helpful)

    names = {d.id: d.name for d in session.exec(select(Department))}
    by_dept: dict[int | None, DepartmentFigures] = {}

    def dept(department_id: int | None) -> DepartmentFigures:
        name = names.get(department_id, NO_DEPARTMENT)
        return by_dept.setdefault(department_id, DepartmentFigures(name))

    for topic in session.exec(select(LedgerTopic).where(col(LedgerTopic.status).in_(OPEN_STATES))):
        owner = dept(topic.department_id)
        owner.open_topics += 1
        owner.overdue_topics += is_overdue(topic, today)
    for department_id, n in _published_by_department(session, Interpretation, lo, hi).items():
        dept(department_id).interpretations += n
    for department_id, n in _published_by_department(session, FaqItem, lo, hi).items():
        dept(department_id).faq += n
    departments = sorted(by_dept.values(), key=lambda d: (-d.open_topics, -d.overdue_topics,
                                                          d.department))
    return Statistics(start, end, list(days.values()), top_questions(texts, top), departments)


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}%"


def daily_rows(stats: Statistics) -> list[dict]:
    """The per-day figures as CSV rows with Chinese headers."""
    return [{"日期": d.day.isoformat(), "提问数": d.questions, "有效答复数": d.confident,
             "有效答复率": _percent(d.confident / d.questions if d.questions else None),
             "反馈数": d.feedback, "有帮助数": d.helpful,
             "有帮助率": _percent(d.helpful / d.feedback if d.feedback else None)}
            for d in stats.days]


def _tidy(number: float) -> float | int:
    return int(number) if float(number).is_integer() else round(number, 1)


def disclosure_rows(*, session: Session, year: int) -> list[dict]:
    """One row per department for the annual disclosure report, then a 合计 row."""
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"年份“{year}”无效，请填写四位年份，如 2025")
    lo, hi = _bounds(date(year, 1, 1), date(year, 12, 31))
    names = {d.id: d.name for d in session.exec(select(Department).order_by(Department.name))}
    valid = Counter(session.exec(select(Policy.department_id).where(
        Policy.validity == Validity.VALID, Policy.status == Status.PUBLISHED)).all())
    interps = _published_by_department(session, Interpretation, lo, hi)
    faq = _published_by_department(session, FaqItem, lo, hi)
    created: Counter[int | None] = Counter()
    open_at_end: Counter[int | None] = Counter()
    close_days: dict[int | None, list[int]] = {}
    for t in session.exec(select(LedgerTopic).where(LedgerTopic.created_at < hi)):
        created_day = _day(t.created_at)
        if aware(t.created_at) >= lo:
            created[t.department_id] += 1
        closed_day = _day(t.closed_at) if t.closed_at else None
        if closed_day is None or closed_day.year > year:
            open_at_end[t.department_id] += 1
        elif closed_day.year == year:
            close_days.setdefault(t.department_id, []).append((closed_day - created_day).days)

    def row(name: str, ids: list[int | None]) -> dict:
        days = [d for i in ids for d in close_days.get(i, [])]
        return {"部门": name, "有效政策数": sum(valid[i] for i in ids),
                "发布政策解读数": sum(interps[i] for i in ids),
                "发布常见问题数": sum(faq[i] for i in ids),
                "归属问题数": sum(created[i] for i in ids), "办结问题数": len(days),
                "办结天数中位数": _tidy(pystats.median(days)) if days else "",
                "年末未办结数": sum(open_at_end[i] for i in ids)}

    rows = [row(name, [i]) for i, name in names.items()]
    everyone: list[int | None] = [*names]
    if any(c[None] for c in (valid, interps, faq, created, open_at_end)) or close_days.get(None):
        rows.append(row(NO_DEPARTMENT, [None]))
        everyone.append(None)
    return [*rows, row("合计", everyone)]


def to_csv(rows: list[dict]) -> str:
    """CSV text with a UTF-8 byte-order mark, so Excel shows the Chinese headers and names."""
    return dicts_csv(rows)
