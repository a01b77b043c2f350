"""Personal-information detection in tabular rows (DOMAIN.md §5): one detector per type, masked findings."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from compliance.identifiers import mask
from compliance.pi_blocks import _scan_line_run
from compliance.pi_detect import (
    DETECTORS,
    PERSONAL_TYPES,
    SENSITIVE_TYPES,
    Detection,
    Detector,
    Span,
    detect,
    mask_text,
)
from compliance.pi_detect import _mask_token as _mask_token
from compliance.pi_detect import _token_type as _token_type
from compliance.readers import CsvTable, Progress, RecordRun, Table, open_table

__all__ = [
    "DETECTORS",
    "MAX_FINDINGS",
    "PERSONAL_TYPES",
    "SENSITIVE_TYPES",
    "Detection",
    "Detector",
    "Finding",
    "ScanReport",
    "Span",
    "detect",
    "mask_text",
    "scan_file",
    "scan_rows",
    "scan_table",
]


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
