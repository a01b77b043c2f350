"""Personal-information detection in tabular rows (DOMAIN.md §5): one detector per type, masked findings."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

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
_MOBILE = "".join(
    [
        r"(?:(?<![0-9A-Za-z+])(?:\+86|0086)[ \-]?|" + _START + ")",  # "+86 ", "0086-" or nothing
        r"(?:1[3-9][0-9]{9}" + _END,  # 13812345678
        r"|1[3-9][0-9][ \-][0-9]{4}[ \-][0-9]{4}" + _GROUP_END + ")",  # 138 1234 5678
    ]
)
_EMAIL_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = rf"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@{_EMAIL_LABEL}(?:\.{_EMAIL_LABEL})+(?![A-Za-z0-9\-])"


def _card_is_valid(candidate: str) -> bool:
    digits = re.sub(r"[ \-]", "", candidate)
    return 16 <= len(digits) <= 19 and luhn_is_valid(digits)


def _email_is_valid(candidate: str) -> bool:
    local, _, domain = candidate.rpartition("@")
    if not 1 <= len(local) <= 64 or len(domain) > 253:
        return False
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    return domain.rsplit(".", 1)[-1].isalpha()


# Ranks: a resident ID needs a region, a real birth date and a mod-11 check, so about 1 in 31 valid IDs
# also passes the USCC mod-31 check by chance; the ID is the more specific reading of such a span.
DETECTORS: tuple[Detector, ...] = (
    Detector("cn_resident_id", re.compile(_bounded(r"[1-8][0-9]{16}[0-9Xx]")), resident_id_is_valid, rank=50),
    Detector("uscc", re.compile(_bounded(r"[0-9A-HJ-NPQRTUWXY]{18}")), uscc_is_valid, rank=40),
    Detector("bank_card", re.compile(_CARD), _card_is_valid, rank=30),
    Detector("cn_mobile", re.compile(_MOBILE), mobile_is_valid, rank=20),
    Detector("email", re.compile(_EMAIL), _email_is_valid, rank=10),
)

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
    if len(text) < _SHORTEST_PI or not _MAY_HOLD_PI.search(text):
        return []
    candidates: list[tuple[int, Detection]] = []
    for detector in DETECTORS:
        for m in detector.pattern.finditer(text):
            if detector.is_valid(m.group()):
                candidates.append((detector.rank, Detection(detector.type, m.start(), m.end(), m.group())))
    candidates.sort(key=lambda c: (-c[0], c[1].start - c[1].end, c[1].start))
    taken: list[Detection] = []
    for _, found in candidates:
        if all(found.end <= t.start or found.start >= t.end for t in taken):
            taken.append(found)
    return sorted(taken, key=lambda d: d.start)


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


@dataclass(frozen=True)
class Finding:
    """PI of one type in one cell; `row` is the 1-based data row, header excluded."""

    row: int
    column: str
    type: str
    masked: str


@dataclass
class ScanReport:
    """What a scan found: findings with masked values only, and counts per type and per column."""

    rows_scanned: int = 0
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    columns: dict[str, dict[str, int]] = field(default_factory=dict)

    def _columns_with(self, types: frozenset[str]) -> dict[str, dict[str, int]]:
        found = {c: {t: n for t, n in found.items() if t in types} for c, found in self.columns.items()}
        return {c: by_type for c, by_type in found.items() if by_type}

    def personal_columns(self) -> dict[str, dict[str, int]]:
        """Per column, the personal (not organisational) types found and in how many rows."""
        return self._columns_with(PERSONAL_TYPES)

    def sensitive_columns(self) -> dict[str, dict[str, int]]:
        """Per column, the sensitive types found (PIPL art. 28) and in how many rows."""
        return self._columns_with(SENSITIVE_TYPES)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_scanned": self.rows_scanned,
            "findings": [
                {"row": f.row, "column": f.column, "type": f.type, "masked": f.masked} for f in self.findings
            ],
            "counts": dict(self.counts),
            "columns": {column: dict(types) for column, types in self.columns.items()},
        }


def _cell_text(cell: object) -> str | None:
    if cell is None or isinstance(cell, bool):
        return None
    text = cell if isinstance(cell, str) else str(cell)
    return text or None


def scan_rows(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> ScanReport:
    """Scan data rows (header excluded) for PI, one finding per (row, column, type)."""
    report = ScanReport()
    for row_number, row in enumerate(rows, start=1):
        report.rows_scanned = row_number
        for column, cell in zip(columns, row, strict=False):
            text = _cell_text(cell)
            if text is None:
                continue
            seen: set[str] = set()
            for found in detect(text):
                if found.type in seen:
                    continue
                seen.add(found.type)
                report.findings.append(Finding(row_number, column, found.type, found.masked))
                report.counts[found.type] = report.counts.get(found.type, 0) + 1
                per_column = report.columns.setdefault(column, {})
                per_column[found.type] = per_column.get(found.type, 0) + 1
    return report
