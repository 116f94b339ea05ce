"""文号 brackets: one spelling (〔〕) for ingestion, storage and search."""

import re

OPEN = "〔[［【(（"
CLOSE = "〕]］】)）"
_YEAR = re.compile(rf"[{re.escape(OPEN)}]\s*(\d{{4}})\s*[{re.escape(CLOSE)}]")
# A search box often holds only part of a 文号: "金政发[2024" or "2024]12号".
_OPEN_YEAR_END = re.compile(rf"[{re.escape(OPEN)}]\s*(\d{{4}})\s*$")
_YEAR_CLOSE_START = re.compile(rf"^\s*(\d{{4}})\s*[{re.escape(CLOSE)}]")


def normalise_doc_brackets(text: str) -> str:
    """``text`` with every bracketed year (金政发[2024]12号, 【2024】, （2024）) written 〔2024〕."""
    text = _YEAR.sub(r"〔\1〕", text)
    text = _OPEN_YEAR_END.sub(r"〔\1", text)
    return _YEAR_CLOSE_START.sub(r"\1〕", text)
