"""Metadata stated in a policy text: title, 文号, issuing body, date."""

import re
from dataclasses import dataclass
from datetime import date

from kb.library.docnumber import CLOSE, OPEN

_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "O": 0, "○": 0}

DOC_NUMBER = re.compile(
    rf"([\u4e00-\u9fa5]{{1,12}})\s*[{re.escape(OPEN)}]\s*(\d{{4}})\s*[{re.escape(CLOSE)}]\s*(\d{{1,4}})\s*号"
)
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_CN_DATE = re.compile(r"([〇零○O一二三四五六七八九]{4})年([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})日")
_ORG = re.compile(
    r"^[\u4e00-\u9fa5（）()、]{2,40}(?:人民政府|办公室|政府|局|委员会|委|厅|部|中心|办|公司|银行|协会)(?:（章）)?$"
)
_TITLE_WORDS = re.compile(r"(?:通知|意见|办法|规定|决定|方案|细则|措施|规划|要点|指引|公告|通告|批复|条例|政策|解读|指南)$")
_ADDRESSEE = re.compile(r"[：:]$")


@dataclass
class Header:
    """What a document says about itself; any field may be unknown."""

    title: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    issue_date: date | None = None


def _cn_number(s: str) -> int:
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return int("".join(str(_CN_DIGITS[c]) for c in s))


def parse_date(text: str) -> date | None:
    """The first date written as 2021年8月26日 or 二〇二一年八月二十六日 in ``text``."""
    m = _DATE.search(text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = _CN_DATE.search(text)
        if not m:
            return None
        y, mo, d = (_cn_number(g) for g in m.groups())
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def doc_number(text: str) -> str | None:
    """The first 文号 (e.g. 金政办〔2021〕48号), normalised to 〔〕 brackets."""
    m = DOC_NUMBER.search(text)
    return f"{m.group(1)}〔{m.group(2)}〕{m.group(3)}号" if m else None


def _is_date_line(line: str) -> bool:
    return bool(_DATE.fullmatch(line) or _CN_DATE.fullmatch(line))


def extract_header(text: str) -> Header:
    """Read title, 文号, issuer and date from the usual places of a Chinese official document."""
    lines = [ln.strip() for ln in text.replace("\r", "\n").split("\n") if ln.strip()]
    head = lines[:12]
    header = Header()
    header.doc_number = doc_number("\n".join(head)) or doc_number("\n".join(lines[-6:]))

    # Title: the lines before the addressee line, joined when the title is broken over lines.
    block: list[str] = []
    for line in head:
        if _ADDRESSEE.search(line) or len(line) > 60 or _is_date_line(line):
            break
        if DOC_NUMBER.fullmatch(line) or (not block and (_ORG.match(line) or line.endswith("文件"))):
            continue  # red-header lines: 文号, issuing body, "XX文件"
        if line.startswith("关于"):
            block = []  # the title proper starts here; what came before was a header
        block.append(line)
        if _TITLE_WORDS.search(line):
            break
    if block:
        header.title = "".join(block)

    # Issuer and date: a date line (top or bottom), with the issuing body on the line before it.
    for i, line in enumerate(lines):
        if _is_date_line(line):
            header.issue_date = parse_date(line)
            if i > 0 and _ORG.match(lines[i - 1]):
                header.issuer = lines[i - 1]
            break
    if header.issuer is None and lines and _ORG.match(lines[0]):
        header.issuer = lines[0]
    return header
