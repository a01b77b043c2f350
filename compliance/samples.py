"""Samples: a small table read whole (through the streaming readers), its column types and a masked preview."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from compliance.field_types import infer_column_type
from compliance.pi_scan import ScanReport, mask_text
from compliance.readers import Cell, SampleError, open_table

__all__ = ["Cell", "Sample", "SampleError", "read_sample"]


@dataclass
class Sample:
    """A sample's header and rows; every cell is a string, an empty cell is None."""

    format: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    encoding: str | None = None

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def column_values(self, column: str) -> Iterator[Cell]:
        index = self.columns.index(column)
        return (row[index] for row in self.rows)

    def column_types(self) -> dict[str, str]:
        """The FIELD_TYPES code inferred for every column; an all-empty column is "string"."""
        return {c: infer_column_type(self.column_values(c)) or "string" for c in self.columns}

    def masked_preview(self, scan: ScanReport | None = None, n: int = 5) -> list[list[Cell]]:
        """The first `n` rows with every PI span masked; cells the scan flagged are never shown raw."""
        flagged = {(f.row, f.column) for f in scan.findings} if scan else set()
        preview: list[list[Cell]] = []
        for row_number, row in enumerate(self.rows[:n], start=1):
            out: list[Cell] = []
            for column, cell in zip(self.columns, row, strict=True):
                masked = mask_text(cell) if cell is not None else None
                # Should detection ever disagree with the scan, hide the whole cell rather than leak it.
                if (row_number, column) in flagged and masked == cell:
                    masked = "*" * len(cell or "")
                out.append(masked)
            preview.append(out)
        return preview


def read_sample(data: bytes, *, max_rows: int = 100_000) -> Sample:
    """Read a sample, recognising XLSX, JSON lines or CSV by content; raise SampleError otherwise."""
    with open_table(io.BytesIO(data)) as table:
        rows: list[list[Cell]] = []
        for row in table.rows():
            if len(rows) == max_rows:
                raise SampleError(
                    "too_many_rows",
                    f"The sample has more than {max_rows} data rows.",
                    f"样例数据超过 {max_rows} 行。",
                )
            rows.append(row)
        return Sample(table.format, table.columns, rows, table.encoding)
