"""Row files from outside (firms, facts, applications): CSV with a header row, or JSONL, read
one row at a time with its line number, a bad line reported instead of stopping the file."""

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kb.errors import InvalidInput

FORMATS = ("csv", "jsonl")
ALIASES = {"json": "jsonl", "ndjson": "jsonl"}


def row_format(path: Path, fmt: str | None = None) -> str:
    """``fmt`` (else the file's suffix) as ``csv`` or ``jsonl``; InvalidInput for another format
    or a file that is not there."""
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    fmt = ALIASES.get(fmt, fmt)
    if fmt not in FORMATS:
        raise InvalidInput(f"{path}: 不支持的格式“{fmt}”，应为csv或jsonl")
    if not path.is_file():
        raise InvalidInput(f"{path}: 文件不存在")
    return fmt


def read_rows(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line, row) pairs, or (line, error message) for a line that cannot be parsed; blank lines
    (and CSV rows of empty cells) are skipped. Lines count from 1, a CSV's header being line 1."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        if fmt == "csv":
            reader = csv.DictReader(fh)
            for row in reader:
                if None in row:
                    yield reader.line_num, "该行的列数多于表头"
                    continue
                if any((v or "").strip() for v in row.values()):
                    yield reader.line_num, row
            return
        for number, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                yield number, f"不是合法的JSON：{exc.msg}"
                continue
            yield number, row if isinstance(row, dict) else "每行应为一个JSON对象"
