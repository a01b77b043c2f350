"""Reading uploaded sample files (CSV, XLSX, JSON lines) by content into a header and string cells."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from compliance.field_types import infer_column_type
from compliance.pi_scan import ScanReport, mask_text

# A workbook this large unpacked is refused before openpyxl inflates it (a zip bomb is a few KB).
MAX_XLSX_UNCOMPRESSED = 512 * 1024 * 1024

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
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class SampleError(Exception):
    """A sample that cannot be read; `code` is stable, `message` says precisely what is wrong."""

    def __init__(self, code: str, en: str, zh: str) -> None:
        super().__init__(en)
        self.code = code
        self.message = {"zh": zh, "en": en}

    def __str__(self) -> str:
        return self.message["en"]


Cell = str | None


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
    if not data.strip():
        raise SampleError("empty", "The file is empty.", "文件为空。")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, max_rows)
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise SampleError(
                "unsupported_type",
                f"The file is {what}, not a CSV, XLSX or JSON-lines sample.",
                f"文件类型不受支持（{what}），请上传 CSV、XLSX 或 JSON Lines 样例。",
            )
    text, encoding = _decode(data)
    if text.lstrip().startswith("{"):
        return _read_jsonl(text, encoding, max_rows)
    return _read_csv(text, encoding, max_rows)


def _unsupported() -> SampleError:
    return SampleError(
        "unsupported_type",
        "The file is not a CSV, XLSX or JSON-lines sample.",
        "文件类型不受支持，请上传 CSV、XLSX 或 JSON Lines 样例。",
    )


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SampleError(
            "bad_encoding",
            "The file is encoded in UTF-16; save it as UTF-8 or GB18030.",
            "文件为 UTF-16 编码，请另存为 UTF-8 或 GB18030。",
        )
    if b"\x00" in data[:8192]:
        raise _unsupported()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL.search(text[:65536]):
            raise _unsupported()
        used = "utf-8" if encoding == "utf-8-sig" and not data.startswith(codecs.BOM_UTF8) else encoding
        return text, used
    raise SampleError(
        "bad_encoding",
        "The text is neither UTF-8 nor GB18030.",
        "文本编码既不是 UTF-8 也不是 GB18030。",
    )


def _header(cells: Sequence[object]) -> list[str]:
    names = ["" if c is None else str(c).strip() for c in cells]
    if not any(names):
        raise SampleError(
            "no_header", "The first row is empty; it must name the columns.", "第一行为空，应为列名。"
        )
    for position, name in enumerate(names, start=1):
        if not name:
            raise SampleError(
                "no_header",
                f"Column {position} of the header has no name.",
                f"表头第 {position} 列没有列名。",
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


def _too_many_rows(max_rows: int) -> SampleError:
    return SampleError(
        "too_many_rows", f"The sample has more than {max_rows} data rows.", f"样例数据超过 {max_rows} 行。"
    )


def _ragged(row_number: int, width: int, header_width: int) -> SampleError:
    return SampleError(
        "ragged_row",
        f"Row {row_number} has {width} fields but the header has {header_width}.",
        f"第 {row_number} 行有 {width} 个字段，但表头有 {header_width} 个。",
    )


def _delimiter(text: str) -> str:
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    if "," in first_line:
        return ","
    counts = {d: first_line.count(d) for d in (";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_records(text: str) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        for record in reader:
            if any(c.strip() for c in record):
                yield record
    except csv.Error as exc:
        raise SampleError(
            "bad_csv",
            f"The CSV cannot be parsed at line {reader.line_num}: {exc}.",
            f"CSV 第 {reader.line_num} 行无法解析：{exc}。",
        ) from exc


def _read_csv(text: str, encoding: str, max_rows: int) -> Sample:
    records = _csv_records(text)
    first = next(records, None)
    if first is None:
        raise SampleError("empty", "The file is empty.", "文件为空。")
    columns = _header(first)
    rows: list[list[Cell]] = []
    for row_number, record in enumerate(records, start=1):
        if row_number > max_rows:
            raise _too_many_rows(max_rows)
        if len(record) != len(columns):
            raise _ragged(row_number, len(record), len(columns))
        rows.append([_cell(c) for c in record])
    return Sample("csv", columns, rows, encoding)


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
    if not isinstance(obj, dict):
        raise SampleError(
            "bad_json",
            f"Line {line_number} is JSON but not an object.",
            f"第 {line_number} 行是 JSON 但不是对象。",
        )
    if "" in obj:
        raise SampleError(
            "bad_json", f"Line {line_number} has a key with no name.", f"第 {line_number} 行有空的键名。"
        )
    return obj


def _read_jsonl(text: str, encoding: str, max_rows: int) -> Sample:
    objects: list[dict[str, Any]] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(objects) == max_rows:
            raise _too_many_rows(max_rows)
        objects.append(_json_object(line, line_number))
    columns = list(dict.fromkeys(key for obj in objects for key in obj))
    rows = [[_json_cell(obj.get(c)) for c in columns] for obj in objects]
    return Sample("jsonl", columns, rows, encoding)


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


def _xlsx_records(data: bytes) -> Iterator[list[Cell]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise _unsupported() from exc
    if not any(m.filename.startswith("xl/") for m in members):
        raise SampleError(
            "unsupported_type",
            "The file is a ZIP archive but not an XLSX workbook.",
            "文件是 ZIP 压缩包而不是 XLSX 工作簿。",
        )
    if sum(m.file_size for m in members) > MAX_XLSX_UNCOMPRESSED:
        raise SampleError("too_large", "The workbook is too large once unpacked.", "工作簿解压后过大。")
    # Imported here so that reading CSV never pays for openpyxl's import.
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types for a damaged workbook
        raise SampleError(
            "bad_xlsx",
            "The XLSX workbook cannot be read; it may be damaged.",
            "无法读取 XLSX 工作簿，文件可能已损坏。",
        ) from exc
    try:
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            record = [_xlsx_cell(v) for v in values]
            if any(c is not None for c in record):
                yield record
    finally:
        workbook.close()


def _read_xlsx(data: bytes, max_rows: int) -> Sample:
    # closing() so that the workbook is closed at once when a bad row stops reading half-way.
    with closing(_xlsx_records(data)) as records:
        return _sample_from_xlsx_records(records, max_rows)


def _sample_from_xlsx_records(records: Iterator[list[Cell]], max_rows: int) -> Sample:
    header = next(records, None)
    if header is None:
        raise SampleError("empty", "The first worksheet is empty.", "第一个工作表为空。")
    # Formatting often extends a sheet's used range with empty columns; only named columns count.
    while header and header[-1] is None:
        header.pop()
    columns = _header(header)
    rows: list[list[Cell]] = []
    for row_number, record in enumerate(records, start=1):
        if row_number > max_rows:
            raise _too_many_rows(max_rows)
        width = max((i + 1 for i, c in enumerate(record) if c is not None), default=0)
        if width > len(columns):
            raise _ragged(row_number, width, len(columns))
        rows.append((record + [None] * len(columns))[: len(columns)])
    return Sample("xlsx", columns, rows)
