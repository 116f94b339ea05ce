"""GB/T 4754-2017 industry codes: parsing at every level, validation and the hierarchy."""

import re
from dataclasses import dataclass

from kb.errors import InvalidIndustryCode
from kb.standards.gbt4754 import divisions

# A section letter alone, or digits with an optional leading section letter ("C3911").
_CODE = re.compile(r"^(?P<letter>[A-Z])?(?P<digits>\d{2,4})?$")

LEVELS = ("section", "division", "group", "class")  # 门类, 大类, 中类, 小类


@dataclass(frozen=True)
class IndustryCode:
    """A parsed code; finer parts are ``None`` when the code stops at a coarser level."""

    section: str
    division: str | None = None
    group: str | None = None  # 3 digits, e.g. "391"
    klass: str | None = None  # 4 digits, e.g. "3911"

    @property
    def code(self) -> str:
        """The canonical form: the section letter alone, else the digits."""
        return self.klass or self.group or self.division or self.section

    @property
    def level(self) -> str:
        """Which of ``LEVELS`` the code stops at."""
        return LEVELS[len(self.ancestors()) - 1]

    def ancestors(self) -> list[str]:
        """Itself and every level above it, coarsest first: "3911" -> ["C", "39", "391", "3911"]."""
        parts = [self.section, self.division, self.group, self.klass]
        return [p for p in parts if p is not None]

    def within(self, other: "IndustryCode") -> bool:
        """Whether this code lies inside ``other`` (or is it); a coarser code never lies inside a finer one."""
        return other.code in self.ancestors()

    def label(self) -> str:
        """The code with the name of its division or section, for explanations."""
        table = divisions()
        if self.division is None:
            return f"{self.section} {table.section_names[self.section]}"
        name = table.division_names[self.division]
        if self.code == self.division:
            return f"{self.division} {name}"
        return f"{self.code}（属于{self.division} {name}）"


def parse_industry_code(raw: str) -> IndustryCode:
    """Parse and validate a code; a 3- or 4-digit code is valid when its 2-digit division exists."""
    text = re.sub(r"\s+", "", str(raw or "")).upper()
    match = _CODE.match(text)
    if not text or match is None or not (match["letter"] or match["digits"]):
        raise InvalidIndustryCode(
            f"行业代码“{raw}”格式不对：应为门类字母（如C）或2至4位数字（如39、391、3911）"
        )
    table = divisions()
    letter, digits = match["letter"], match["digits"]
    if digits is None:
        if letter not in table.section_names:
            raise InvalidIndustryCode(f"行业代码“{raw}”不是GB/T 4754-2017的门类（A至T）")
        return IndustryCode(section=letter)
    division = digits[:2]
    section = table.division_section.get(division)
    if section is None:
        raise InvalidIndustryCode(f"行业代码“{raw}”的大类{division}不在GB/T 4754-2017中")
    if letter is not None and letter != section:
        raise InvalidIndustryCode(
            f"行业代码“{raw}”的门类字母{letter}与大类{division}所属门类{section}不符"
        )
    return IndustryCode(
        section=section,
        division=division,
        group=digits[:3] if len(digits) >= 3 else None,
        klass=digits if len(digits) == 4 else None,
    )


def looks_like_code(raw: str) -> bool:
    """Whether ``raw`` is written as a code (a letter, digits or both), valid or not."""
    text = re.sub(r"\s+", "", str(raw or "")).upper()
    return bool(text) and _CODE.match(text) is not None


def normalize_industry_code(raw: str) -> str:
    """The canonical string of a valid code ("c3911" -> "3911", "c" -> "C")."""
    return parse_industry_code(raw).code
