"""What every reader yields: the Table interface, its cells and header, and the runs a CSV table reads in."""

from __future__ import annotations

import abc
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from compliance.readers.errors import SampleError

Cell = str | None
Progress = Callable[[int, "int | None"], None]


def header(cells: Sequence[object]) -> list[str]:
    """Column names from a header row: every column named, no name twice."""
    names = ["" if c is None else str(c).strip() for c in cells]
    if not any(names):
        raise SampleError("no_header", "The first row is empty; it must name the columns.", "第一行为空，应为列名。")
    for position, name in enumerate(names, start=1):
        if not name:
            raise SampleError(
                "no_header", f"Column {position} of the header has no name.", f"表头第 {position} 列没有列名。"
            )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise SampleError(
                "duplicate_column",
                f"The header names column {name!r} more than once.",
                f"表头中列名“{name}”重复。",
            )
        seen.add(name)
    return names


def _cell(value: str) -> Cell:
    return value if value.strip() else None


class Table(abc.ABC):
    """A header and a single pass over data rows (header excluded); every cell a string, empty cells None."""

    format: str = ""
    columns: list[str]
    encoding: str | None = None

    def __init__(self, owned: BinaryIO | None) -> None:
        self._owned = owned
        self.on_progress: Progress | None = None
        self.total_bytes: int | None = None

    @abc.abstractmethod
    def rows(self) -> Iterator[list[Cell]]: ...

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class LineRun:
    """Whole CSV lines: `text` is their concatenation, `lines` the same lines split.

    Line i is data row `first_row + i - (blank lines before it)`; blank lines are not rows. A line that
    holds quotes but is a whole record by itself is in `records`, as the csv module parsed it (unless all
    its fields are blank: then it is in `blank`); every other line is split on the delimiter alone.
    """

    text: str
    lines: list[str]
    first_row: int
    blank: list[int]
    records: dict[int, list[str]] = field(default_factory=dict)

    def row_of(self, line_index: int) -> int:
        return self.first_row + line_index - (bisect_right(self.blank, line_index - 1) if self.blank else 0)

    @property
    def row_count(self) -> int:
        return len(self.lines) - len(self.blank)


@dataclass
class RecordRun:
    """CSV records that the csv module parsed (quoted fields), numbered from `first_row`."""

    first_row: int
    rows: list[list[Cell]]
