"""Holiday arrangements as files a county clerk can write, and the State Council's, shipped.

A file lists days, one a row: ``date,workday,name`` (CSV with that header; 日期,上班,名称 also do)
or a JSON list of ``{"date": ..., "workday": ..., "name": ...}``. ``workday`` is 0 (放假) or 1
(调休上班). Every day of a holiday is listed, weekends inside it too, and every weekend working day.

``data/holidays-YYYY.csv`` are the arrangements of 国务院办公厅关于节假日安排的通知 for that year;
``seed`` puts them into a database (``policykb init`` and ``demo`` run it through the
``policykb.seeds`` entry point). It only fills days that have no row, so a day the county set
itself is kept; a shipped day the county *cleared* comes back at the next init, so a county that
disagrees with one sets it (``applications holiday DAY --workday``) instead of clearing it.
"""

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from kb.database.db import insert_ignore
from kb.errors import InvalidInput
from push.calendar.models import CalendarDay

# The tables ``seed`` fills: rows every installation starts with, not the county's data (a restore
# overwrites a database holding only these without asking; kb.operations.backup.holdings).
TABLES = (CalendarDay.__tablename__,)

HEADERS = {"date": "date", "日期": "date", "workday": "workday", "上班": "workday",
           "是否上班": "workday", "name": "name", "名称": "name", "说明": "name"}
WORKDAY = {"1": True, "0": False, "上班": True, "放假": False, "true": True, "false": False,
           "是": True, "否": False}
NAME_MAX = 50  # CalendarDay.name's length
DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")  # 2026-10-01, and Excel's 2026/10/1
MAX_ERRORS_SHOWN = 50


@dataclass(frozen=True)
class Entry:
    """One day of an arrangement: a holiday (``workday`` False) or a weekend working day."""

    day: date
    workday: bool
    name: str


@dataclass
class LoadReport:
    """How many days a load added, changed and found as they were."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0


def _day(text: str) -> date:
    match = DATE.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise InvalidInput(f"日期无效：“{text}”（应为2026-10-01这样的日期）") from None


def _workday(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text not in WORKDAY:
        raise InvalidInput(f"workday应为0（放假）或1（调休上班），不是“{value}”")
    return WORKDAY[text]


def _entry(row: dict) -> Entry:
    """An entry from one row's fields (already mapped to date, workday, name)."""
    if not str(row.get("date") or "").strip():
        raise InvalidInput("缺少日期")
    name = str(row.get("name") or "").strip()
    if len(name) > NAME_MAX:
        raise InvalidInput(f"名称超过{NAME_MAX}字")
    return Entry(_day(str(row["date"])), _workday(row.get("workday")), name)


def _csv_rows(text: str) -> list[tuple[str, dict[str, Any] | None]]:
    """(where, fields) per non-empty CSV row, fields None for a row longer than the header;
    where is 第N行, the header being line 1."""
    reader = csv.DictReader(io.StringIO(text))
    fields = {HEADERS.get((h or "").strip().lower()) for h in reader.fieldnames or []}
    if not {"date", "workday"} <= fields:
        raise InvalidInput("第1行应为表头 date,workday,name")
    rows: list[tuple[str, dict[str, Any] | None]] = []
    for row in reader:
        if any((v or "").strip() for v in row.values() if isinstance(v, str)):
            mapped = {HEADERS[k.strip().lower()]: v for k, v in row.items()
                      if k and k.strip().lower() in HEADERS}
            rows.append((f"第{reader.line_num}行", mapped if None not in row else None))
    return rows


def _json_rows(text: str) -> list[tuple[str, dict[str, Any] | None]]:
    """(where, fields) per item of a JSON list, fields None for one not an object; where is 第N项."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"不是合法的JSON（第{exc.lineno}行）：{exc.msg}") from None
    if not isinstance(data, list):
        raise InvalidInput("JSON应为一个列表：[{\"date\": \"2026-10-01\", \"workday\": 0, ...}]")
    return [(f"第{i}项", item if isinstance(item, dict) else None)
            for i, item in enumerate(data, start=1)]


def parse(text: str, *, json_format: bool = False) -> list[Entry]:
    """Every day of a CSV (or JSON) arrangement; any bad row refuses it all, naming each."""
    errors: list[str] = []
    entries: list[Entry] = []
    seen: dict[date, str] = {}
    for where, row in (_json_rows(text) if json_format else _csv_rows(text)):
        try:
            if row is None:
                raise InvalidInput("格式不对（列数多于表头，或不是一个对象）")
            entry = _entry(row)
            if entry.day in seen:
                raise InvalidInput(f"{entry.day.isoformat()}与{seen[entry.day]}重复")
        except InvalidInput as exc:
            errors.append(f"{where}：{exc.message}")
            continue
        seen[entry.day] = where
        entries.append(entry)
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = f"\n……另有{len(errors) - len(shown)}行错误" if len(errors) > len(shown) else ""
        raise InvalidInput(f"{len(errors)}行有误，整个文件未导入：\n" + "\n".join(shown) + more)
    return entries


def read_file(path: str | Path) -> list[Entry]:
    """The days of a CSV or JSON file (UTF-8, or GB18030 as Excel saves it on Chinese Windows)."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: 文件不存在")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")
    try:
        entries = parse(text, json_format=path.suffix.lower() == ".json")
    except InvalidInput as exc:
        raise InvalidInput(f"{path}: {exc.message}") from None
    if not entries:
        raise InvalidInput(f"{path}: 没有日期（表头应为 date,workday,name）")
    return entries


def load(*, session: Session, entries: list[Entry]) -> LoadReport:
    """Enter every day as the file says, replacing what the database held for it."""
    report = LoadReport()
    for entry in entries:
        row = session.get(CalendarDay, entry.day)
        if row is None:
            session.add(CalendarDay(day=entry.day, workday=entry.workday, name=entry.name))
            report.added += 1
        elif (row.workday, row.name) != (entry.workday, entry.name):
            row.workday, row.name = entry.workday, entry.name
            session.add(row)
            report.changed += 1
        else:
            report.unchanged += 1
    session.flush()
    return report


def import_file(*, session: Session, path: str | Path) -> LoadReport:
    """Load a clerk's file: all of it, or (with any bad row) nothing."""
    return load(session=session, entries=read_file(path))


def days(*, session: Session, year: int | None = None) -> list[CalendarDay]:
    """The county's exceptions in date order, of one year or all."""
    query = select(CalendarDay).order_by(col(CalendarDay.day))
    if year is not None:
        query = query.where(col(CalendarDay.day) >= date(year, 1, 1),
                            col(CalendarDay.day) <= date(year, 12, 31))
    return list(session.exec(query))


def shipped() -> dict[int, list[Entry]]:
    """The State Council's arrangements that come with PolicyKB, by year."""
    found = {}
    for item in files("push.calendar").joinpath("data").iterdir():
        match = re.fullmatch(r"holidays-(\d{4})\.csv", item.name)
        if match:
            found[int(match.group(1))] = parse(item.read_text(encoding="utf-8"))
    return dict(sorted(found.items()))


def seed(session: Session) -> str:
    """Add the shipped arrangements' days that have no row yet; a line for ``policykb init``."""
    years = shipped()
    rows = [{"day": e.day, "workday": e.workday, "name": e.name}
            for entries in years.values() for e in entries]
    added = insert_ignore(session, CalendarDay, rows)
    if not added:
        return ""
    return f"节假日：  已按国务院 {'、'.join(map(str, years))} 年的安排添加 {added} 天"
