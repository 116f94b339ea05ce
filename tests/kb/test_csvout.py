"""Finding 7: one CSV writer for every export; nothing a spreadsheet would run as a formula."""

import csv
import io

import pytest

from kb.csvout import cell, csv_text
from kb.feedback.stats import to_csv
from push.reports.funnel import FunnelRow, funnel_csv

pytestmark = pytest.mark.no_database  # pure logic: the SQLite run covers it

FORMULAS = ['=HYPERLINK("http://evil.example","点我")', "@SUM(1+1)", "-2+3", "+1", "\t=1",
            "\r=1", " =1", "＝1"]


def _cells(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_text_is_kept_as_text(value):
    assert cell(value) == "'" + value


def test_numbers_and_plain_text_are_left_alone():
    assert cell(-3) == -3 and cell(2.5) == 2.5 and cell("高企奖励") == "高企奖励" and cell(None) == ""


def test_the_push_funnel_csv_defuses_formulas_in_titles():
    rows = [FunnelRow(key=i, label=label) for i, label in enumerate(FORMULAS, start=1)]
    cells = _cells(funnel_csv(rows))
    assert [c[1] for c in cells[1:]] == ["'" + f for f in FORMULAS]
    assert cells[0][:2] == ["编号", "名称"]


def test_the_statistics_csv_defuses_formulas():
    cells = _cells(to_csv([{"部门": f, "提问": 1} for f in FORMULAS]))
    assert [c[0] for c in cells[1:]] == ["'" + f for f in FORMULAS]


def test_crlf_rows_and_a_bom():
    text = csv_text(["a"], [["x"]])
    assert text == "\ufeffa\r\nx\r\n"
