"""Why a file cannot be read as a table: SampleError and the errors every reader raises."""

from __future__ import annotations


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


def _line_too_long(limit: int) -> SampleError:
    return SampleError(
        "line_too_long",
        f"A line is longer than {limit:,} characters; this is not a table of rows.",
        f"有一行超过 {limit:,} 个字符，这不是按行组织的表格。",
    )


def _damaged_xlsx() -> SampleError:
    return SampleError(
        "bad_xlsx",
        "The XLSX workbook cannot be read; it may be damaged or cut short.",
        "无法读取 XLSX 工作簿，文件可能已损坏或不完整。",
    )
