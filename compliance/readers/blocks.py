"""Bytes to text: a counting block reader, decoded blocks of whole lines, and physical lines across blocks."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import BinaryIO

from compliance.readers.base import Progress
from compliance.readers.errors import SampleError, _line_too_long

# Control characters never found in a CSV or JSON-lines text; their presence means a binary file.
# Checked on the bytes: neither UTF-8 nor GB18030 uses these values inside a multi-byte character.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])
# What the csv module treats specially in an unquoted line: a quote, or a carriage return alone.
_CSV_SPECIAL = re.compile(r'"|\r(?!\n)')
_LINE_END = re.compile(r"\r\n|\r|\n")


class _CountingReader:
    """Reads a binary stream in blocks of `block_bytes` and reports how far it has got."""

    def __init__(self, stream: BinaryIO, total: int | None, on_progress: Progress | None, block_bytes: int) -> None:
        self.stream = stream
        self.total = total
        self.read_so_far = 0
        self.on_progress = on_progress
        self.block_bytes = block_bytes

    def read(self) -> bytes:
        data = self.stream.read(self.block_bytes)
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
