"""Importing firm facts from a department's CSV or JSONL: every row checked, then all or nothing."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from kb.database.db import chunks, id_column
from kb.errors import InvalidInput
from kb.inputs.rows import read_rows, row_format
from kb.models import Department, utcnow
from push.facts.catalog import Catalog, parse_value
from push.facts.models import FirmFact
from push.firms.models import Firm
from push.firms.registry import ImportReport, RowError
from push.firms.uscc import normalize_uscc

ID_COLUMNS = {
    "uscc": "uscc", "统一社会信用代码": "uscc", "信用代码": "uscc",
    "year": "year", "年度": "year", "年份": "year",
    "source": "source", "来源部门": "source", "数据来源": "source", "部门": "source",
    "name": "name", "企业名称": "name", "名称": "name",
}  # fmt: skip
MIN_YEAR, MAX_YEAR = 1990, 2100


@dataclass
class _Row:
    line: int
    firm_id: int
    year: int
    source: str
    values: dict[str, Any]


def _year(raw: Any) -> int:
    try:
        year = int(str(raw).strip().removesuffix("年"))
    except ValueError:
        raise ValueError(f"年度应为四位年份：{raw}") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"年度{year}不在{MIN_YEAR}至{MAX_YEAR}之间")
    return year


def _check_row(row: dict, catalog: Catalog, firms: dict[str, int], source: str | None,
               unknown: set[str]) -> tuple[str | None, _Row | str]:
    """The row's credit code and either its parsed values or one message naming each bad field."""
    ids, values, problems = {}, {}, []
    for key, raw in row.items():
        header = str(key).strip()
        if header in ID_COLUMNS:
            ids[ID_COLUMNS[header]] = raw
            continue
        fact = catalog.find(header)
        if fact is None:
            unknown.add(header)
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue  # an empty cell: the department has no figure, which is not zero
        try:
            values[fact.name] = parse_value(fact, raw)
        except ValueError as exc:
            problems.append(f"{header}: {exc}")
    uscc = str(ids.get("uscc") or "").strip() or None
    firm_id = None
    try:
        code = normalize_uscc(uscc or "")
        uscc = code
        firm_id = firms.get(code)
        if firm_id is None:
            problems.append(f"uscc: 企业库中没有统一社会信用代码为{code}的企业（请先 firms import）")
    except InvalidInput as exc:
        problems.append(f"uscc: {exc.message}")
    year = None
    try:
        year = _year(ids.get("year"))
    except ValueError as exc:
        problems.append(f"year: {exc}")
    src = str(ids.get("source") or "").strip() or source
    if not src:
        problems.append("source: 请填写来源部门（或用 --source 指定整个文件的来源部门）")
    if not values and not problems:
        problems.append("该行没有任何事实数值")
    if problems or firm_id is None or year is None or not src:  # each None came with a problem
        return uscc, "；".join(problems)
    return uscc, _Row(0, firm_id, year, src, values)


def import_facts(*, session: Session, path: str | Path, fmt: str | None = None,
                 source: str | None = None) -> ImportReport:
    """Import yearly facts; any bad row (or unknown column) fails the whole file, naming each."""
    path = Path(path)
    fmt = row_format(path, fmt)
    catalog = Catalog.load(session)
    firms = dict(session.exec(select(Firm.uscc, id_column(Firm.id))).all())
    report = ImportReport(path=str(path))
    good: list[_Row] = []
    unknown: set[str] = set()
    for line, row in read_rows(path, fmt):
        if isinstance(row, str):
            report.errors.append(RowError(line, None, row))
            continue
        uscc, checked = _check_row(row, catalog, firms, source, unknown)
        if isinstance(checked, str):
            report.errors.append(RowError(line, uscc, checked))
        else:
            checked.line = line
            good.append(checked)
    if unknown:  # a misspelt fact column would otherwise drop a whole column silently
        report.errors.insert(0, RowError(1, None, f"未知的事实列：{'、'.join(sorted(unknown))}"
                                                   f"（可用：{catalog.names()}，或先 facts define）"))
    if not good and not report.errors:
        report.errors.append(RowError(1, None, "文件中没有数据行"))
    if report.errors:
        return report  # all or nothing: a department fixes the file and imports it again
    _save(session, good, path.name, report)
    return report


def _save(session: Session, rows: list[_Row], file: str, report: ImportReport) -> None:
    """Insert or replace each (firm, fact, year)."""
    departments = dict(session.exec(select(Department.name, Department.id)).all())
    firm_ids = sorted({r.firm_id for r in rows})
    existing: dict[tuple[int, str, int], FirmFact] = {}
    for chunk in chunks(firm_ids):
        for stored in session.exec(select(FirmFact).where(col(FirmFact.firm_id).in_(chunk))):
            existing[(stored.firm_id, stored.name, stored.year)] = stored
    now = utcnow()
    for row in rows:
        for name, value in row.values.items():
            fact = existing.get((row.firm_id, name, row.year))
            if fact is None:
                fact = FirmFact(firm_id=row.firm_id, name=name, year=row.year, value={"v": value},
                                source=row.source)
                existing[(row.firm_id, name, row.year)] = fact
                report.created += 1
            else:
                report.updated += 1
            fact.value, fact.source, fact.file, fact.imported_at = {"v": value}, row.source, file, now
            fact.department_id = departments.get(row.source)
            session.add(fact)
    session.flush()
