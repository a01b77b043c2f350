"""Validators, check characters and masks for Chinese identifiers, cards, mobiles and e-mail addresses."""

from __future__ import annotations

import re
from datetime import date

# GB 32100-2015: the alphabet leaves out I, O, S, V and Z so they cannot be misread as digits.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
# The weights are 3**i mod 31, so the weighted sum is, mod 31, the body read backwards as a base-34
# number (34 = 3 mod 31) once each character is spelled as the base-36 digit of its value: one int().
_USCC_AS_DIGITS = str.maketrans(USCC_ALPHABET, "0123456789ABCDEFGHIJKLMNOPQRSTU")

# GB 11643-1999 check character: weights are 2**(17 - i) mod 11, the ISO 7064 MOD 11-2 scheme.
_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECK = "10X98765432"
_RESIDENT_SHAPE = re.compile(r"[1-8][0-9]{16}[0-9Xx]")
_EARLIEST_BIRTH = date(1900, 1, 1)
_YEAR_AT_IMPORT = date.today().year
_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# The last day ("28" to "31") of every month from 1900 to last year, by "yyyymm": a birth date before
# this year is real exactly when its month is here and its day is between "01" and that last day.
_LAST_DAY = {
    f"{year}{month:02d}": str(
        29 if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else _MONTH_DAYS[month]
    )
    for year in range(_EARLIEST_BIRTH.year, _YEAR_AT_IMPORT)
    for month in range(1, 13)
}
_THIS_YEAR = str(_YEAR_AT_IMPORT)
# GB/T 2260 province-level codes, the first two digits of every resident ID: 11-15 north, 21-23 north-east,
# 31-37 east, 41-46 south-central, 50-54 south-west, 61-65 north-west, 71 Taiwan, 81 Hong Kong, 82 Macao
# (the last three on residence permits, which follow GB 11643).
RESIDENT_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# +86, 0086 or a bare 86, optionally in brackets: "(+86) 138 0013 8000", "8613800138000".
_MOBILE_PREFIX = re.compile(r"^(?:\+86|0086|86)")
_MOBILE_SEPARATORS = re.compile(r"[\s\-()]")
# Luhn: the doubled value of each digit, with 9 subtracted above 9.
_LUHN_DOUBLE = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_LUHN_DOUBLED = str.maketrans("0123456789", "".join(map(str, _LUHN_DOUBLE)))
# int(digits, 11) is, mod 10, the sum of the digits (11 = 1 mod 10); beyond this length int() is refused.
_LUHN_INT_MAX = 4000

MASK_TYPES = ("cn_resident_id", "cn_mobile", "bank_card", "uscc", "email")
# Characters kept visible at (start, end) of each masked type: enough for a person to recognise
# their own record, too few to recover the value.
_KEEP = {
    "cn_resident_id": (3, 4),
    "cn_mobile": (3, 4),
    "bank_card": (6, 4),
    "uscc": (4, 4),
}


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a USCC."""
    if len(first17) != 17 or not set(first17) <= _USCC_VALUES.keys():
        raise ValueError("a USCC body is 17 characters from " + USCC_ALPHABET)
    total = sum(_USCC_VALUES[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_is_valid(s: str) -> bool:
    """True when `s` is an 18-character unified social credit code with a correct check character."""
    if len(s) != 18 or not _USCC_SHAPE.fullmatch(s):
        return False
    total = int(s[16::-1].translate(_USCC_AS_DIGITS), 34)
    return USCC_ALPHABET[-total % 31] == s[17]


def make_uscc(first17: str) -> str:
    """Append the check character to a 17-character USCC body."""
    return first17 + uscc_check_char(first17)


def resident_id_check_char(first17: str) -> str:
    """Return the GB 11643-1999 check character for the first 17 digits of a resident ID."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("a resident ID body is 17 digits")
    total = sum(int(c) * w for c, w in zip(first17, _RESIDENT_WEIGHTS, strict=True))
    return _RESIDENT_CHECK[total % 11]


def _is_past_birth_date(year: int, month: int, day: int) -> bool:
    if year < _EARLIEST_BIRTH.year or not 1 <= month <= 12 or day < 1:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if day > (29 if leap and month == 2 else _MONTH_DAYS[month]):
        return False
    # Only a date from this year on can lie in the future; today() is asked for no other.
    return year < _YEAR_AT_IMPORT or date(year, month, day) <= date.today()


def resident_id_is_valid(s: str) -> bool:
    """True when `s` is an 18-character resident ID with a province code, a real birth date and its check."""
    if len(s) != 18 or s[:2] not in RESIDENT_PROVINCES or not _RESIDENT_SHAPE.fullmatch(s):
        return False
    last_day = _LAST_DAY.get(s[6:12])
    if last_day is not None:
        if not "01" <= s[12:14] <= last_day:
            return False
    elif s[6:10] < _THIS_YEAR or not _is_past_birth_date(int(s[6:10]), int(s[10:12]), int(s[12:14])):
        return False
    # The weights are 2**(17 - i) mod 11: the body read as a base-13 number (13 = 2 mod 11), doubled.
    return _RESIDENT_CHECK[2 * int(s[:17], 13) % 11] == s[17].upper()


def make_resident_id(first17: str) -> str:
    """Append the check character to a 17-digit resident ID body."""
    return first17 + resident_id_check_char(first17)


def luhn_is_valid(digits: str) -> bool:
    """True when `digits` (two or more ASCII digits) passes the Luhn check."""
    if len(digits) < 2 or not digits.isascii() or not digits.isdigit():
        return False
    # Every other digit from the right is doubled; the others count as they are.
    if len(digits) <= _LUHN_INT_MAX:
        return (int(digits[-1::-2], 11) + int(digits[-2::-2].translate(_LUHN_DOUBLED), 11)) % 10 == 0
    kept = sum(map(int, digits[-1::-2]))
    doubled = sum(_LUHN_DOUBLE[int(c)] for c in digits[-2::-2])
    return (kept + doubled) % 10 == 0


def normalise_mobile(s: str) -> str | None:
    """Return the 11 digits of a mainland mobile number, without +86/0086/86 or separators; None if not one."""
    compact = _MOBILE_SEPARATORS.sub("", s.strip())
    if _MOBILE.fullmatch(compact):
        return compact
    compact = _MOBILE_PREFIX.sub("", compact)
    return compact if _MOBILE.fullmatch(compact) else None


def mobile_is_valid(s: str) -> bool:
    """True when `s` is a mainland mobile number, allowing a +86/0086 prefix, spaces and hyphens."""
    return normalise_mobile(s) is not None


def _keep_ends(value: str, head: int, tail: int) -> str:
    # A value too short to hide anything between the kept ends is hidden entirely.
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def _mask_email(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at or not local:
        return "*" * len(value)
    return local[0] + "***@" + domain


def mask(value: str, type: str) -> str:
    """Mask a value of PI type `type` (a DOMAIN.md §5 key) so that it can be shown and logged."""
    if type == "email":
        return _mask_email(value.strip())
    if type not in _KEEP:
        raise ValueError(f"unknown PI type {type!r}; expected one of {', '.join(MASK_TYPES)}")
    if type == "cn_mobile":
        value = normalise_mobile(value) or value
    elif type == "bank_card":
        value = re.sub(r"[\s\-]", "", value)
    head, tail = _KEEP[type]
    return _keep_ends(value.strip(), head, tail)
