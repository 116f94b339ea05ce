"""Importing 一企一档 facts: per-row report, all or nothing per file, and the CLI."""

import json

import pytest
from sqlmodel import Session, select

from kb.cli.main import main
from kb.config import get_settings
from kb.database.db import create_schema, make_engine, session_scope
from kb.errors import InvalidInput
from push.facts.catalog import define
from push.facts.imports import import_facts
from push.facts.models import FactType, FirmFact
from push.facts.sheet import sheet_for
from push.firms.models import Firm
from push.matching.synthetic import make_uscc
from tests.push.conftest import add_firm


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def facts(engine) -> list[tuple]:
    with Session(engine) as s:
        return sorted((f.firm_id, f.name, f.year, f.value["v"], f.source)
                      for f in s.exec(select(FirmFact)))


def test_a_good_file_is_imported_and_a_second_one_replaces_its_figures(engine, tmp_path):
    with Session(engine, expire_on_commit=False) as s:
        firm = add_firm(s, 1)
    path = write(tmp_path / "f.csv",
                 "统一社会信用代码,年度,来源部门,新增设备投资,营收增长率,研发费用\n"
                 f"{make_uscc(1)},2025,县工信局,\"1,200\",8%,\n")
    with session_scope(engine) as s:
        report = import_facts(session=s, path=path)
    assert report.ok and (report.created, report.updated) == (2, 0)
    assert facts(engine) == [(firm.id, "equipment_investment", 2025, 1200, "县工信局"),
                             (firm.id, "revenue_growth", 2025, 8, "县工信局")]  # blank: not zero
    write(path, f"uscc,year,source,equipment_investment\n{make_uscc(1)},2025,县统计局,800.5\n")
    with session_scope(engine) as s:
        report = import_facts(session=s, path=path)
    assert (report.created, report.updated) == (0, 1)
    with Session(engine) as s:
        assert sheet_for(session=s, firm_id=firm.id).get("equipment_investment", 2025) == 800.5


def test_one_bad_row_keeps_the_whole_file_out_and_every_error_is_reported(engine, tmp_path):
    with Session(engine) as s:
        add_firm(s, 1)
    path = write(tmp_path / "f.jsonl", "\n".join([
        json.dumps({"uscc": make_uscc(1), "year": 2025, "source": "县税务局", "tax_paid": 30}),
        json.dumps({"uscc": make_uscc(1), "year": 2025, "source": "县税务局", "tax_paid": "三十"}),
        json.dumps({"uscc": make_uscc(7), "year": 2025, "source": "县税务局", "tax_paid": 3}),
        json.dumps({"uscc": make_uscc(1), "year": 1850, "tax_paid": 3}),
        "{not json",
    ]) + "\n")
    with session_scope(engine) as s:
        report = import_facts(session=s, path=path)
    assert not report.ok and report.created == 0
    by_line = {e.line: e.message for e in report.errors}
    assert sorted(by_line) == [2, 3, 4, 5]
    assert "tax_paid: 纳税额应为数值（万元）：三十" in by_line[2]
    assert "企业库中没有统一社会信用代码" in by_line[3]
    assert "year: 年度1850不在1990至2100之间" in by_line[4]
    assert "source: 请填写来源部门" in by_line[4]
    assert "不是合法的JSON" in by_line[5]
    assert facts(engine) == []


def test_an_unknown_column_fails_the_file_naming_it(engine, tmp_path):
    with Session(engine) as s:
        add_firm(s, 1)
    path = write(tmp_path / "f.csv", f"uscc,year,source,设备投资额\n{make_uscc(1)},2025,县工信局,5\n")
    with session_scope(engine) as s:
        report = import_facts(session=s, path=path)
    assert not report.ok and "未知的事实列：设备投资额" in report.errors[0].message
    assert facts(engine) == []


def test_county_defined_facts_are_typed(engine, tmp_path):
    with Session(engine, expire_on_commit=False) as s:
        firm = add_firm(s, 1)
    with session_scope(engine) as s:
        define(session=s, name="export_firm", label="出口企业", type=FactType.BOOL)
        define(session=s, name="products", label="主要产品", type=FactType.LIST)
        with pytest.raises(InvalidInput, match="内置事实"):
            define(session=s, name="revenue", label="收入", type=FactType.NUMBER, unit="万元")
        with pytest.raises(InvalidInput, match="单位"):
            define(session=s, name="exports", label="出口额", type=FactType.NUMBER, unit="美元")
    path = write(tmp_path / "f.csv", f"uscc,year,source,出口企业,主要产品\n{make_uscc(1)},2025,县商务局,是,"
                                     "\"电机、线缆\"\n")
    with session_scope(engine) as s:
        assert import_facts(session=s, path=path).ok
    with Session(engine) as s:
        sheet = sheet_for(session=s, firm_id=firm.id)
    assert sheet.get("export_firm", 2025) is True and sheet.get("products", 2025) == ["电机", "线缆"]
    write(path, f"uscc,year,source,出口企业\n{make_uscc(1)},2025,县商务局,也许\n")
    with session_scope(engine) as s:
        report = import_facts(session=s, path=path)
    assert "出口企业应为“是”或“否”：也许" in report.errors[0].message


@pytest.fixture
def kb_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KB_INDEX_DIR", str(tmp_path / "indexes"))
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_cli_import_exit_codes_and_report(kb_home, capsys):
    assert main(["init"]) == 0
    engine = make_engine(get_settings().db_url)
    create_schema(engine)
    with session_scope(engine) as s:
        s.add(Firm(uscc=make_uscc(3), name="金湖测试有限公司"))
    good = write(kb_home / "good.csv", f"uscc,year,新增设备投资\n{make_uscc(3)},2025,800\n")
    assert main(["facts", "import", str(good), "--source", "县工信局"]) == 0
    assert "新增1项，更新0项" in capsys.readouterr().out
    bad = write(kb_home / "bad.csv", f"uscc,year,新增设备投资\n{make_uscc(3)},2025,800\n")
    assert main(["facts", "import", str(bad), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["failed"] == 1 and "source" in out["errors"][0]["message"]
    assert main(["facts", "import", str(kb_home / "none.csv")]) == 2
    assert main(["facts", "show", "--firm", make_uscc(3), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["facts"]
    assert [(f["label"], f["text"], f["source"]) for f in shown] == [("新增设备投资", "800万元", "县工信局")]
    engine.dispose()
