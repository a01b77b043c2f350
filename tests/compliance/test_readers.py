"""Tests for the streaming readers and the block scan: same results as cell by cell, clear errors."""

import csv
import io
import json
import random

import pytest
from openpyxl import Workbook

from compliance.pi_scan import MAX_FINDINGS, ScanReport, scan_file, scan_rows, scan_table
from compliance.readers import SampleError, open_table
from tests.compliance.corpus import corpus


def _reference(text: str, delimiter: str = ",", max_findings: int = MAX_FINDINGS):
    """Scan the way the per-cell scanner sees the file: the csv module over the whole text."""
    records = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if any(c.strip() for c in r)]
    rows = [[c if c.strip() else None for c in r] for r in records[1:]]
    return scan_rows(records[0], rows, report=ScanReport(column_order=records[0], max_findings=max_findings))


def _csv_text(seed: int, rows: int, *, quote_share: float, newline: str, delimiter: str = ",") -> str:
    rng = random.Random(seed)
    cells = [text for text, _ in corpus(seed)]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline,
                        quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["id", "name", "note", "contact"])
    for i in range(rows):
        row = [str(i), rng.choice(["张三", "李四", ""]), rng.choice(cells), rng.choice(cells)]
        if rng.random() < quote_share:
            row[2] = row[2] + rng.choice(['，含"引号"', "\n第二行", f"{delimiter} 逗号"])
        if rng.random() < 0.01:
            writer.writerow([])  # blank lines are not rows
            out.write(" " + delimiter * 3 + newline)
        writer.writerow(row)
    return out.getvalue()


@pytest.mark.parametrize(
    ("encoding", "newline", "quote_share", "delimiter"),
    [
        ("utf-8", "\n", 0.0, ","),
        ("utf-8", "\r\n", 0.02, ","),
        ("utf-8-sig", "\n", 0.2, ","),
        ("gb18030", "\r\n", 0.05, ","),
        ("utf-8", "\n", 0.05, "\t"),
    ],
)
def test_block_scan_equals_cell_scan(tmp_path, monkeypatch, encoding, newline, quote_share, delimiter):
    # Small blocks so that quoted fields and lines straddle block boundaries.
    monkeypatch.setattr("compliance.readers.BLOCK_BYTES", 4096)
    text = _csv_text(7, 3000, quote_share=quote_share, newline=newline, delimiter=delimiter)
    path = tmp_path / "s.csv"
    path.write_bytes(text.encode(encoding))
    fast = scan_file(path)
    expected = _reference(text, delimiter)
    assert fast.rows_scanned == expected.rows_scanned
    assert fast.to_dict() == expected.to_dict()
    assert fast.column_summary() == expected.column_summary()
    assert expected.findings  # the corpus cells hold PI


@pytest.mark.parametrize("max_findings", [0, 40, 700])
def test_block_scan_equals_cell_scan_beyond_the_findings_cap(monkeypatch, max_findings):
    # Past the cap, findings whose column already has its examples are only counted, in bulk.
    monkeypatch.setattr("compliance.readers.BLOCK_BYTES", 4096)
    text = _csv_text(5, 3000, quote_share=0.02, newline="\n")
    with open_table(io.BytesIO(text.encode())) as table:
        fast = scan_table(table, max_findings=max_findings)
    expected = _reference(text, max_findings=max_findings)
    assert fast.truncated and expected.truncated
    assert fast.to_dict() == expected.to_dict()
    assert fast.column_summary() == expected.column_summary()
    assert list(fast.counts) == list(expected.counts)  # first seen first, as the cell scan has them


def test_rows_equal_the_csv_module(tmp_path, monkeypatch):
    monkeypatch.setattr("compliance.readers.BLOCK_BYTES", 1000)
    text = _csv_text(3, 500, quote_share=0.3, newline="\r\n")
    records = [r for r in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in r)]
    with open_table(io.BytesIO(text.encode())) as table:
        assert table.columns == records[0]
        assert list(table.rows()) == [[c if c.strip() else None for c in r] for r in records[1:]]


def test_progress_reaches_the_total(tmp_path, monkeypatch):
    monkeypatch.setattr("compliance.readers.BLOCK_BYTES", 1000)
    data = _csv_text(1, 300, quote_share=0.0, newline="\n").encode()
    seen = []
    scan_table(open_table(io.BytesIO(data)), on_progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(data), len(data))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_findings_beyond_the_cap_are_counted_not_kept(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("m\n" + "13812345678\n" * (MAX_FINDINGS + 5))
    report = scan_file(path)
    data = report.to_dict()
    assert data["truncated"] is True
    assert len(data["findings"]) == MAX_FINDINGS
    assert data["counts"] == {"cn_mobile": MAX_FINDINGS + 5}
    assert report.column_summary() == [
        {"column": "m", "types": {"cn_mobile": {"rows": MAX_FINDINGS + 5, "share": 1.0, "examples": ["138****5678"]}}}
    ]


def test_late_gb18030_after_an_ascii_prefix(monkeypatch):
    monkeypatch.setattr("compliance.readers.BLOCK_BYTES", 64)
    data = ("a,b\n" + "1,2\n" * 100 + "江门,13812345678\n").encode("gb18030")
    with open_table(io.BytesIO(data)) as table:
        rows = list(table.rows())
        assert table.encoding == "gb18030"
    assert rows[-1] == ["江门", "13812345678"]


def _xlsx_bytes(rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_and_jsonl_scan_cell_by_cell():
    xlsx = _xlsx_bytes([["id", "mobile"], ["x", "13812345678"], [None, None], ["y", "+86 139 0000 1111"]])
    report = scan_table(open_table(io.BytesIO(xlsx)))
    found = [(f.row, f.column, f.type) for f in report.findings]
    assert found == [(1, "mobile", "cn_mobile"), (2, "mobile", "cn_mobile")]
    jsonl = "\n".join(json.dumps(o) for o in [{"a": "x"}, {"b": "a@example.com"}]).encode()
    report = scan_table(open_table(io.BytesIO(jsonl)))
    assert report.to_dict()["findings"] == [{"row": 2, "column": "b", "type": "email", "masked": "a***@example.com"}]


def _error(data, **kwargs):
    with pytest.raises(SampleError) as caught:
        with open_table(io.BytesIO(data), **kwargs) as table:
            scan_table(table)
    assert caught.value.message["zh"] and caught.value.message["en"]
    return caught.value


def test_truncated_xlsx():
    data = _xlsx_bytes([["a", "b"]] + [[i, f"value {i}"] for i in range(2000)])
    for cut in (len(data) // 2, len(data) - 10, 200):
        assert _error(data[:cut]).code == "bad_xlsx"


def test_binary_posing_as_csv():
    rng = random.Random(1)
    data = b"name,value\n" + bytes(rng.randrange(256) for _ in range(100_000))
    assert _error(data).code in {"unsupported_type", "bad_encoding"}
    assert _error(b"a,b\n" + b"1,2\n" * 100_000 + b"\x00\x01\x02\n").code == "unsupported_type"


def test_invalid_encoding_late_in_the_file():
    data = "a,b\n张三,1\n".encode() + b"x,\xff\xfe\n"
    error = _error(data)
    assert error.code == "bad_encoding"
    assert "UTF-8" in str(error) and "GB18030" in error.message["zh"]


@pytest.mark.parametrize("body", [b"x" * 10_000_000, b"1," * 5_000_000])
def test_a_10_mb_single_line_is_refused_quickly(body):
    assert _error(b"a,b\n" + body).code == "line_too_long"


def test_a_huge_field_under_the_line_limit():
    assert _error(b"a,b\n1," + b"x" * 200_000 + b"\n").code == "field_too_large"
    assert _error(b'a,b\n1,"' + b"x" * 200_000 + b'"\n').code == "field_too_large"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1,2\n1,2,3\n", "Row 2 has 3 fields but the header has 2."),
        ('a,b\n1,2\n"1",2,3\n', "Row 2 has 3 fields but the header has 2."),
        ("a,b\n1,2\n\n1\n", "Row 2 has 1 fields but the header has 2."),
    ],
)
def test_ragged_rows(text, message):
    error = _error(text.encode())
    assert (error.code, str(error)) == ("ragged_row", message)


def test_unclosed_quote_is_a_clear_error():
    assert _error(b'a,b\n1,"open\n2,3\n').code == "bad_csv"


def test_a_path_that_cannot_be_opened(tmp_path):
    with pytest.raises(SampleError) as caught:
        open_table(tmp_path / "missing.csv")
    assert caught.value.code == "unreadable"
