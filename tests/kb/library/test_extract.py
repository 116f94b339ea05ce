"""Metadata read from the text of official documents."""

from datetime import date

import pytest

from kb.library.extract import doc_number, extract_header, parse_date
from tests.utils.builders import NOTICE

pytestmark = pytest.mark.no_database  # pure logic: the SQLite run covers it


def test_notice_header():
    h = extract_header(NOTICE)
    assert h.title == "关于印发金湖县2025年中小企业服务工作要点的通知"
    assert h.doc_number == "金政办发〔2025〕7号"
    assert h.issuer == "金湖县人民政府办公室"
    assert h.issue_date == date(2025, 2, 18)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("金政办〔2021〕48号", "金政办〔2021〕48号"), ("苏政发[2020] 3号", "苏政发〔2020〕3号"),
     ("淮人社规（2023）12号", "淮人社规〔2023〕12号"), ("国办发【2019】5 号", "国办发〔2019〕5号"),
     ("没有文号的文本", None)],
)
def test_doc_number_variants(text, expected):
    assert doc_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2021年8月26日", date(2021, 8, 26)), ("二〇二一年八月二十六日", date(2021, 8, 26)),
     ("二〇二四年十二月三十一日", date(2024, 12, 31)), ("2021年13月1日", None)],
)
def test_dates(text, expected):
    assert parse_date(text) == expected
