"""The fast CSV scan: a run of plain lines searched whole for candidates, each mapped to its row and column."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from typing import TYPE_CHECKING

from compliance.identifiers import mask
from compliance.pi_detect import _mask_token, _spans, _token_type
from compliance.readers import LineRun

if TYPE_CHECKING:
    from compliance.pi_scan import ScanReport

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
