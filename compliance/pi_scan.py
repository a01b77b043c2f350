"""Personal-information detection in tabular rows (DOMAIN.md §5): one detector per type, masked findings."""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from calendar import monthrange
from collections import Counter
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
        self._add(row, column, found.type, found.value, mask)

    def _add(self, row: int, column: str, type_: str, value: str, masker: Callable[[str, str], str]) -> bool:
        """Record one finding of `value`, masked by `masker` only when it is kept or may be an example.

        Returns whether from now on every finding of this type in this column is only counted (the
        findings are cut short and the column has its examples), which `_count_later` may then do.
        """
        self.counts[type_] = self.counts.get(type_, 0) + 1
        per_column = self.columns.get(column)
        if per_column is None:
            per_column = self.columns[column] = {}
            self.examples[column] = {}
        per_column[type_] = per_column.get(type_, 0) + 1
        examples = self.examples[column].setdefault(type_, [])
        keep = len(self.findings) < self.max_findings
        if keep or len(examples) < _EXAMPLES:
            masked = masker(value, type_)
            if keep:
                self.findings.append(Finding(row, column, type_, masked))
            if len(examples) < _EXAMPLES and masked not in examples:
                examples.append(masked)
        if not keep:
            self.truncated = True
        return not keep and len(examples) >= _EXAMPLES

    def _count_later(self, keys: list[tuple[str, str]]) -> None:
        """Count findings that `_add` said are only counted, given as (column, type) once per finding."""
        for (column, type_), n in Counter(keys).items():
            self.counts[type_] += n
            self.columns[column][type_] += n

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


def scan_table(
    table: Table, on_progress: Progress | None = None, *, max_findings: int = MAX_FINDINGS
) -> ScanReport:
    """Scan an open table's data rows; CSV is searched a block at a time, other formats cell by cell."""
    if on_progress is not None:
        table.on_progress = on_progress
    report = ScanReport(column_order=list(table.columns), max_findings=max_findings)
    if isinstance(table, CsvTable):
        _scan_csv(table, report)
    else:
        scan_rows(table.columns, table.rows(), report=report)
    return report


def scan_file(path: str | os.PathLike[str], on_progress: Progress | None = None) -> ScanReport:
    """Open and scan a CSV, XLSX or JSON-lines file; raises SampleError when it cannot be read."""
    with open_table(path) as table:
        return scan_table(table, on_progress)


# The block scan works on the UTF-8 bytes of a run of lines, mapped through a table to a few
# classes: "0" for a character an identifier may consist of (ASCII digits and the USCC alphabet), " " for
# the separators of grouped numbers, "@", "|" for the delimiter and the line end, "." for anything else
# (every byte of a non-ASCII character among them, so Chinese text is a boundary, as in the patterns).
# No detector's span holds a "|", and none looks around at one, so a span found in a cell is the same
# whatever cells surround it. Every span holds 11 "0"s in a row (a resident ID, a USCC, an ungrouped
# card or mobile), a "000 0000" (the grouped forms) or an "@": those are the candidates, found with
# literal searches, which `re` runs far faster than character classes.
_LONG_RUN = re.compile(b"0" * 11)
_GROUPED = re.compile(rb"000 0000")


def _class_table(delimiter: str) -> bytes:
    table = bytearray(b"." * 256)
    for c in b"0123456789ABCDEFGHJKLMNPQRTUWXY":
        table[c] = ord("0")
    table[ord(" ")] = table[ord("-")] = ord(" ")
    table[ord("@")] = ord("@")
    # A carriage return in a run of plain lines only ever ends a line ("\r\n").
    for c in (delimiter, "\n", "\r"):
        table[ord(c)] = ord("|")
    return bytes(table)


_CLASS_TABLES = {d: _class_table(d) for d in (",", ";", "\t")}


def _candidates(classes: bytes) -> list[int]:
    """Positions in `classes` (a block mapped by a class table) where a PI span may lie, ascending."""
    starts = [m.start() for m in _LONG_RUN.finditer(classes)]
    others = False
    if b"000 0000" in classes:
        starts += [m.start() for m in _GROUPED.finditer(classes)]
        others = True
    at = classes.find(b"@")
    if at != -1:
        others = True
        find = classes.find
        while at != -1:
            starts.append(at)
            at = find(b"@", at + 1)
    if others:
        starts.sort()
    return starts


def _scan_csv(table: CsvTable, report: ScanReport) -> None:
    columns = table.columns
    delimiter = table.delimiter
    rows = 0
    counted_only: set[tuple[str, str]] = set()
    for run in table.runs():
        if isinstance(run, RecordRun):
            scan_rows(columns, run.rows, report=report)
            rows += len(run.rows)
            continue
        _scan_line_run(run, columns, delimiter, report, counted_only)
        rows += run.row_count
        report.rows_scanned = rows


def _scan_line_run(
    run: LineRun, columns: list[str], delimiter: str, report: ScanReport, counted_only: set[tuple[str, str]]
) -> None:
    """Search a run of lines whole and map the few candidates to their row and column.

    A cell is looked at once, however many candidates it holds. A cell that is one ASCII token (most
    cells of an ID, phone or card column) is decided by `_token_type`, as `detect` decides it; any other
    cell goes through `_spans`, as `detect`. A line the csv module parsed (it has quotes) is scanned
    field by field when it holds a candidate; one without any holds no PI either, since unquoting only
    takes quotes away, and a quote bounds spans as the ends of a field do. `counted_only` holds the
    (column, type) pairs whose findings are only counted from now on; they are added at the end of the run.
    """
    data = run.text.encode("utf-8")
    classes = data.translate(_CLASS_TABLES[delimiter])
    later: list[tuple[str, str]] = []
    add = report._add
    find_break, rfind_break, count_breaks = classes.find, classes.rfind, classes.count
    find_line, rfind_line, count_lines = data.find, data.rfind, data.count
    first_row = run.first_row
    blank = run.blank
    records = run.records
    cell_end = -1
    line_start = 0
    line_end = -1
    line_index = 0
    counted_to = 0
    for position in _candidates(classes):
        if position < cell_end:
            continue  # in the cell just scanned
        if position > line_end:  # on a line further on
            line_start = rfind_line(b"\n", 0, position) + 1
            line_end = find_line(b"\n", position)
            line_index += count_lines(b"\n", counted_to, line_start)
            counted_to = line_start
            if records and line_index in records:
                row = first_row + line_index - (bisect_right(blank, line_index - 1) if blank else 0)
                for column, text in zip(columns, records[line_index], strict=True):
                    _scan_text(text, row, column, add, counted_only, later)
                cell_end = line_end
                continue
        cell_start = rfind_break(b"|", 0, position) + 1
        cell_end = find_break(b"|", position)
        column = columns[count_breaks(b"|", line_start, cell_start)]
        cell = data[cell_start:cell_end]
        if cell.isalnum():  # bytes: ASCII letters and digits only
            token = cell.decode("ascii")
            type_ = _token_type(token)
            if type_ is None:
                continue
            key = (column, type_)
            if key in counted_only:
                later.append(key)
            else:
                row = first_row + line_index - (bisect_right(blank, line_index - 1) if blank else 0)
                if add(row, column, type_, token, _mask_token):
                    counted_only.add(key)
            continue
        row = first_row + line_index - (bisect_right(blank, line_index - 1) if blank else 0)
        _scan_text(cell.decode("utf-8"), row, column, add, counted_only, later)
    if later:
        report._count_later(later)


def _scan_text(
    text: str,
    row: int,
    column: str,
    add: Callable[[int, str, str, str, Callable[[str, str], str]], bool],
    counted_only: set[tuple[str, str]],
    later: list[tuple[str, str]],
) -> None:
    """Record the PI in one cell, once per type, as `_scan_cell` does."""
    seen: set[str] = set()
    for _, _, type_, value in _spans(text):
        if type_ in seen:
            continue
        seen.add(type_)
        key = (column, type_)
        if key in counted_only:
            later.append(key)
        elif add(row, column, type_, value, mask):
            counted_only.add(key)
