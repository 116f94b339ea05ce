"""How a clause reads on a page: its parent headings once, its label once, then its text."""

import re

# The last label of a nested section ("三、（二）" → "（二）"), which the text itself begins with.
_LAST_LABEL = re.compile(r"(（[一二三四五六七八九十百\d]+）|\d+[.．]|（\d+）)$")
PATH_SEP = " > "


def clause_context(section: str, heading: str) -> str:
    """The parent headings of a clause (第一章 总则), without the clause's own heading line."""
    parts = [p for p in heading.split(PATH_SEP) if p.strip()] if heading else []
    if parts and section and _starts_with_label(parts[-1], section):
        parts = parts[:-1]
    return PATH_SEP.join(parts)


def clause_body(section: str, text: str) -> str:
    """The clause's text without the label printed in front of it (shown as its anchor)."""
    for label in _labels(section):
        if text.startswith(label):
            return text[len(label):].lstrip(" 　")
    return text


def _labels(section: str) -> list[str]:
    if not section:
        return []
    m = _LAST_LABEL.search(section)
    return [section] + ([m.group(1)] if m and m.group(1) != section else [])


def _starts_with_label(line: str, section: str) -> bool:
    return any(line.startswith(label) for label in _labels(section))
