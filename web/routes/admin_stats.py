"""The statistics page and its CSV exports: per-day figures and the annual disclosure report."""

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from kb import clock
from kb.clock import county_day
from kb.errors import InvalidInput
from kb.feedback.stats import daily_rows, disclosure_rows, statistics, to_csv
from kb.library.policies import parse_date
from kb.staff.models import Role, User
from web.auth import require_role
from web.deps import SessionDep, TemplatesDep, questions_written

router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[Depends(questions_written)])
ReaderDep = Annotated[User, Depends(require_role(Role.ADMIN, Role.REVIEWER, Role.PUBLISHER))]
DEFAULT_DAYS = 30


def _range(start: str, end: str) -> tuple[date, date]:
    """The asked range; by default the last 30 county days up to today."""
    last = parse_date("结束日期", end) or county_day(clock.now())
    first = parse_date("开始日期", start) or last - timedelta(days=DEFAULT_DAYS - 1)
    return first, last


def _csv(text: str, filename: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request, session: SessionDep, user: ReaderDep, templates: TemplatesDep,
               start: str = "", end: str = "") -> Response:
    """Questions per day, answer and helpful rates, hot questions, the ledger by department."""
    first, last = _range(start, end)
    s = statistics(session=session, start=first, end=last)
    return templates.TemplateResponse(request, "admin_stats.html", {
        "s": s, "peak": max((d.questions for d in s.days), default=0),
        "year": county_day(clock.now()).year - 1})


@router.get("/stats.csv")
def stats_csv(session: SessionDep, user: ReaderDep, start: str = "", end: str = "") -> Response:
    """The per-day figures as CSV (UTF-8 with a BOM, Chinese headers)."""
    first, last = _range(start, end)
    rows = daily_rows(statistics(session=session, start=first, end=last))
    return _csv(to_csv(rows), f"stats-{first.isoformat()}-{last.isoformat()}.csv")


@router.get("/disclosure.csv")
def disclosure_csv(session: SessionDep, user: ReaderDep, year: str = "") -> Response:
    """One row per department for the annual government-information disclosure report."""
    if not year.strip():
        number = county_day(clock.now()).year - 1  # the report is written early next year
    else:
        try:
            number = int(year)
        except ValueError:
            raise InvalidInput(f"年份“{year}”无效，请填写四位年份，如 2025") from None
    return _csv(to_csv(disclosure_rows(session=session, year=number)), f"disclosure-{number}.csv")
