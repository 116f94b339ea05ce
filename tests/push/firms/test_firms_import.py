"""Firm import: per-row report, bad rows never block good ones nor are half-written."""

import json

import pytest
from sqlmodel import Session, select

from kb.database.db import session_scope
from kb.errors import InvalidInput
from push.errors import FirmNotFound, InvalidCreditCode
from push.firms import registry as firms_service
from push.firms.models import Firm
from push.firms.registry import get_firm, import_firms
from push.matching.synthetic import make_uscc

HEADER = (
    "uscc,name,industry_code,employees,revenue,assets,region,qualifications,business_scope,"
    "contact_name,contact_email,contact_phone,webhook_url,channels"
)


def _csv(tmp_path, *rows, name="firms.csv", header=HEADER):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _uscc_wrong_check(i):
    code = make_uscc(i)
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def test_csv_good_and_bad_rows(engine, tmp_path):
    path = _csv(
        tmp_path,
        f"{make_uscc(1)},甲公司,3911,120,5000,3000,城关镇,高新技术企业；科技型中小企业,电子元器件制造,张三,a@example.cn,0517-1,,email",
        f"{_uscc_wrong_check(2)},乙公司,3911,10,100,,城关镇,,,,,,,",
        f"{make_uscc(3)},丙公司,99,10,100,,城关镇,,,,,,,",
        f"{make_uscc(4)},丁公司,52,-5,100,,城关镇,,,,,,,",
        f"{make_uscc(5)},戊公司,52,5,100,,城关镇,,,,,,,fax",
        f"{make_uscc(6)},己公司,52,5,100,,城关镇,,,,,,,email",
        f"{make_uscc(7)},庚公司,c3911,\"1,200\",,,塔集镇,,,,,,https://hook.example.cn/x,webhook",
    )  # fmt: skip
    with session_scope(engine) as session:
        report = import_firms(session=session, path=path)
    assert (report.created, report.updated) == (2, 0)
    lines = {e.line: e.message for e in report.errors}
    assert sorted(lines) == [3, 4, 5, 6, 7]
    assert "校验码错误" in lines[3]
    assert "industry_code" in lines[4] and "大类99" in lines[4]
    assert "employees" in lines[5]
    assert "未知的推送渠道" in lines[6]
    assert "email渠道但未填写联系邮箱" in lines[7]
    with Session(engine) as session:
        saved = {f.uscc: f for f in session.exec(select(Firm))}
    assert set(saved) == {make_uscc(1), make_uscc(7)}
    first = saved[make_uscc(1)]
    assert first.qualifications == ["高新技术企业", "科技型中小企业"]
    assert (first.employees, first.revenue, first.assets) == (120, 5000.0, 3000.0)
    assert first.channels == ["email"]
    assert saved[make_uscc(7)].industry_code == "3911"
    assert saved[make_uscc(7)].employees == 1200


def test_chinese_headers_are_accepted(engine, tmp_path):
    path = _csv(tmp_path, f"{make_uscc(8)},辛公司,7010,8000,6000,开发区街道,备注",
                header="统一社会信用代码,企业名称,行业代码,营业收入,资产总额,镇街,备注")  # fmt: skip
    with session_scope(engine) as session:
        report = import_firms(session=session, path=path)
        firm = get_firm(session=session, uscc=make_uscc(8))
    assert report.ok and report.ignored_columns == ["备注"]
    assert (firm.industry_code, firm.revenue, firm.region) == ("7010", 8000.0, "开发区街道")


def test_jsonl_with_a_malformed_line(engine, tmp_path):
    path = tmp_path / "firms.jsonl"
    rows = [
        json.dumps({"uscc": make_uscc(10), "name": "壹", "industry_code": "C",
                    "qualifications": ["高新技术企业"]}, ensure_ascii=False),
        "{not json",
        json.dumps(["a list"]),
        "",
        json.dumps({"uscc": make_uscc(11), "name": "贰"}, ensure_ascii=False),
        json.dumps({"uscc": "91350100M000100Y4I", "name": "叁"}, ensure_ascii=False),
    ]  # fmt: skip
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with session_scope(engine) as session:
        report = import_firms(session=session, path=path)
    assert report.created == 2
    assert [e.line for e in report.errors] == [2, 3, 6]
    assert "不允许的字符" in report.errors[2].message


def test_reimport_updates_only_the_given_fields(engine, tmp_path):
    first = _csv(tmp_path, f"{make_uscc(20)},甲,3911,100,5000,3000,城关镇,,,,,,,")
    with session_scope(engine) as session:
        import_firms(session=session, path=first)
    second = tmp_path / "update.jsonl"
    second.write_text(json.dumps({"uscc": make_uscc(20).lower(), "name": "甲（更名）",
                                  "employees": 150}, ensure_ascii=False))  # fmt: skip
    with session_scope(engine) as session:
        report = import_firms(session=session, path=second)
        firm = get_firm(session=session, uscc=make_uscc(20))
    assert (report.created, report.updated) == (0, 1)
    assert (firm.name, firm.employees, firm.revenue, firm.region) == (
        "甲（更名）",
        150,
        5000.0,
        "城关镇",
    )


def test_a_row_failing_in_the_database_is_never_half_written(engine, tmp_path, monkeypatch):
    real = firms_service.upsert_firm

    def flaky(*, session, data):
        firm, created = real(session=session, data=data)  # flushed: the row is in the database
        if data.name == "坏":
            raise firms_service.SQLAlchemyError("disk on fire")
        return firm, created

    monkeypatch.setattr(firms_service, "upsert_firm", flaky)
    path = _csv(tmp_path, f"{make_uscc(30)},好,3911,1,1,1,,,,,,,,",
                f"{make_uscc(31)},坏,3911,1,1,1,,,,,,,,", f"{make_uscc(32)},也好,3911,1,1,1,,,,,,,,")  # fmt: skip
    with session_scope(engine) as session:
        report = import_firms(session=session, path=path)
    assert report.created == 2 and report.errors[0].line == 3
    assert "disk on fire" in report.errors[0].message
    with Session(engine) as session:
        assert sorted(f.name for f in session.exec(select(Firm))) == ["也好", "好"]


def test_nothing_is_committed_before_the_one_commit_point(engine, tmp_path):
    path = _csv(tmp_path, f"{make_uscc(40)},甲,3911,1,1,1,,,,,,,,", f"{make_uscc(41)},乙,3911,1,1,1,,,,,,,,")  # fmt: skip
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        import_firms(session=session, path=path)
        raise RuntimeError("the caller fails after the import")
    with Session(engine) as session:
        assert session.exec(select(Firm)).all() == []


@pytest.mark.parametrize(
    ("name", "message"), [("firms.xlsx", "不支持的格式"), ("none.csv", "文件不存在")]
)
def test_unreadable_files_are_user_errors(engine, tmp_path, name, message):
    with pytest.raises(InvalidInput, match=message), session_scope(engine) as session:
        import_firms(session=session, path=tmp_path / name)


def test_get_firm_errors(session):
    with pytest.raises(FirmNotFound):
        get_firm(session=session, uscc=make_uscc(99))
    with pytest.raises(InvalidCreditCode):
        get_firm(session=session, uscc="123")
