"""Streaming readers for tabular files (CSV, XLSX, JSON lines), recognised by content, memory bounded."""

from __future__ import annotations

import codecs
import io
import os
import shutil
import tempfile
from typing import BinaryIO

from compliance.readers.base import Cell, LineRun, Progress, RecordRun, Table, header
from compliance.readers.blocks import _CountingReader, _TextBlocks
from compliance.readers.delimited import CsvTable
from compliance.readers.errors import SampleError, _empty, ragged, unsupported
from compliance.readers.jsonl import JsonLinesTable
from compliance.readers.xlsx import MAX_XLSX_SHARED_STRINGS, MAX_XLSX_UNCOMPRESSED, XlsxTable

__all__ = [
    "BLOCK_BYTES",
    "MAX_LINE_CHARS",
    "MAX_XLSX_SHARED_STRINGS",
    "MAX_XLSX_UNCOMPRESSED",
    "Cell",
    "CsvTable",
    "JsonLinesTable",
    "LineRun",
    "Progress",
    "RecordRun",
    "SampleError",
    "Table",
    "XlsxTable",
    "header",
    "open_table",
    "ragged",
    "unsupported",
]

# Raw bytes read at a time: big enough that per-block work is amortised, small enough to bound memory.
# Read when a table is opened, so that setting it here (as tests do) reaches every reader.
BLOCK_BYTES = 4 * 1024 * 1024
# A physical line longer than this is refused before it is buffered whole (a 10 MB line is not a row).
MAX_LINE_CHARS = 1024 * 1024

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
    block_bytes = BLOCK_BYTES
    reader = _CountingReader(stream, total, None, block_bytes)
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
            counting = _CountingReader(seekable, total, None, block_bytes)
            return _TextBlocks(counting, counting.read(), max_line_chars)

        return JsonLinesTable(copy or owned, open_blocks)
    return CsvTable(owned, _TextBlocks(reader, first, max_line_chars))
