"""Personal-information detection in tabular rows (DOMAIN.md §5): one detector per type, masked findings."""

from __future__ import annotations

import os
import re
from calendar import monthrange
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
from compliance.readers import CsvTable, LineRun, Progress, RecordRun, Table, open_table

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
    digits = candidate.replace(" ", "").replace("-", "")
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
    if text.isascii() and text.isalnum():
        type_ = _token_type(text)
        return [Detection(type_, 0, len(text), text)] if type_ else []
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
    if 16 <= n <= 19 and token.isdigit() and _card_is_valid(token):
        return "bank_card"
    # 11 digits, or with 86 / 0086 in front
    if n in (11, 13, 15) and mobile_is_valid(token):
        return "cn_mobile"
    return None


@dataclass(frozen=True)
class Finding:
    """PI of one type in one cell; `row` is the 1-based data row, header excluded."""

    row: int
    column: str
    type: str
    masked: str


# Findings kept one by one; beyond this a scan only counts, so a huge file cannot exhaust memory.
MAX_FINDINGS = 100_000
_EXAMPLES = 3


@dataclass
class ScanReport:
    """What a scan found: findings with masked values only, counts per type and per column, examples."""

    rows_scanned: int = 0
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    columns: dict[str, dict[str, int]] = field(default_factory=dict)
    examples: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    column_order: list[str] = field(default_factory=list)
    truncated: bool = False
    max_findings: int = MAX_FINDINGS

    def add(self, row: int, column: str, found: Detection) -> None:
        """Record one finding (the caller keeps it to one per row, column and type)."""
        type_ = found.type
        self.counts[type_] = self.counts.get(type_, 0) + 1
        per_column = self.columns.get(column)
        if per_column is None:
            per_column = self.columns[column] = {}
            self.examples[column] = {}
        per_column[type_] = per_column.get(type_, 0) + 1
        examples = self.examples[column].setdefault(type_, [])
        keep = len(self.findings) < self.max_findings
        if keep or len(examples) < _EXAMPLES:
            masked = found.masked
            if keep:
                self.findings.append(Finding(row, column, type_, masked))
            if len(examples) < _EXAMPLES and masked not in examples:
                examples.append(masked)
        if not keep:
            self.truncated = True

    def _columns_with(self, types: frozenset[str]) -> dict[str, dict[str, int]]:
        found = {c: {t: n for t, n in found.items() if t in types} for c, found in self.columns.items()}
        return {c: by_type for c, by_type in found.items() if by_type}

    def personal_columns(self) -> dict[str, dict[str, int]]:
        """Per column, the personal (not organisational) types found and in how many rows."""
        return self._columns_with(PERSONAL_TYPES)

    def sensitive_columns(self) -> dict[str, dict[str, int]]:
        """Per column, the sensitive types found (PIPL art. 28) and in how many rows."""
        return self._columns_with(SENSITIVE_TYPES)

    def column_summary(self) -> list[dict[str, Any]]:
        """Per column with findings, in table order: each type's rows, share of rows and masked examples."""
        order = [c for c in self.column_order if c in self.columns]
        order += [c for c in self.columns if c not in order]
        return [
            {
                "column": column,
                "types": {
                    type_: {
                        "rows": rows,
                        "share": rows / self.rows_scanned if self.rows_scanned else 0.0,
                        "examples": list(self.examples.get(column, {}).get(type_, [])),
                    }
                    for type_, rows in self.columns[column].items()
                },
            }
            for column in order
        ]

    def to_dict(self) -> dict[str, Any]:
        """Stable contract 2 (DESIGN.md), plus per-column counts and whether findings were cut short."""
        return {
            "rows_scanned": self.rows_scanned,
            "findings": [
                {"row": f.row, "column": f.column, "type": f.type, "masked": f.masked} for f in self.findings
            ],
            "counts": dict(self.counts),
            "columns": {column: dict(types) for column, types in self.columns.items()},
            "truncated": self.truncated,
        }


def _cell_text(cell: object) -> str | None:
    if cell is None or isinstance(cell, bool):
        return None
    text = cell if isinstance(cell, str) else str(cell)
    return text or None


def _scan_cell(report: ScanReport, row: int, column: str, text: str) -> None:
    found = detect(text)
    if len(found) == 1:
        report.add(row, column, found[0])
        return
    seen: set[str] = set()
    for one in found:
        if one.type not in seen:
            seen.add(one.type)
            report.add(row, column, one)


def scan_rows(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, report: ScanReport | None = None
) -> ScanReport:
    """Scan data rows (header excluded) for PI, one finding per (row, column, type)."""
    report = report if report is not None else ScanReport(column_order=list(columns))
    first = report.rows_scanned + 1
    for row_number, row in enumerate(rows, start=first):
        report.rows_scanned = row_number
        for column, cell in zip(columns, row, strict=False):
            text = _cell_text(cell)
            if text is not None:
                _scan_cell(report, row_number, column, text)
    return report


def scan_table(table: Table, on_progress: Progress | None = None) -> ScanReport:
    """Scan an open table's data rows; CSV is searched a block at a time, other formats cell by cell."""
    if on_progress is not None:
        table.on_progress = on_progress
    report = ScanReport(column_order=list(table.columns))
    if isinstance(table, CsvTable):
        _scan_csv(table, report)
    else:
        scan_rows(table.columns, table.rows(), report=report)
    return report


def scan_file(path: str | os.PathLike[str], on_progress: Progress | None = None) -> ScanReport:
    """Open and scan a CSV, XLSX or JSON-lines file; raises SampleError when it cannot be read."""
    with open_table(path) as table:
        return scan_table(table, on_progress)


# Where a PI span may start: every detection holds one of these (tested against `detect` on a corpus).
# A run of digits not glued to letters or digits with 7 in a row or a 3-4 digit group then 4 more
# (mobiles, cards, IDs, numeric USCCs); an 18-character USCC-alphabet token; an "@".
_DIGIT_CANDIDATE = re.compile(r"[0-9](?<![0-9A-Za-z][0-9])(?:[0-9]{6}|[0-9]{2,3}[ \-][0-9]{4})")
_USCC_CANDIDATE = re.compile(r"[0-9A-HJ-NPQRTUWXY](?<![0-9A-Za-z][0-9A-HJ-NPQRTUWXY])[0-9A-HJ-NPQRTUWXY]{17}")


def _candidates(text: str) -> list[int]:
    starts = [m.start() for m in _DIGIT_CANDIDATE.finditer(text)]
    starts += [m.start() for m in _USCC_CANDIDATE.finditer(text)]
    at = text.find("@")
    while at != -1:
        starts.append(at)
        at = text.find("@", at + 1)
    starts.sort()
    return starts


def _scan_csv(table: CsvTable, report: ScanReport) -> None:
    columns = table.columns
    delimiter = table.delimiter
    rows = 0
    for run in table.runs():
        if isinstance(run, RecordRun):
            scan_rows(columns, run.rows, report=report)
            rows += len(run.rows)
            continue
        _scan_line_run(run, columns, delimiter, report)
        rows += run.row_count
        report.rows_scanned = rows


def _scan_line_run(run: LineRun, columns: list[str], delimiter: str, report: ScanReport) -> None:
    """Search a run of plain lines whole and map the few candidates to their row and column."""
    text = run.text
    lines = run.lines
    line_index = 0
    counted_to = 0
    line_start = 0
    last_cell = (-1, -1)
    for position in _candidates(text):
        if position >= counted_to:
            newlines = text.count("\n", counted_to, position)
            if newlines:
                line_index += newlines
                line_start = text.rfind("\n", counted_to, position) + 1
            counted_to = position
        column = text.count(delimiter, line_start, position)
        if (line_index, column) == last_cell:
            continue
        last_cell = (line_index, column)
        line = lines[line_index]
        offset = position - line_start
        cell_start = line.rfind(delimiter, 0, offset) + 1
        cell_end = line.find(delimiter, offset)
        if cell_end == -1:
            cell_end = len(line) - 1 if line.endswith("\r") else len(line)
        _scan_cell(report, run.row_of(line_index), columns[column], line[cell_start:cell_end])
