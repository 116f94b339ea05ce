"""GB/T 4754-2017 codes at section, division, group and class level."""

import pytest

from kb.errors import InvalidIndustryCode
from kb.standards.gbt4754 import divisions
from kb.standards.industry import parse_industry_code

pytestmark = pytest.mark.no_database  # pure logic: the SQLite run covers it


def test_table_has_20_sections_and_97_divisions():
    table = divisions()
    assert len(table.section_names) == 20
    assert len(table.division_names) == 97
    assert table.division_section["39"] == "C"
    assert table.section_divisions["K"] == ("70",)
    assert table.division_names["85"] == "社会工作"


@pytest.mark.parametrize(
    ("raw", "code", "level", "ancestors"),
    [
        ("C", "C", "section", ["C"]),
        ("c", "C", "section", ["C"]),
        ("T", "T", "section", ["T"]),
        ("39", "39", "division", ["C", "39"]),
        ("01", "01", "division", ["A", "01"]),
        ("97", "97", "division", ["T", "97"]),
        ("391", "391", "group", ["C", "39", "391"]),
        ("3911", "3911", "class", ["C", "39", "391", "3911"]),
        ("0111", "0111", "class", ["A", "01", "011", "0111"]),
        ("C3911", "3911", "class", ["C", "39", "391", "3911"]),
        ("k7010", "7010", "class", ["K", "70", "701", "7010"]),
        (" 39 11 ", "3911", "class", ["C", "39", "391", "3911"]),
        ("3919", "3919", "class", ["C", "39", "391", "3919"]),  # valid: its division exists
    ],
)
def test_codes_at_every_level(raw, code, level, ancestors):
    parsed = parse_industry_code(raw)
    assert parsed.code == code
    assert parsed.level == level
    assert parsed.ancestors() == ancestors


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "格式不对"),
        ("U", "不是GB/T 4754-2017的门类"),
        ("Z", "不是GB/T 4754-2017的门类"),
        ("1", "格式不对"),
        ("00", "不在GB/T 4754-2017中"),
        ("98", "不在GB/T 4754-2017中"),
        ("99", "不在GB/T 4754-2017中"),
        ("9911", "不在GB/T 4754-2017中"),
        ("12345", "格式不对"),
        ("3A", "格式不对"),
        ("CC", "格式不对"),
        ("D3911", "门类字母D与大类39所属门类C不符"),
    ],
)
def test_invalid_codes(raw, message):
    with pytest.raises(InvalidIndustryCode, match=message):
        parse_industry_code(raw)


@pytest.mark.parametrize(
    ("firm", "policy", "inside"),
    [
        ("3911", "C", True),
        ("3911", "39", True),
        ("3911", "391", True),
        ("3911", "3911", True),
        ("3911", "3912", False),
        ("3911", "392", False),
        ("3911", "38", False),
        ("3911", "B", False),
        ("39", "391", False),  # a coarser firm code is not inside a finer policy code
        ("C", "39", False),
        ("C", "C", True),
    ],
)
def test_within_the_hierarchy(firm, policy, inside):
    assert parse_industry_code(firm).within(parse_industry_code(policy)) is inside


def test_labels_name_the_division():
    assert parse_industry_code("3911").label() == "3911（属于39 计算机、通信和其他电子设备制造业）"
    assert parse_industry_code("C").label() == "C 制造业"
    assert parse_industry_code("52").label() == "52 零售业"
