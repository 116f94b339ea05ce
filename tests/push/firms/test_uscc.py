"""统一社会信用代码 check per GB 32100-2015."""

import pytest

from push.errors import InvalidCreditCode
from push.firms.uscc import CHARSET, WEIGHTS, check_char, is_valid_uscc, normalize_uscc
from push.matching.synthetic import make_uscc

pytestmark = pytest.mark.no_database  # pure logic: the SQLite run covers it

VALID = [make_uscc(i) for i in (0, 1, 30, 31, 961, 123456, 10**9, 31**9 - 1)]


def test_weights_are_powers_of_three_mod_31():
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def test_charset_leaves_out_ambiguous_letters():
    assert len(CHARSET) == 31
    assert not set("IOZSV") & set(CHARSET)


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("00000000000000000", "0"),  # sum 0: 31 - 0 = 31 -> 0
        ("10000000000000000", "Y"),  # sum 1: 31 - 1 = 30 -> CHARSET[30]
        ("00000000000000001", "3"),  # sum 28 (last weight): 31 - 28 = 3
        ("0000000000000000A", "Y"),  # A=10: 10 * 28 = 280, 280 % 31 = 1, 31 - 1 = 30 -> "Y"
    ],
)
def test_check_char_worked_examples(body, check):
    assert check_char(body) == check


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code):
    assert normalize_uscc(code) == code
    assert is_valid_uscc(code)


def test_lower_case_and_spaces_are_normalised():
    code = VALID[3]
    assert normalize_uscc(f" {code[:9].lower()} {code[9:].lower()} ") == code


@pytest.mark.parametrize("code", VALID)
def test_every_wrong_check_character_fails(code):
    for c in CHARSET:
        if c == code[-1]:
            continue
        with pytest.raises(InvalidCreditCode, match="校验码错误"):
            normalize_uscc(code[:-1] + c)


@pytest.mark.parametrize(
    "code",
    ["", "9135010", VALID[0][:17], VALID[0] + "0", VALID[0] * 2],
)
def test_wrong_length_fails(code):
    with pytest.raises(InvalidCreditCode, match="应为18位"):
        normalize_uscc(code)


@pytest.mark.parametrize("bad", ["I", "O", "Z", "S", "V", "-", "中", "*"])
def test_illegal_characters_fail(bad):
    code = VALID[2][:10] + bad + VALID[2][11:]
    with pytest.raises(InvalidCreditCode, match="不允许的字符"):
        normalize_uscc(code)


def test_region_part_must_be_digits():
    body = "91A50100M000100Y4"
    with pytest.raises(InvalidCreditCode, match="行政区划码"):
        normalize_uscc(body + check_char(body))


@pytest.mark.parametrize("code", VALID)
def test_every_adjacent_transposition_is_caught(code):
    for i in range(17):
        if code[i] != code[i + 1]:
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            assert not is_valid_uscc(swapped), swapped
