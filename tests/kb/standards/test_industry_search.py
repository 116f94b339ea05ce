"""Finding a GB/T 4754-2017 industry by the words a firm uses, and settling on one when it is clear."""

import pytest

from kb.errors import InvalidIndustryCode
from kb.standards.industry_search import find_industries, industry_label, resolve_industry


def codes(text: str) -> list[str]:
    return [i.code for i in find_industries(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("电子", ["39", "81"]),  # both names hold the word; the maker first
    ("食品", ["14", "13"]),
    ("饭店", ["62"]),  # an everyday word, not in any name
    ("开饭店的", ["62"]),
    ("饭", ["62"]),  # half typed
    ("3911", ["3911"]),
    ("c", ["C"]),
    ("39 计算机、通信和其他电子设备制造业", ["39"]),  # a chosen suggestion typed back
    ("99", []),  # no such division
    ("、、", []),
    ("", []),
])
def test_find_industries(text, expected):
    assert codes(text) == expected


def test_suggestions_carry_name_and_section():
    first = find_industries("电子")[0]
    assert (first.code, first.name, first.section_name) == ("39", "计算机、通信和其他电子设备制造业", "制造业")
    assert first.label == "39 计算机、通信和其他电子设备制造业"
    assert len(find_industries("电")) <= 8


@pytest.mark.parametrize(("text", "code"), [
    ("电子厂", "39"),  # a factory makes things: not the 81 repair shops
    ("电子制造有限公司", "39"),
    ("饭店", "62"),
    ("软件", "65"),  # the division, not its section I
    ("建筑业", "E"),
    ("农业", "01"),
    ("阀门厂", "34"),
    ("3491", "3491"),
])
def test_a_clear_name_resolves_to_one_industry(text, code):
    choice = resolve_industry(text)
    assert choice.industry is not None and choice.industry.code == code and not choice.candidates


@pytest.mark.parametrize(("text", "candidates"), [
    ("电子", {"39", "81"}),
    ("食品厂", {"13", "14"}),
    ("物流", {"54", "58", "59"}),
])
def test_an_unclear_name_offers_candidates(text, candidates):
    choice = resolve_industry(text)
    assert choice.industry is None and {i.code for i in choice.candidates} == candidates


def test_nothing_alike_offers_nothing_and_a_bad_code_says_why():
    nothing = resolve_industry("xyz")
    assert nothing.industry is None and nothing.candidates == ()
    with pytest.raises(InvalidIndustryCode, match="大类99"):
        resolve_industry("99")


def test_industry_label():
    assert industry_label("62") == "62 餐饮业"
    assert industry_label("3911") == "3911（属于39 计算机、通信和其他电子设备制造业）"
    assert industry_label("") is None and industry_label("99") is None
