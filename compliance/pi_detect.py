"""Personal-information detectors (DOMAIN.md §5): one pattern and validator per type, overlapping spans resolved."""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass

from compliance.identifiers import (
    luhn_is_valid,
    mask,
    mobile_is_valid,
    resident_id_is_valid,
    uscc_is_valid,
)

# PIPL art. 28 names financial accounts and identity documents among sensitive personal information.
SENSITIVE_TYPES = frozenset({"bank_card", "cn_resident_id"})
# A USCC identifies an organisation, not a natural person: it is reported, but a column of them is not
# personal information and needs no PI flag in the field dictionary.
PERSONAL_TYPES = frozenset({"cn_resident_id", "cn_mobile", "bank_card", "email"})

# A candidate must not sit inside a longer run of ASCII letters or digits: "a number inside a longer
# run of digits is not a match". Explicit ASCII classes, because \d would also match full-width digits.
_START = r"(?<![0-9A-Za-z])"
_END = r"(?![0-9A-Za-z])"
# Grouped forms ("6222 0212 ...") also refuse a neighbouring digit group, or they could match a slice of one.
_GROUP_START = _START + r"(?<![0-9][ \-])"
_GROUP_END = _END + r"(?![ \-][0-9])"


@dataclass(frozen=True)
class Detector:
    """One PI type: where candidates are, how to validate one, and how specific a valid match is."""

    type: str
    pattern: re.Pattern[str]
    is_valid: Callable[[str], bool]
    # When spans overlap, the higher rank wins: a checksum plus structure beats a checksum beats a shape.
    rank: int


def _bounded(body: str) -> str:
    return _START + body + _END


def _grouped(body: str) -> str:
    return _GROUP_START + body + _GROUP_END


_CARD = "|".join([_bounded(r"[0-9]{16,19}"), _grouped(r"[0-9]{4}(?:[ \-][0-9]{4}){3}(?:[ \-][0-9]{1,3})?")])
# A country prefix: "(+86)", "+86", "0086" or a bare "86", then at most one space or hyphen.
_MOBILE_PREFIX = (
    r"(?:(?<![0-9A-Za-z])\((?:\+86|0086|86)\)|(?<![0-9+])\+86|(?<![0-9A-Za-z+])(?:0086|86))[ \-]?"
)
_MOBILE = "".join(
    [
        r"(?:" + _MOBILE_PREFIX + "|" + _START + ")",
        r"(?:1[3-9][0-9]{9}" + _END,  # 13812345678
        r"|1[3-9][0-9][ \-][0-9]{4}[ \-][0-9]{4}" + _GROUP_END + ")",  # 138 1234 5678
    ]
)
# RFC 5322's dot-atom shape, practically: the local part's usual characters, a dotted domain with a
# letters-only top-level label. Only ASCII counts, so Chinese text around an address is a boundary.
_EMAIL_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = rf"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@{_EMAIL_LABEL}(?:\.{_EMAIL_LABEL})+(?![A-Za-z0-9\-])"


def _is_timestamp(digits: str) -> bool:
    """Whether `digits` starts with a real yyyyMMddHHmmss between 1970 and 2099 (a serial, not a card)."""
    year, month, day = int(digits[0:4]), int(digits[4:6]), int(digits[6:8])
    if not (1970 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= monthrange(year, month)[1]):
        return False
    return int(digits[8:10]) < 24 and int(digits[10:12]) < 60 and int(digits[12:14]) < 60


def _card_is_valid(candidate: str) -> bool:
    return _card_digits_are_valid(candidate.replace(" ", "").replace("-", ""))


def _card_digits_are_valid(digits: str) -> bool:
    # No card number starts with 19 or 20 (ISO/IEC 7812 issuers), while 17-digit millisecond
    # timestamps, which pass Luhn one time in ten, always do.
    return 16 <= len(digits) <= 19 and luhn_is_valid(digits) and not _is_timestamp(digits)


def _email_is_valid(candidate: str) -> bool:
    local, _, domain = candidate.rpartition("@")
    if not 1 <= len(local) <= 64 or len(domain) > 253:
        return False
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    top = domain.rsplit(".", 1)[-1]
    return len(top) >= 2 and top.isalpha()


# Ranks decide between overlapping spans. An e-mail address is the whole of what it contains
# ("13800138000@139.com" is an address, not a mobile). A resident ID needs a region, a real birth date
# and a mod-11 check, so about 1 in 31 valid IDs also passes the USCC mod-31 check and 1 in 10 Luhn by
# chance; the ID is the more specific reading. Then the USCC (mod 31), the card (mod 10), the mobile (shape).
DETECTORS: tuple[Detector, ...] = (
    Detector("email", re.compile(_EMAIL), _email_is_valid, rank=60),
    Detector("cn_resident_id", re.compile(_bounded(r"[1-8][0-9]{16}[0-9Xx]")), resident_id_is_valid, rank=50),
    Detector("uscc", re.compile(_bounded(r"[0-9A-HJ-NPQRTUWXY]{18}")), uscc_is_valid, rank=40),
    Detector("bank_card", re.compile(_CARD), _card_is_valid, rank=30),
    Detector("cn_mobile", re.compile(_MOBILE), mobile_is_valid, rank=20),
)
_EMAIL_PATTERN = DETECTORS[0].pattern
_WITHOUT_EMAIL = tuple(d for d in DETECTORS if d.type != "email")
# Every detector needs a digit or an "@"; most cells (names, amounts, codes) are rejected by this alone.
_MAY_HOLD_PI = re.compile(r"[0-9@]")
_SHORTEST_PI = len("a@b.cn")


@dataclass(frozen=True)
class Detection:
    """A validated PI span inside one text; it holds the raw value, so pass on only `masked`."""

    type: str
    start: int
    end: int
    value: str

    @property
    def masked(self) -> str:
        return mask(self.value, self.type)


def detect(text: str) -> list[Detection]:
    """Every validated PI span in `text`, one type per span, in text order."""
    return [Detection(type_, start, end, value) for start, end, type_, value in _spans(text)]


# A span as (start, end, type, value): the scan makes many, and tuples cost less than Detections.
Span = tuple[int, int, str, str]


def _spans(text: str) -> list[Span]:
    if len(text) < _SHORTEST_PI or not _MAY_HOLD_PI.search(text):
        return []
    if text.isascii():
        return _ascii_spans(text, 0)
    # Every pattern consumes ASCII characters only and looks around only for ASCII ones, so a non-ASCII
    # character (Chinese text around a number) bounds spans as the ends of the text do: the stretches of
    # ASCII between them are searched apart, and spans in different stretches never compete.
    found: list[Span] = []
    for piece in _ASCII_RUN.finditer(text):
        if piece.end() - piece.start() >= _SHORTEST_PI:
            found += _ascii_spans(piece.group(), piece.start())
    return found


_ASCII_RUN = re.compile(r"[\x00-\x7f]+")


def _ascii_spans(text: str, offset: int) -> list[Span]:
    """The spans of an ASCII `text`, placed `offset` further on."""
    if text.isalnum():
        type_ = _token_type(text)
        return [(offset, offset + len(text), type_, text)] if type_ else []
    detectors = DETECTORS
    if "@" in text:
        # A text that is one address is that address: every other span would overlap it and rank lower.
        whole = _EMAIL_PATTERN.search(text)
        if whole is not None and whole.start() == 0 and whole.end() == len(text) and _email_is_valid(text):
            return [(offset, offset + len(text), "email", text)]
    else:
        detectors = _WITHOUT_EMAIL  # every e-mail address holds an "@"
    # (rank, start, end, type, value); when spans overlap, the higher rank, then the longer, then the first wins.
    candidates: list[tuple[int, int, int, str, str]] = []
    for detector in detectors:
        for m in detector.pattern.finditer(text):
            value = m.group()
            if detector.is_valid(value):
                candidates.append((detector.rank, m.start(), m.end(), detector.type, value))
    if len(candidates) < 2:
        return [(start + offset, end + offset, type_, value) for _, start, end, type_, value in candidates]
    candidates.sort(key=lambda c: (-c[0], c[1] - c[2], c[1]))
    taken: list[tuple[int, int, int, str, str]] = []
    for found in candidates:
        if all(found[2] <= t[1] or found[1] >= t[2] for t in taken):
            taken.append(found)
    taken.sort(key=lambda c: c[1])
    return [(start + offset, end + offset, type_, value) for _, start, end, type_, value in taken]


def mask_text(text: str) -> str:
    """`text` with every detected PI span replaced by its mask."""
    pieces: list[str] = []
    position = 0
    for found in detect(text):
        pieces.append(text[position : found.start])
        pieces.append(found.masked)
        position = found.end
    pieces.append(text[position:])
    return "".join(pieces)


def _token_type(token: str) -> str | None:
    """The type of a cell that is one ASCII letter-and-digit token, exactly as the patterns would decide.

    Most cells of an ID, phone or card column are such a token; deciding by length is several times faster.
    The validators check the shapes themselves (a resident ID is [1-8] + 16 digits + [0-9Xx], ...).
    """
    n = len(token)
    if n == 18:
        if resident_id_is_valid(token):
            return "cn_resident_id"
        if uscc_is_valid(token):
            return "uscc"
    if 16 <= n <= 19:
        return "bank_card" if token.isdigit() and _card_digits_are_valid(token) else None
    # 11 digits, or with 86 / 0086 in front: what mobile_is_valid accepts of a token without separators.
    if n == 11:
        return "cn_mobile" if _MOBILE_DIGITS.fullmatch(token) else None
    if n == 13:
        return "cn_mobile" if token.startswith("86") and _MOBILE_DIGITS.fullmatch(token, 2) else None
    if n == 15:
        return "cn_mobile" if token.startswith("0086") and _MOBILE_DIGITS.fullmatch(token, 4) else None
    return None


_MOBILE_DIGITS = re.compile(r"1[3-9][0-9]{9}")
# Characters kept at the start and the end of a masked token, as `mask` keeps them.
_TOKEN_KEEP = {"cn_resident_id": (3, 4), "uscc": (4, 4), "bank_card": (6, 4)}


def _mask_token(token: str, type_: str) -> str:
    """`mask(token, type_)` for a token that `_token_type` found to be of `type_`, without its regexes."""
    if type_ == "cn_mobile":
        number = token[-11:]  # without the 86 / 0086 in front
        return number[:3] + "****" + number[7:]
    head, tail = _TOKEN_KEEP[type_]
    return token[:head] + "*" * (len(token) - head - tail) + token[len(token) - tail :]
