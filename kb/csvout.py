"""The one CSV writer for every export: UTF-8 with a BOM (Excel shows the Chinese), CRLF rows,
and text that a spreadsheet would run as a formula (= + - @, tab, carriage return) kept as text."""

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def cell(value: object) -> object:
    """``value`` as written to a cell: numbers as they are, formula-like text quoted with '."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text of ``header`` and ``rows``, every cell through ``cell``."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()


def dicts_csv(rows: list[dict]) -> str:
    """CSV text of dicts sharing the first one's keys (only the BOM when there are none)."""
    if not rows:
        return "\ufeff"
    header = list(rows[0])
    return csv_text(header, ([r.get(k) for k in header] for r in rows))
