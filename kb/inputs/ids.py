"""Record numbers as typed in URLs and forms: ASCII digits within the database's 64-bit range."""

MAX_ID = 2**63 - 1


def parse_id(text: object) -> int | None:
    """``text`` as a record number, or None when it is not one (Unicode digits such as ³, signs,
    or a number too large for any row)."""
    raw = str(text).strip() if text is not None else ""
    if not raw or len(raw) > 19 or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None
