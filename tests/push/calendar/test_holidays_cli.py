"""``policykb init`` loads the shipped holidays once; ``applications holiday import`` loads a
clerk's file, all or nothing."""

import json
from datetime import date

import pytest
from sqlmodel import Session

from kb.cli.main import main
from kb.config import get_settings
from kb.database.db import make_engine
from push.calendar.days import Calendar


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def listed(capsys, year: int) -> list[dict]:
    code, out, err = run(capsys, "applications", "holiday", "list", "--year", year, "--json")
    assert code == 0, err
    return json.loads(out)


def calendar() -> Calendar:
    engine = make_engine(get_settings().db_url)
    try:
        with Session(engine) as session:
            return Calendar.load(session)
    finally:
        engine.dispose()


def test_init_loads_2025_and_2026_once_and_keeps_the_countys_days(cli_env, capsys):
    code, out, _ = run(capsys, "init")
    assert code == 0 and "已按国务院 2025、2026 年的安排添加 72 天" in out
    cal = calendar()
    assert not cal.is_workday(date(2026, 10, 1)) and cal.is_workday(date(2026, 10, 10))
    assert not cal.is_workday(date(2025, 10, 8)) and cal.is_workday(date(2025, 10, 11))
    assert not cal.is_workday(date(2026, 2, 23)) and cal.is_workday(date(2026, 1, 4))
    before = listed(capsys, 2026)
    assert {"date": "2026-10-10", "workday": True, "name": "国庆节调休上班"} in before

    code, out, _ = run(capsys, "init")
    assert code == 0 and "节假日" not in out  # nothing added
    assert listed(capsys, 2026) == before

    # The county keeps 10-10 as a day off and adds its own holiday: init leaves both alone.
    assert run(capsys, "applications", "holiday", "2026-10-10", "--name", "县庆")[0] == 0
    assert run(capsys, "applications", "holiday", "2026-11-02", "--name", "县里放假")[0] == 0
    assert run(capsys, "init")[0] == 0
    cal = calendar()
    assert not cal.is_workday(date(2026, 10, 10)) and not cal.is_workday(date(2026, 11, 2))
    assert {"date": "2026-10-10", "workday": False, "name": "县庆"} in listed(capsys, 2026)


def test_import_a_clerks_csv(cli_env, tmp_path, capsys):
    path = tmp_path / "2027.csv"
    path.write_text("date,workday,name\n2027-01-01,0,元旦\n2027-02-06,1,春节调休上班\n"
                    "\n2027-02-08,0,春节\n", encoding="utf-8")
    code, out, err = run(capsys, "applications", "holiday", "import", path)
    assert code == 0, err
    assert "新增3天，修改0天，0天未变" in out
    assert [d["date"] for d in listed(capsys, 2027)] == ["2027-01-01", "2027-02-06", "2027-02-08"]
    cal = calendar()
    assert cal.is_workday(date(2027, 2, 6)) and not cal.is_workday(date(2027, 1, 1))

    path.write_text("date,workday,name\n2027-01-01,0,元旦\n2027-02-06,0,改为放假\n", "utf-8")
    code, out, _ = run(capsys, "applications", "holiday", "import", path, "--json")
    assert code == 0 and json.loads(out) == {"added": 0, "changed": 1, "unchanged": 1}


def test_import_json(cli_env, tmp_path, capsys):
    path = tmp_path / "days.json"
    path.write_text(json.dumps([{"date": "2027-10-01", "workday": False, "name": "国庆节"},
                                {"date": "2027-10-09", "workday": 1, "name": "调休"}]), "utf-8")
    code, out, err = run(capsys, "applications", "holiday", "import", path)
    assert code == 0 and "新增2天" in out, err
    assert calendar().is_workday(date(2027, 10, 9))


def test_a_bad_line_loads_nothing_and_names_the_line(cli_env, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("date,workday,name\n2027-01-01,0,元旦\n2027-02-30,0,春节\n", "utf-8")
    code, out, err = run(capsys, "applications", "holiday", "import", path)
    assert code == 2 and "第3行" in err and "2027-02-30" in err and "未导入" in err
    assert listed(capsys, 2027) == []  # line 2 was good, but nothing is loaded


@pytest.mark.parametrize(("text", "message"), [
    ("day,off\n2027-01-01,0\n", "第1行应为表头"),
    ("date,workday,name\n2027-01-01,2,元旦\n", "第2行：workday应为0"),
    ("date,workday,name\n2027-01-01,0,元旦\n2027-1-1,1,重复\n", "第3行：2027-01-01与第2行重复"),
    ("date,workday,name\n,0,元旦\n", "第2行：缺少日期"),
    ("date,workday,name\n2027-01-01,0,元旦,多一列\n", "第2行：格式不对"),
    ("date,workday,name\n", "没有日期"),
])
def test_bad_files_are_refused(cli_env, tmp_path, capsys, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text, "utf-8")
    code, _, err = run(capsys, "applications", "holiday", "import", path)
    assert code == 2 and message in err


def test_holiday_for_one_day_still_works(cli_env, capsys):
    code, out, _ = run(capsys, "applications", "holiday", "2027-05-08", "--workday", "--name", "调休")
    assert code == 0 and "2027-05-08：调休上班" in out
    assert calendar().is_workday(date(2027, 5, 8))
    code, _, err = run(capsys, "applications", "holiday", "2027-5-x")
    assert code == 2 and "YYYY-MM-DD" in err
