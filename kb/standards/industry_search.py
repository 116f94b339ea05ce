"""Finding a GB/T 4754-2017 industry by the words a firm uses ("电子厂", "开饭店"), not its code."""

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from kb.errors import InvalidIndustryCode
from kb.standards.gbt4754 import divisions
from kb.standards.industry import looks_like_code, parse_industry_code

SUGGESTIONS = 8  # at most this many industries offered for one text


@dataclass(frozen=True)
class Industry:
    """A section (门类, code "C") or division (大类, code "39"), or a finer code typed as such."""

    code: str
    name: str  # the section's or division's name; a finer code's division
    section_name: str  # the 门类 it belongs to (a section's own name for a section)

    @property
    def label(self) -> str:
        """Code and name, as a picker shows it: "39 计算机、通信和其他电子设备制造业"."""
        if len(self.code) > 2:  # a group or class: the name is its division's
            return f"{self.code}（属于{self.code[:2]} {self.name}）"
        return f"{self.code} {self.name}"


@dataclass(frozen=True)
class IndustryChoice:
    """What a typed industry comes to: one industry, or candidates for the firm to choose from
    (neither: nothing in the table resembles the text)."""

    text: str
    industry: Industry | None
    candidates: tuple[Industry, ...] = ()


# Words around the industry that say nothing about it ("开饭店的", "电子有限公司"); a factory
# or "生产/制造/加工" says the firm makes things (门类 C, 制造业).
_LEADING = ("从事", "经营", "开", "做", "搞")
_TRAILING = ("股份有限公司", "有限责任公司", "有限公司", "公司", "集团", "企业", "生意", "行业",
             "产业", "的")
_MAKING = ("工厂", "厂", "生产", "制造", "加工")
_NOISE = re.compile(r"[\s、，,。.；;：:（）()“”\"'/\\-]+")
_LABELLED = re.compile(r"^([A-Za-z]?\d{2,4}|[A-Za-z])\s+\S")
_EXACT, _CONTAINS, _KEYWORD, _PREFIX = 100, 60, 55, 30  # scores; _PREFIX and below are weak


def _entries() -> list[Industry]:
    """Every division, and every section whose name is not also a division's (房地产业)."""
    table = divisions()
    rows = [Industry(d, name, table.section_names[table.division_section[d]])
            for d, name in table.division_names.items()]
    taken = set(table.division_names.values())
    rows += [Industry(s, name, name) for s, name in table.section_names.items() if name not in taken]
    return rows


@lru_cache(maxsize=1)
def _index() -> tuple[tuple[Industry, ...], dict[str, tuple[str, ...]]]:
    """The industries, and the everyday words that point to divisions (data/gbt4754_keywords.tsv)."""
    text = resources.files("kb.standards").joinpath("data/gbt4754_keywords.tsv").read_text("utf-8")
    keywords = {row["keyword"].strip(): tuple(row["codes"].split())
                for row in csv.DictReader(io.StringIO(text), delimiter="\t")}
    return tuple(_entries()), keywords


def _clean(text: str) -> tuple[str, bool]:
    """The words that name the industry, and whether the text says the firm makes things."""
    term = _NOISE.sub("", text or "")
    for word in _LEADING:
        if term.startswith(word) and len(term) > len(word):
            term = term[len(word):]
            break
    making = False
    changed = True
    while changed:  # "电子制造有限公司" loses both the company and the making
        changed = False
        for word in _TRAILING + _MAKING:
            if term.endswith(word) and len(term) > len(word):
                term, changed = term[: -len(word)], True
                making = making or word in _MAKING
                break
    return term, making


def _score(entry: Industry, term: str, keywords: dict[str, tuple[str, ...]]) -> int:
    """How well ``term`` names ``entry``: _EXACT, _CONTAINS or _KEYWORD are clear, less is a guess."""
    name = entry.name
    if term in (name, name.removesuffix("业")):
        return _EXACT
    if term in name or (term.endswith("业") and term[:-1] in name):
        return _CONTAINS
    if any(entry.code in codes and word in term for word, codes in keywords.items()):
        return _KEYWORD
    if any(entry.code in codes and word.startswith(term) for word, codes in keywords.items()):
        return _PREFIX  # half typed: "饭" for 饭店
    pairs = {term[i:i + 2] for i in range(len(term) - 1)}
    shared = sum(1 for p in pairs if p in name)
    return 20 * shared // len(pairs) if pairs else 0


def _ranked(term: str, making: bool) -> list[tuple[int, Industry]]:
    entries, keywords = _index()
    if not term:  # only punctuation: "" lies in every name
        return []
    scored = []
    for entry in entries:
        score = _score(entry, term, keywords)
        if score <= 0:
            continue
        if making and entry.section_name == "制造业":
            score += 10  # a factory is more likely 制造业 than the repair shop of the same goods
        scored.append((score, entry))
    scored.sort(key=lambda s: (-s[0], len(s[1].name), s[1].code))
    return scored


def _by_code(text: str) -> Industry:
    """The industry a typed code names; InvalidIndustryCode when it names none."""
    code = parse_industry_code(text)
    table = divisions()
    if code.division is None:
        name = table.section_names[code.section]
        return Industry(code.code, name, name)
    return Industry(code.code, table.division_names[code.division],
                    table.section_names[code.section])


def find_industries(text: str, *, limit: int = SUGGESTIONS) -> list[Industry]:
    """The industries that ``text`` (a name, an everyday word or a code) may mean, best first."""
    text = (text or "").strip()
    if not text:
        return []
    labelled = _LABELLED.match(text)
    if looks_like_code(text) or labelled:
        try:
            return [_by_code(labelled[1] if labelled else text)]
        except InvalidIndustryCode:  # a suggestion list offers nothing for a code with no industry
            return []
    term, making = _clean(text)
    return [entry for _, entry in _ranked(term, making)[:limit]]


def resolve_industry(text: str) -> IndustryChoice:
    """The one industry ``text`` clearly means, else the candidates to choose from.

    A code is taken as it is (InvalidIndustryCode when the standard has no such code). A name is
    clear when it is an industry's name, or when exactly one industry matches it well (for a
    factory: exactly one in 制造业): "电子厂" is 39, "食品" asks between 13 and 14.
    """
    text = (text or "").strip()
    labelled = _LABELLED.match(text)  # a suggestion's label typed back: "39 计算机、通信…"
    if looks_like_code(text) or labelled:
        return IndustryChoice(text, _by_code(labelled[1] if labelled else text))
    term, making = _clean(text)
    ranked = _ranked(term, making)
    if ranked and ranked[0][0] >= _EXACT and (len(ranked) == 1 or ranked[1][0] < _EXACT):
        return IndustryChoice(text, ranked[0][1])
    clear = [entry for score, entry in ranked if score >= _KEYWORD]
    # "软件" names 65 and its section I: the division says more.
    clear = [e for e in clear if e.section_name != e.name
             or not any(o.section_name == e.name and o is not e for o in clear)]
    if making:
        made = [entry for entry in clear if entry.section_name == "制造业"]
        clear = made or clear
    if len(clear) == 1:
        return IndustryChoice(text, clear[0])
    return IndustryChoice(text, None, tuple(entry for _, entry in ranked[:SUGGESTIONS]))


def industry_label(code: str) -> str | None:
    """The label of ``code`` ("39 计算机、通信和其他电子设备制造业"); None for a blank or unknown one."""
    if not (code or "").strip():
        return None
    try:
        return _by_code(code).label
    except InvalidIndustryCode:
        return None
