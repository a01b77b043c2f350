"""Streaming readers for tabular files (CSV, XLSX, JSON lines), recognised by content, memory bounded."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import repeat
from typing import Any, BinaryIO

Cell = str | None
Progress = Callable[[int, "int | None"], None]

# Raw bytes read at a time: big enough that per-block work is amortised, small enough to bound memory.
BLOCK_BYTES = 4 * 1024 * 1024
# A physical line longer than this is refused before it is buffered whole (a 10 MB line is not a row).
MAX_LINE_CHARS = 1024 * 1024
# A workbook this large unpacked is refused before openpyxl inflates it (a zip bomb is a few KB).
MAX_XLSX_UNCOMPRESSED = 512 * 1024 * 1024
# openpyxl keeps every shared string in memory even in read-only mode, so their size is bounded apart.
MAX_XLSX_SHARED_STRINGS = 64 * 1024 * 1024

_BINARY_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "an ELF executable"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office file (.xls or .doc); save it as .xlsx or CSV"),
)
# Control characters never found in a CSV or JSON-lines text; their presence means a binary file.
# Checked on the bytes: neither UTF-8 nor GB18030 uses these values inside a multi-byte character.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])
# What the csv module treats specially in an unquoted line: a quote, or a carriage return alone.
_CSV_SPECIAL = re.compile(r'"|\r(?!\n)')
_LINE_END = re.compile(r"\r\n|\r|\n")


class SampleError(Exception):
    """A file that cannot be read; `code` is stable, `message` says precisely what is wrong, in both languages."""

    def __init__(self, code: str, en: str, zh: str) -> None:
        super().__init__(en)
        self.code = code
        self.message = {"zh": zh, "en": en}

    def __str__(self) -> str:
        return self.message["en"]


def unsupported() -> SampleError:
    return SampleError(
        "unsupported_type",
        "The file is not a CSV, XLSX or JSON-lines sample.",
        "文件类型不受支持，请上传 CSV、XLSX 或 JSON Lines 样例。",
    )


def _empty() -> SampleError:
    return SampleError("empty", "The file is empty.", "文件为空。")


def ragged(row_number: int, width: int, header_width: int) -> SampleError:
    return SampleError(
        "ragged_row",
        f"Row {row_number} has {width} fields but the header has {header_width}.",
        f"第 {row_number} 行有 {width} 个字段，但表头有 {header_width} 个。",
    )


def _field_too_large(row_number: int, limit: int) -> SampleError:
    return SampleError(
        "field_too_large",
        f"Row {row_number} has a field longer than {limit:,} characters.",
        f"第 {row_number} 行有超过 {limit:,} 个字符的字段。",
    )


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


# ---------------------------------------------------------------- bytes to text blocks


class _CountingReader:
    """Reads a binary stream in blocks and reports how far it has got."""

    def __init__(self, stream: BinaryIO, total: int | None, on_progress: Progress | None) -> None:
        self.stream = stream
        self.total = total
        self.read_so_far = 0
        self.on_progress = on_progress

    def read(self) -> bytes:
        data = self.stream.read(BLOCK_BYTES)
        self.read_so_far += len(data)
        if self.on_progress is not None and data:
            self.on_progress(self.read_so_far, self.total)
        return data


class _TextBlocks:
    """Decoded text in blocks of whole lines (each ends with a newline), refusing binary data and huge lines.

    The encoding is UTF-8 (with or without BOM) unless the bytes are not, then GB18030. A file whose
    first non-ASCII byte comes late is still read right: while every byte so far was ASCII, a UTF-8
    failure switches to GB18030 (which reads ASCII the same).
    """

    def __init__(self, reader: _CountingReader, first: bytes, max_line_chars: int) -> None:
        self.reader = reader
        self.max_line_chars = max_line_chars
        self.encoding = "utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"
        self._decoder = codecs.getincrementaldecoder(self.encoding)()
        self._all_ascii = True
        self._pending = first
        self._carry = ""
        self._done = False
        self.bytes_decoded = 0

    def _decode(self, data: bytes, final: bool) -> str:
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            if self.encoding != "utf-8" or not self._all_ascii:
                at = self.bytes_decoded + exc.start
                raise SampleError(
                    "bad_encoding",
                    f"The text is neither UTF-8 nor GB18030 (invalid bytes near byte {at:,}).",
                    f"文本编码既不是 UTF-8 也不是 GB18030（第 {at:,} 字节附近无效）。",
                ) from exc
            self.encoding = "gb18030"
            self._decoder = codecs.getincrementaldecoder("gb18030")()
            return self._decode(data, final)
        self._all_ascii = self._all_ascii and data.isascii()
        self.bytes_decoded += len(data)
        if len(data.translate(None, _CONTROL_BYTES)) != len(data):
            raise SampleError(
                "unsupported_type",
                "The file holds binary data (control characters), so it is not a CSV or JSON-lines text.",
                "文件含有二进制数据（控制字符），不是 CSV 或 JSON Lines 文本。",
            )
        return text

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        while True:
            if self._done:
                raise StopIteration
            data = self._pending if self._pending is not None else self.reader.read()
            self._pending = None
            final = not data
            text = self._carry + self._decode(data, final)
            if final:
                self._done = True
                self._carry = ""
                if not text:
                    raise StopIteration
                return text if text.endswith("\n") else text + "\n"
            cut = text.rfind("\n") + 1
            self._carry = text[cut:]
            # Lines inside a block are bounded by the block; only the unfinished one can grow.
            if len(self._carry) > self.max_line_chars:
                raise _line_too_long(self.max_line_chars)
            if cut:
                return text[:cut]


def _line_too_long(limit: int) -> SampleError:
    return SampleError(
        "line_too_long",
        f"A line is longer than {limit:,} characters; this is not a table of rows.",
        f"有一行超过 {limit:,} 个字符，这不是按行组织的表格。",
    )


class _Lines:
    """Physical lines across text blocks, as the csv module wants them; `block` and `pos` say where it is."""

    def __init__(self, block: str, pos: int, blocks: Iterator[str], lines_before: int = 0) -> None:
        self.block = block
        self.pos = pos
        self.blocks = blocks
        self.lines_read = lines_before

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.block):
            self.block = next(self.blocks)  # StopIteration ends the csv reader
            self.pos = 0
        end = _LINE_END.search(self.block, self.pos).end()  # type: ignore[union-attr]  # blocks end with "\n"
        line = self.block[self.pos : end]
        self.pos = end
        self.lines_read += 1
        return line

    def next_line_is_plain(self) -> bool:
        """Whether the next line can be split on the delimiter alone (no quote, no lone carriage return)."""
        end = self.block.find("\n", self.pos)
        return _CSV_SPECIAL.search(self.block, self.pos, end + 1) is None


# ---------------------------------------------------------------- tables


class Table:
    """A header and a single pass over data rows (header excluded); every cell a string, empty cells None."""

    format: str = ""
    columns: list[str]
    encoding: str | None = None

    def __init__(self, owned: BinaryIO | None) -> None:
        self._owned = owned
        self.on_progress: Progress | None = None
        self.total_bytes: int | None = None

    def rows(self) -> Iterator[list[Cell]]:
        raise NotImplementedError

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


class JsonLinesTable(Table):
    """JSON lines, one object per line; the columns are every key in first-seen order (a first pass)."""

    format = "jsonl"

    def __init__(self, owned: BinaryIO | None, open_blocks: Callable[[], _TextBlocks]) -> None:
        super().__init__(owned)
        self._open_blocks = open_blocks
        keys: dict[str, None] = {}
        blocks = open_blocks()
        for obj in self._objects(blocks):
            keys.update(dict.fromkeys(obj))
        self.columns = list(keys)
        self._encoding = blocks.encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding

    @staticmethod
    def _objects(blocks: _TextBlocks) -> Iterator[dict[str, Any]]:
        line_number = 0
        for block in blocks:
            for line in block.split("\n")[:-1]:
                line_number += 1
                if line.strip():
                    yield _json_object(line, line_number)

    def rows(self) -> Iterator[list[Cell]]:
        blocks = self._open_blocks()
        blocks.reader.on_progress = self.on_progress
        columns = self.columns
        for obj in self._objects(blocks):
            yield [_json_cell(obj.get(c)) for c in columns]


def _json_cell(value: Any) -> Cell:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _cell(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _json_object(line: str, line_number: int) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SampleError(
            "bad_json",
            f"Line {line_number} is not valid JSON: {exc.msg} at column {exc.colno}.",
            f"第 {line_number} 行不是有效的 JSON：第 {exc.colno} 列 {exc.msg}。",
        ) from exc
    except RecursionError as exc:
        raise SampleError(
            "bad_json", f"Line {line_number} is nested too deeply.", f"第 {line_number} 行嵌套过深。"
        ) from exc
    if not isinstance(obj, dict):
        raise SampleError(
            "bad_json", f"Line {line_number} is JSON but not an object.", f"第 {line_number} 行是 JSON 但不是对象。"
        )
    if "" in obj:
        raise SampleError(
            "bad_json", f"Line {line_number} has a key with no name.", f"第 {line_number} 行有空的键名。"
        )
    return obj


def _damaged_xlsx() -> SampleError:
    return SampleError(
        "bad_xlsx",
        "The XLSX workbook cannot be read; it may be damaged or cut short.",
        "无法读取 XLSX 工作簿，文件可能已损坏或不完整。",
    )


class XlsxTable(Table):
    """The first worksheet of an XLSX workbook, streamed by openpyxl in read-only mode."""

    format = "xlsx"

    def __init__(self, owned: BinaryIO | None, stream: BinaryIO, total: int | None) -> None:
        super().__init__(owned)
        self._stream = stream
        self.total_bytes = total
        _check_archive(stream)
        # Imported here so that reading CSV never pays for openpyxl's import.
        from openpyxl import load_workbook

        stream.seek(0)
        try:
            self._workbook = load_workbook(stream, read_only=True, data_only=True)
            self._records = self._read_records()
            first = next(self._records, None)
        except SampleError:
            raise
        except Exception as exc:  # openpyxl raises many unrelated types for a damaged workbook
            raise _damaged_xlsx() from exc
        if first is None:
            raise SampleError("empty", "The first worksheet is empty.", "第一个工作表为空。")
        # Formatting often extends a sheet's used range with empty columns; only named columns count.
        while first and first[-1] is None:
            first.pop()
        self.columns = header(first)

    def _read_records(self) -> Iterator[list[Cell]]:
        for values in self._workbook.worksheets[0].iter_rows(values_only=True):
            record = [_xlsx_cell(v) for v in values]
            if any(c is not None for c in record):
                yield record

    def rows(self) -> Iterator[list[Cell]]:
        width = len(self.columns)
        seen = 0
        try:
            for row_number, record in enumerate(self._records, start=1):
                if self.on_progress is not None and row_number % 1000 == 0:
                    seen = max(seen, self._stream.tell())
                    self.on_progress(seen, self.total_bytes)
                last = max((i + 1 for i, c in enumerate(record) if c is not None), default=0)
                if last > width:
                    raise ragged(row_number, last, width)
                yield (record + [None] * width)[:width]
        except SampleError:
            raise
        except Exception as exc:  # a member cut short or corrupt shows only while inflating it
            raise _damaged_xlsx() from exc
        if self.on_progress is not None and self.total_bytes is not None:
            self.on_progress(self.total_bytes, self.total_bytes)

    def close(self) -> None:
        workbook = getattr(self, "_workbook", None)
        if workbook is not None:
            workbook.close()
        super().close()


def _check_archive(stream: BinaryIO) -> None:
    stream.seek(0)
    head = stream.read(65536)
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        # A workbook cut short has lost its central directory but still names its parts near the start.
        if any(part in head for part in (b"[Content_Types].xml", b"xl/", b"docProps/", b"_rels/")):
            raise _damaged_xlsx() from exc
        raise unsupported() from exc
    if not any(m.filename.startswith("xl/") for m in members):
        raise SampleError(
            "unsupported_type",
            "The file is a ZIP archive but not an XLSX workbook.",
            "文件是 ZIP 压缩包而不是 XLSX 工作簿。",
        )
    too_large = SampleError("too_large", "The workbook is too large once unpacked.", "工作簿解压后过大。")
    if sum(m.file_size for m in members) > MAX_XLSX_UNCOMPRESSED:
        raise too_large
    if sum(m.file_size for m in members if m.filename.endswith("sharedStrings.xml")) > MAX_XLSX_SHARED_STRINGS:
        raise too_large


def _xlsx_cell(value: object) -> Cell:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _cell(str(value))


# ---------------------------------------------------------------- opening


def _size(stream: BinaryIO) -> int | None:
    try:
        return os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        pass
    try:
        here = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(here)
        return end - here
    except (AttributeError, OSError):
        return None


def _seekable(stream: BinaryIO) -> tuple[BinaryIO, BinaryIO | None]:
    """The stream itself when it can seek, else a spooled copy (which the caller then owns)."""
    if getattr(stream, "seekable", lambda: False)():
        return stream, None
    copy = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - the table closes it
    shutil.copyfileobj(stream, copy)
    copy.seek(0)
    return copy, copy  # type: ignore[return-value]


def open_table(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    on_progress: Progress | None = None,
    max_line_chars: int = MAX_LINE_CHARS,
) -> Table:
    """Open a CSV, XLSX or JSON-lines file (a path or a binary stream), recognised by content.

    Raises SampleError, with a message in English and Chinese, for anything that is not such a table.
    Close the table (or use it as a context manager) when it came from a path.
    """
    owned: BinaryIO | None = None
    if isinstance(source, str | os.PathLike):
        try:
            stream: BinaryIO = open(source, "rb")  # noqa: SIM115 - the table closes it
        except OSError as exc:
            raise SampleError(
                "unreadable", f"The file cannot be opened: {exc.strerror}.", f"无法打开文件：{exc.strerror}。"
            ) from exc
        owned = stream
    else:
        stream = source
    try:
        table = _open(stream, owned, on_progress, max_line_chars)
    except BaseException:
        if owned is not None:
            owned.close()
        raise
    table.on_progress = on_progress
    return table


def _open(stream: BinaryIO, owned: BinaryIO | None, on_progress: Progress | None, max_line_chars: int) -> Table:
    start = stream.tell() if getattr(stream, "seekable", lambda: False)() else 0
    total = _size(stream)
    reader = _CountingReader(stream, total, None)
    first = reader.read()
    if not first.strip():
        # Only whitespace so far: look further before calling the file empty, without buffering it.
        while first and not first.strip():
            first = reader.read()
        if not first:
            raise _empty()
        first = first.lstrip()
    if first.startswith(b"PK\x03\x04"):
        stream.seek(start)
        seekable, copy = _seekable(stream)
        return XlsxTable(copy or owned, seekable, total)
    for magic, what in _BINARY_MAGIC:
        if first.startswith(magic):
            raise SampleError(
                "unsupported_type",
                f"The file is {what}, not a CSV, XLSX or JSON-lines sample.",
                f"文件类型不受支持（{what}），请上传 CSV、XLSX 或 JSON Lines 样例。",
            )
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SampleError(
            "bad_encoding",
            "The file is encoded in UTF-16; save it as UTF-8 or GB18030.",
            "文件为 UTF-16 编码，请另存为 UTF-8 或 GB18030。",
        )
    if first.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"{"):
        seekable, copy = _seekable(stream)

        def open_blocks() -> _TextBlocks:
            seekable.seek(start if copy is None else 0)
            counting = _CountingReader(seekable, total, None)
            return _TextBlocks(counting, counting.read(), max_line_chars)

        return JsonLinesTable(copy or owned, open_blocks)
    return CsvTable(owned, _TextBlocks(reader, first, max_line_chars))
