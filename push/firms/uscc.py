"""统一社会信用代码 (GB 32100-2015): format check and check character."""

import re

from push.errors import InvalidCreditCode

# The 31 characters the standard allows, in value order (no I, O, Z, S, V).
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(CHARSET)}
# Weight of position i (0-based) is 3**i mod 31.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
LENGTH = 18


def check_char(body: str) -> str:
    """The check character for the first 17 characters of a code."""
    total = sum(_VALUE[c] * w for c, w in zip(body, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def normalize_uscc(raw: str) -> str:
    """Validate a code and return it upper-cased without spaces; raises ``InvalidCreditCode``."""
    code = re.sub(r"\s+", "", str(raw or "")).upper()
    if len(code) != LENGTH:
        raise InvalidCreditCode(f"统一社会信用代码“{raw}”应为18位，实为{len(code)}位")
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        raise InvalidCreditCode(
            f"统一社会信用代码“{raw}”含不允许的字符：{'、'.join(bad)}（不使用I、O、Z、S、V）"
        )
    if not code[2:8].isdigit():
        raise InvalidCreditCode(f"统一社会信用代码“{raw}”第3至8位应为行政区划码（数字）")
    expected = check_char(code[:17])
    if code[17] != expected:
        raise InvalidCreditCode(
            f"统一社会信用代码“{raw}”校验码错误：第18位应为{expected}，实为{code[17]}"
        )
    return code


def is_valid_uscc(raw: str) -> bool:
    """Whether ``raw`` is a valid code."""
    try:
        normalize_uscc(raw)
    except InvalidCreditCode:
        return False
    return True
