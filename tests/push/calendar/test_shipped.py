"""The shipped arrangements (国务院办公厅关于节假日安排的通知) hold no typo a clerk would miss."""

from datetime import date

import pytest

from push.calendar.holidays import parse, shipped

pytestmark = pytest.mark.no_database  # pure data: the SQLite run covers it


def test_2025_and_2026_are_shipped_with_weekend_working_days_only_on_weekends():
    years = shipped()
    assert list(years) == [2025, 2026]
    for year, entries in years.items():
        assert all(e.day.year == year for e in entries)
        assert all(e.day.weekday() >= 5 for e in entries if e.workday)  # 调休 falls on weekends
    off = {e.day for e in years[2026] if not e.workday}
    assert {date(2026, 10, d) for d in range(1, 8)} <= off and date(2026, 10, 8) not in off
    assert [e.day for e in years[2026] if e.workday] == [
        date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
        date(2026, 9, 20), date(2026, 10, 10)]
    assert [e.day for e in years[2025] if e.workday] == [
        date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28),
        date(2025, 10, 11)]
    assert len(years[2025]) == 33 and len(years[2026]) == 39


def test_excel_dates_and_chinese_headers_are_read():
    entries = parse("日期,上班,名称\n2027/1/1,放假,元旦\n2027.2.6,上班,调休\n")
    assert [(e.day, e.workday, e.name) for e in entries] == [
        (date(2027, 1, 1), False, "元旦"), (date(2027, 2, 6), True, "调休")]
