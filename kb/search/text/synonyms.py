"""Everyday abbreviations enterprises use for policy terms, mapped to the terms documents use."""

import re

# Colloquial form -> the written policy term. Kept small and unambiguous on purpose.
SYNONYMS = {
    "高企": "高新技术企业",
    "高新企业": "高新技术企业",
    "技改": "技术改造",
    "智改数转": "智能化改造 数字化转型",
    "规上": "规模以上",
    "小巨人": "专精特新",
    "社保": "社会保险",
    "医保": "医疗保险",
    "公积金": "住房公积金",
    "大学生": "高校毕业生",
    "应届生": "高校毕业生",
    "毕业生": "高校毕业生",
    "贴息": "贷款贴息",
    "加计扣除": "研发费用加计扣除",
    "退税": "留抵退税",
    "个体户": "个体工商户",
    "小微": "小型微型企业",
    "执照": "营业执照",
    "招工": "招用 就业",
    "人才房": "人才公寓",
}
_PATTERN = re.compile("|".join(sorted(map(re.escape, SYNONYMS), key=len, reverse=True)))


def expand(query: str) -> str:
    """The query with the written term appended after each colloquial one (both then match)."""
    return _PATTERN.sub(lambda m: f"{m.group(0)} {SYNONYMS[m.group(0)]} ", query)


def canonical(query: str) -> str:
    """The query with colloquial terms replaced by the written ones."""
    return _PATTERN.sub(lambda m: f" {SYNONYMS[m.group(0)]} ", query)
