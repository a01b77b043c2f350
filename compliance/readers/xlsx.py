"""XLSX workbooks: the first worksheet streamed by openpyxl, after the archive is checked for size."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import BinaryIO

from compliance.readers.base import Cell, Table, _cell, header
from compliance.readers.errors import SampleError, _damaged_xlsx, ragged, unsupported

# A workbook this large unpacked is refused before openpyxl inflates it (a zip bomb is a few KB).
MAX_XLSX_UNCOMPRESSED = 512 * 1024 * 1024
# openpyxl keeps every shared string in memory even in read-only mode, so their size is bounded apart.
MAX_XLSX_SHARED_STRINGS = 64 * 1024 * 1024


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
