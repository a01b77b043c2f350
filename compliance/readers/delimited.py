"""CSV (comma, semicolon or tab delimited) read in blocks: unquoted stretches stay text, quoted ones are parsed."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from itertools import repeat
from typing import BinaryIO

from compliance.readers.base import Cell, LineRun, RecordRun, Table, _cell, header
from compliance.readers.blocks import _CSV_SPECIAL, _Lines, _TextBlocks
from compliance.readers.errors import SampleError, _empty, _field_too_large, ragged


class CsvTable(Table):
    """A CSV file read in blocks; unquoted stretches stay text so that a scanner can search them whole."""

    format = "csv"

    def __init__(self, owned: BinaryIO | None, blocks: _TextBlocks) -> None:
        super().__init__(owned)
        self._blocks = blocks
        first = next(blocks, None)
        if first is None or not first.strip():
            first = _first_non_blank(first, blocks)
        self.delimiter = _delimiter(first)
        lines = _Lines(first, 0, blocks)
        record = None
        for record in self._reader(lines):
            if any(c.strip() for c in record):
                break
        else:
            raise _empty()
        self.columns = header(record)
        self._lines = lines
        self._used = False
        self._line_number = lines.lines_read  # physical lines consumed, for messages

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._blocks.encoding

    def _reader(self, lines: _Lines) -> Iterator[list[str]]:
        reader = csv.reader(lines, delimiter=self.delimiter, strict=True)
        try:
            yield from reader
        except csv.Error as exc:
            if str(exc).startswith("field larger than field limit"):
                raise SampleError(
                    "field_too_large",
                    f"Line {lines.lines_read} has a field longer than {csv.field_size_limit():,} characters.",
                    f"第 {lines.lines_read} 行有超过 {csv.field_size_limit():,} 个字符的字段。",
                ) from exc
            raise SampleError(
                "bad_csv",
                f"The CSV cannot be parsed at line {lines.lines_read}: {exc}.",
                f"CSV 第 {lines.lines_read} 行无法解析：{exc}。",
            ) from exc

    def runs(self) -> Iterator[LineRun | RecordRun]:
        """The data rows in order, as runs of plain lines and runs of parsed records; single use."""
        if self._used:
            raise RuntimeError("a table is read once")
        self._used = True
        self._blocks.reader.on_progress = self.on_progress
        width = len(self.columns)
        next_row = 1
        block, pos = self._lines.block, self._lines.pos
        lone_cr_in: str | None = None
        while True:
            if pos >= len(block):
                block = next(self._blocks, None)
                if block is None:
                    reader = self._blocks.reader
                    if self.on_progress is not None:
                        self.on_progress(reader.read_so_far, reader.total)
                    return
                pos = 0
            if block is not lone_cr_in:
                # Most blocks hold no lone carriage return, so the next special character is the next quote.
                lone_cr = block.count("\r") != block.count("\r\n")
                lone_cr_in = block
            # Lines with quotes that are whole records by themselves (most quoted fields hold no line
            # break) stay in the run, parsed; the run ends before the first line that is not one.
            whole: dict[int, list[str]] = {}
            start = pos
            while True:
                special = _next_special(block, start, lone_cr)
                if special == -1:
                    end = len(block)
                    break
                end = max(pos, block.rfind("\n", pos, special) + 1)
                line_end = block.find("\n", special) + 1  # blocks end with "\n"
                record = self._whole_record(block[end:line_end]) if block[special] == '"' else None
                if record is None:
                    break
                whole[end] = record
                start = line_end
            if end > pos:
                run = self._line_run(block[pos:end], next_row, width, block, pos, whole)
                next_row += run.row_count
                self._line_number += len(run.lines)
                yield run
                pos = end
            if end == len(block):
                continue
            lines = _Lines(block, pos, self._blocks, self._line_number)
            records: list[list[Cell]] = []
            first_row = next_row
            for record in self._reader(lines):
                if any(c.strip() for c in record):
                    if len(record) != width:
                        raise ragged(next_row, len(record), width)
                    records.append([_cell(c) for c in record])
                    next_row += 1
                if lines.pos >= len(lines.block) or lines.next_line_is_plain():
                    break
            yield RecordRun(first_row, records)
            block, pos = lines.block, lines.pos
            self._line_number = lines.lines_read

    def _whole_record(self, line: str) -> list[str] | None:
        """The fields of `line` when the csv module reads it as one whole record, else None."""
        if line.count("\r") != line.count("\r\n"):
            return None
        try:
            records = list(csv.reader((line,), delimiter=self.delimiter, strict=True))
        except csv.Error:  # a quoted field that goes on past the line, a field too large, ...: read it apart
            return None
        return records[0] if len(records) == 1 else None

    def _line_run(
        self,
        text: str,
        first_row: int,
        width: int,
        block: str = "",
        at: int = 0,
        whole: dict[int, list[str]] | None = None,
    ) -> LineRun:
        """The run of lines `text`; `whole` holds the parsed lines by where they start in `block`, `text` at `at`."""
        lines = text.split("\n")
        lines.pop()  # the text ends with a newline
        delimiter = self.delimiter
        blank = [i for i, line in enumerate(lines) if _is_blank(line, delimiter)] if _may_have_blank(
            text, delimiter
        ) else []
        records: dict[int, list[str]] = {}
        if whole:
            line_index = 0
            counted_to = at
            for start, record in whole.items():
                line_index += block.count("\n", counted_to, start)
                counted_to = start
                if any(c.strip() for c in record):
                    records[line_index] = record
                else:
                    blank.append(line_index)
            blank.sort()
        run = LineRun(text, lines, first_row, blank, records)
        want = width - 1
        counts = list(map(str.count, lines, repeat(delimiter)))
        for i, record in records.items():
            counts[i] = len(record) - 1
        if counts.count(want) != len(counts):
            blank_set = set(blank)
            for i, count in enumerate(counts):
                if count != want and i not in blank_set:
                    raise ragged(run.row_of(i), count + 1, width)
        limit = csv.field_size_limit()
        if max(map(len, lines), default=0) > limit:
            for i, line in enumerate(lines):
                if i in records:
                    continue  # the csv module read its fields
                if len(line) > limit and max(map(len, line.rstrip("\r").split(delimiter))) > limit:
                    raise _field_too_large(run.row_of(i), limit)
        return run

    def rows(self) -> Iterator[list[Cell]]:
        delimiter = self.delimiter
        for run in self.runs():
            if isinstance(run, RecordRun):
                yield from run.rows
                continue
            blank = set(run.blank)
            records = run.records
            for i, line in enumerate(run.lines):
                if i in blank:
                    continue
                if i in records:
                    yield [_cell(c) for c in records[i]]
                    continue
                if line.endswith("\r"):
                    line = line[:-1]
                yield [c if c.strip() else None for c in line.split(delimiter)]


def _next_special(block: str, start: int, lone_cr: bool) -> int:
    """Where the next quote, or lone carriage return, is in `block` from `start`; -1 when there is none."""
    if not lone_cr:
        return block.find('"', start)
    special = _CSV_SPECIAL.search(block, start)
    return -1 if special is None else special.start()


def _first_non_blank(first: str | None, blocks: Iterator[str]) -> str:
    # Leading blank text is dropped block by block so that a file of whitespace stays cheap to refuse.
    while first is not None and not first.strip():
        first = next(blocks, None)
    if first is None:
        raise _empty()
    return first


_BLANK_AFTER_NEWLINE = {d: re.compile(r"\n(?:[^\S\n]|" + re.escape(d) + r")*\n") for d in (",", ";", "\t")}


def _may_have_blank(text: str, delimiter: str) -> bool:
    # Starting at a newline keeps the search a fast scan for "\n"; the first line is checked apart.
    return _is_blank(text[: text.find("\n")], delimiter) or _BLANK_AFTER_NEWLINE[delimiter].search(text) is not None


def _is_blank(line: str, delimiter: str) -> bool:
    return not line.replace(delimiter, "").strip()


def _delimiter(text: str) -> str:
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    if "," in first_line:
        return ","
    counts = {d: first_line.count(d) for d in (";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","
