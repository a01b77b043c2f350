"""Tests for reading samples by content, inferring column types and masking previews."""

import io
import json
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from compliance.field_types import infer_column_type, infer_value_type
from compliance.pi_scan import Finding, ScanReport, scan_rows
from compliance.samples import SampleError, read_sample

RESIDENT_ID = "11010519491231002X"


def _xlsx(*sheets):
    workbook = Workbook()
    workbook.remove(workbook.active)
    for rows in sheets:
        sheet = workbook.create_sheet()
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip(name, content):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


def _error(data, **kwargs):
    with pytest.raises(SampleError) as caught:
        read_sample(data, **kwargs)
    return caught.value


# ---------------------------------------------------------------- refused files


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"  \r\n\n ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "unsupported_type"),  # a PNG, whatever its name
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "unsupported_type"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "unsupported_type"),
        (b"\x7fELF\x02\x01\x01", "unsupported_type"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "unsupported_type"),
        (b"name,value\n\x00\x01\x02\x03", "unsupported_type"),
        (b"name,value\nabc,\x07\x08\n", "unsupported_type"),
        (b"PK\x03\x04 not really a zip", "unsupported_type"),
        ("a,b\n1,2\n".encode("utf-16"), "bad_encoding"),
    ],
)
def test_refused(data, code):
    assert _error(data).code == code


def test_zip_that_is_not_a_workbook_is_refused():
    error = _error(_zip("report.txt", "a,b\n1,2\n"))
    assert error.code == "unsupported_type"
    assert str(error) == "The file is a ZIP archive but not an XLSX workbook."


def test_png_message_names_what_the_file_is():
    error = _error(b"\x89PNG\r\n\x1a\n")
    assert str(error) == "The file is a PNG image, not a CSV, XLSX or JSON-lines sample."
    assert "PNG" in error.message["zh"]


def test_damaged_workbook():
    assert _error(_zip("xl/workbook.xml", "<not a workbook")).code == "bad_xlsx"


# ---------------------------------------------------------------- CSV


def test_csv_utf8():
    sample = read_sample(b"name,amount\nAlice,1\n,2\n")
    assert (sample.format, sample.encoding) == ("csv", "utf-8")
    assert sample.columns == ["name", "amount"]
    assert sample.rows == [["Alice", "1"], [None, "2"]]
    assert sample.row_count == 2


def test_csv_with_bom():
    sample = read_sample("姓名,金额\n张三,1\n".encode("utf-8-sig"))
    assert sample.encoding == "utf-8-sig"
    assert sample.columns == ["姓名", "金额"]


def test_csv_gb18030():
    sample = read_sample("企业名称,所在地\n江门市某某有限公司,广东省江门市\n".encode("gb18030"))
    assert sample.encoding == "gb18030"
    assert sample.columns == ["企业名称", "所在地"]
    assert sample.rows == [["江门市某某有限公司", "广东省江门市"]]


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("a;b\n1;2\n", [["1", "2"]]),
        ("a\tb\n1\t2\n", [["1", "2"]]),
        ('a,b\n"x, y","line\nbreak"\n', [["x, y", "line\nbreak"]]),
        ("a,b\r\n1,2\r\n\r\n3,4\r\n", [["1", "2"], ["3", "4"]]),  # blank lines are skipped
        ("only\nx\n", [["x"]]),
    ],
)
def test_csv_dialects(text, rows):
    assert read_sample(text.encode()).rows == rows


def test_ragged_row_is_named():
    error = _error(b"a,b,c,d\n1,2,3,4\n1,2,3,4\n1,2,3,4,5\n")
    assert error.code == "ragged_row"
    assert str(error) == "Row 3 has 5 fields but the header has 4."
    assert error.message == {
        "en": "Row 3 has 5 fields but the header has 4.",
        "zh": "第 3 行有 5 个字段，但表头有 4 个。",
    }


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("a,,c\n1,2,3\n", "no_header", "Column 2 of the header has no name."),
        ("a,b,a\n1,2,3\n", "duplicate_column", "The header names column 'a' more than once."),
        ('a,b\n"1"x,2\n', "bad_csv", None),
    ],
)
def test_bad_csv(text, code, message):
    error = _error(text.encode())
    assert error.code == code
    if message:
        assert str(error) == message


def test_too_many_rows():
    error = _error(b"a\n1\n2\n3\n", max_rows=2)
    assert (error.code, str(error)) == ("too_many_rows", "The sample has more than 2 data rows.")
    assert read_sample(b"a\n1\n2\n", max_rows=2).row_count == 2


# ---------------------------------------------------------------- XLSX


def test_xlsx_first_sheet_with_typed_cells():
    data = _xlsx(
        [
            ["name", "count", "ratio", "day", "at", "ok", None],
            ["甲", 3, 0.5, date(2024, 1, 2), datetime(2024, 1, 2, 8, 30), True],
            ["乙", None, 2.0, None, None, False],
            [],
        ],
        [["other"], ["sheet"]],
    )
    sample = read_sample(data)
    assert sample.format == "xlsx"
    assert sample.encoding is None
    assert sample.columns == ["name", "count", "ratio", "day", "at", "ok"]
    assert sample.rows == [
        ["甲", "3", "0.5", "2024-01-02", "2024-01-02T08:30:00", "true"],
        ["乙", None, "2", None, None, "false"],
    ]
    assert sample.column_types() == {
        "name": "string",
        "count": "integer",
        "ratio": "decimal",
        "day": "date",
        "at": "datetime",
        "ok": "boolean",
    }


def test_xlsx_value_beyond_the_header_is_ragged():
    error = _error(_xlsx([["a", "b"], [1, 2], [1, 2, 3]]))
    assert (error.code, str(error)) == ("ragged_row", "Row 2 has 3 fields but the header has 2.")


def test_xlsx_errors():
    assert _error(_xlsx([])).code == "empty"
    assert _error(_xlsx([["a", None, "c"], [1, 2, 3]])).code == "no_header"
    assert _error(_xlsx([["a"], [1], [2], [3]]), max_rows=2).code == "too_many_rows"


# ---------------------------------------------------------------- JSON lines


def test_jsonl_union_of_keys_in_first_seen_order():
    lines = [
        {"name": "张三", "age": 30},
        {},
        {"age": 31, "tags": ["a", "b"], "vip": True, "note": ""},
        {"name": None, "extra": {"k": 1}},
    ]
    data = "\n\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode()
    sample = read_sample(data)
    assert sample.format == "jsonl"
    assert sample.columns == ["name", "age", "tags", "vip", "note", "extra"]
    assert sample.rows == [
        ["张三", "30", None, None, None, None],
        [None, None, None, None, None, None],
        [None, "31", '["a", "b"]', "true", None, None],
        [None, None, None, None, None, '{"k": 1}'],
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1}\n{"a": }\n', "Line 2 is not valid JSON: Expecting value at column 7."),
        ('{"a": 1}\n\n[1, 2]\n', "Line 3 is JSON but not an object."),
        ('{"": 1}\n', "Line 1 has a key with no name."),
    ],
)
def test_bad_jsonl(text, message):
    error = _error(text.encode())
    assert (error.code, str(error)) == ("bad_json", message)


def test_jsonl_too_many_rows():
    assert _error(b'{"a":1}\n{"a":2}\n{"a":3}\n', max_rows=2).code == "too_many_rows"


# ---------------------------------------------------------------- types


@pytest.mark.parametrize(
    ("value", "type_"),
    [
        ("42", "integer"),
        ("-7", "integer"),
        ("0", "integer"),
        ("0755", "string"),  # leading zero: a code, not a number
        ("3.14", "decimal"),
        ("-.5", "decimal"),
        ("1e6", "decimal"),
        ("true", "boolean"),
        ("No", "boolean"),
        ("是", "boolean"),
        ("2024-02-29", "date"),
        ("2024/2/9", "date"),
        ("2024年2月9日", "date"),
        ("2023-02-29", "string"),  # not a real day
        ("2024-02-09T08:00:00", "datetime"),
        ("2024-02-09 08:00", "datetime"),
        ("2024-02-09T08:00:00+08:00", "datetime"),
        ("2024-02-09T25:00:00", "string"),
        ("12 apples", "string"),
        (RESIDENT_ID, "string"),
    ],
)
def test_infer_value_type(value, type_):
    assert infer_value_type(value) == type_


@pytest.mark.parametrize(
    ("values", "type_"),
    [
        (["1", "2", None], "integer"),
        (["1", "2.5"], "decimal"),
        (["2024-01-01", "2024-01-01T00:00:00"], "datetime"),
        (["1", "2024-01-01"], "string"),
        (["true", "1"], "string"),
        ([None, None], None),
        ([], None),
    ],
)
def test_infer_column_type(values, type_):
    assert infer_column_type(values) == type_


def test_all_empty_column_is_string():
    assert read_sample(b"a,b\n1,\n2,\n").column_types() == {"a": "integer", "b": "string"}


# ---------------------------------------------------------------- preview


def test_masked_preview_masks_pi_and_keeps_other_text():
    text = f"name,id_no,note\n张三,{RESIDENT_ID},call 13812345678\n李四,,none\n王五,,x\n"
    sample = read_sample(text.encode())
    scan = scan_rows(sample.columns, sample.rows)
    preview = sample.masked_preview(scan, n=2)
    assert preview == [["张三", "110***********002X", "call 138****5678"], ["李四", None, "none"]]
    assert RESIDENT_ID not in json.dumps(preview)


def test_masked_preview_masks_without_a_scan():
    sample = read_sample(f"id\n{RESIDENT_ID}\n".encode())
    assert sample.masked_preview(None) == [["110***********002X"]]


def test_masked_preview_hides_a_flagged_cell_detection_misses():
    sample = read_sample(b"code\nsecret-value\n")
    scan = ScanReport(rows_scanned=1, findings=[Finding(1, "code", "uscc", "***")])
    assert sample.masked_preview(scan) == [["************"]]
