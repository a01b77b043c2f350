"""Tests for the personal-information scanner."""

import json
import random

import pytest

from compliance.identifiers import luhn_is_valid, make_resident_id, make_uscc, uscc_is_valid
from compliance.pi_scan import DETECTORS, PERSONAL_TYPES, SENSITIVE_TYPES, detect, mask_text, scan_rows
from compliance.vocabulary import PI_TYPES
from tests.compliance.corpus import corpus

RESIDENT_ID = "11010519491231002X"
CARD = "6222021234567890128"


def _resident_id_also(predicate):
    for sequence in range(1000):
        number = make_resident_id(f"11010519900307{sequence:03d}")
        if predicate(number):
            return number
    raise AssertionError("no such resident ID")


def test_detectors_cover_the_domain_types():
    assert {d.type for d in DETECTORS} == set(PI_TYPES)
    assert SENSITIVE_TYPES == {"bank_card", "cn_resident_id"}
    assert "uscc" not in PERSONAL_TYPES


@pytest.mark.parametrize(
    ("text", "type_", "value"),
    [
        (f"身份证号{RESIDENT_ID}，", "cn_resident_id", RESIDENT_ID),
        ("id: 11010519491231002x.", "cn_resident_id", "11010519491231002x"),
        ("电话：13812345678", "cn_mobile", "13812345678"),
        ("call +86 138 1234 5678 today", "cn_mobile", "+86 138 1234 5678"),
        ("0086-139-0000-1111", "cn_mobile", "0086-139-0000-1111"),
        (f"card {CARD}", "bank_card", CARD),
        ("4111-1111-1111-1111", "bank_card", "4111-1111-1111-1111"),
        ("统一社会信用代码：91350100M000100Y43", "uscc", "91350100M000100Y43"),
        ("mail zhang.san@example.com.cn.", "email", "zhang.san@example.com.cn"),
    ],
)
def test_detect_each_type(text, type_, value):
    found = detect(text)
    assert [(d.type, d.value) for d in found] == [(type_, value)]
    assert text[found[0].start : found[0].end] == value


@pytest.mark.parametrize(
    "text",
    [
        "1" + RESIDENT_ID,  # inside a longer run of digits
        RESIDENT_ID[:-1] + "0" + "1",
        "9" + "13812345678",
        "13812345678" + "0",
        "ID" + RESIDENT_ID,  # glued to letters
        "13812345678abc",
        "00" + CARD,
        "1234 4111 1111 1111 1111",  # a slice of a longer group of digits
        "order 20240101123456789012",  # long order number
        "12812345678",  # not a mobile prefix
        "110105194912310021",  # resident ID with a wrong check character, not Luhn-valid either
        "a..b@example.com",
        "name@localhost",
        "",
        "no digits at all",
    ],
)
def test_no_match(text):
    assert detect(text) == []


def test_resident_id_that_passes_luhn_is_a_resident_id():
    number = _resident_id_also(luhn_is_valid)
    assert [d.type for d in detect(number)] == ["cn_resident_id"]


def test_resident_id_that_passes_the_uscc_check_is_a_resident_id():
    number = _resident_id_also(uscc_is_valid)
    assert [d.type for d in detect(number)] == ["cn_resident_id"]


def test_all_digit_uscc_that_passes_luhn_is_a_uscc():
    for serial in range(10_000):
        code = make_uscc(f"9144030000000{serial:04d}")
        if code.isdigit() and luhn_is_valid(code):
            break
    else:
        raise AssertionError("no such USCC")
    assert [d.type for d in detect(code)] == ["uscc"]


def test_several_types_in_one_text_in_order():
    text = f"{RESIDENT_ID} / 13812345678 / a@b.cn"
    assert [d.type for d in detect(text)] == ["cn_resident_id", "cn_mobile", "email"]


def test_mask_text_masks_every_span_and_keeps_the_rest():
    assert mask_text(f"张三 {RESIDENT_ID} 电话13812345678") == "张三 110***********002X 电话138****5678"


def test_scan_rows_one_finding_per_row_column_type():
    columns = ["name", "contact", "id_no"]
    rows = [
        ["张三", "13812345678 or 13900001111", RESIDENT_ID],
        ["李四", None, ""],
        ["王五", "wang@example.com 13700002222", "n/a"],
    ]
    report = scan_rows(columns, rows)
    assert report.rows_scanned == 3
    assert [(f.row, f.column, f.type) for f in report.findings] == [
        (1, "contact", "cn_mobile"),
        (1, "id_no", "cn_resident_id"),
        (3, "contact", "email"),  # in the order they appear in the cell
        (3, "contact", "cn_mobile"),
    ]
    assert report.counts == {"cn_mobile": 2, "cn_resident_id": 1, "email": 1}
    assert report.columns == {"contact": {"cn_mobile": 2, "email": 1}, "id_no": {"cn_resident_id": 1}}
    assert report.sensitive_columns() == {"id_no": {"cn_resident_id": 1}}


def test_scan_rows_reads_non_string_cells():
    report = scan_rows(["card", "flag"], [[4111111111111111, True]])
    assert [(f.column, f.type, f.masked) for f in report.findings] == [
        ("card", "bank_card", "411111******1111")
    ]


def test_scan_of_no_rows():
    assert scan_rows(["a"], []).to_dict() == {
        "rows_scanned": 0, "findings": [], "counts": {}, "columns": {}, "truncated": False
    }


def test_uscc_is_reported_but_not_personal():
    report = scan_rows(["org"], [["91350100M000100Y43"]])
    assert report.counts == {"uscc": 1}
    assert report.personal_columns() == {}


def test_to_dict_has_the_contract_shape_and_only_masked_values():
    raw = [RESIDENT_ID, "13812345678", CARD, "91350100M000100Y43", "zhang@example.com"]
    report = scan_rows(["v"], [[value] for value in raw])
    data = report.to_dict()
    assert {"rows_scanned", "findings", "counts"} <= set(data)
    assert data["rows_scanned"] == 5
    assert data["findings"][0] == {
        "row": 1,
        "column": "v",
        "type": "cn_resident_id",
        "masked": "110***********002X",
    }
    assert all(set(f) == {"row", "column", "type", "masked"} for f in data["findings"])
    assert data["counts"] == {"cn_resident_id": 1, "cn_mobile": 1, "bank_card": 1, "uscc": 1, "email": 1}
    text = json.dumps(data)
    for value in raw:
        assert value not in text


def _reference_detect(text):
    """The rule as written: every detector over the whole text, overlaps settled by rank, then length."""
    candidates = []
    for detector in DETECTORS:
        for m in detector.pattern.finditer(text):
            if detector.is_valid(m.group()):
                candidates.append((detector.rank, m.start(), m.end(), detector.type, m.group()))
    candidates.sort(key=lambda c: (-c[0], c[1] - c[2], c[1]))
    taken = []
    for found in candidates:
        if all(found[2] <= t[1] or found[1] >= t[2] for t in taken):
            taken.append(found)
    return [(t[3], t[1], t[2], t[4]) for t in sorted(taken, key=lambda t: t[1])]


def _glued_texts(seed, n):
    """Corpus cells run together with the characters that patterns look at or stop at."""
    rng = random.Random(seed)
    cells = [text for text, _ in corpus(seed)]
    glue = ["", " ", "-", "+", "(", ")", ".", "@", "_", "%", "，", "：", "张", "x", "X", "1", "86", "0086", "+86 ",
            "0086-", "a.b@", "@qq.com", "\u00a0", "é", "１"]
    texts = []
    for _ in range(n):
        parts = [rng.choice(cells) for _ in range(rng.randint(1, 4))]
        texts.append("".join(rng.choice(glue) + part for part in parts) + rng.choice(glue))
    return texts


def test_detect_equals_the_patterns_run_over_the_whole_text():
    # `detect` takes shortcuts (ASCII tokens decided by length, one address, stretches of ASCII apart);
    # they must find exactly what the detectors find over the whole text.
    cells = [text for text, _ in corpus()]
    tokens = [text for text in cells if text.isascii() and text.isalnum()][:400]
    glued_tokens = [f"{before}{token}{after}" for token in tokens for before in ("", "86", "0086", "1", "X")
                    for after in ("", "0", "x")]
    texts = cells + glued_tokens + _glued_texts(11, 6000)
    for text in texts:
        expected = _reference_detect(text)
        assert [(d.type, d.start, d.end, d.value) for d in detect(text)] == expected, text


def test_token_masks_equal_mask():
    from compliance.identifiers import mask
    from compliance.pi_scan import _mask_token, _token_type

    tokens = [text for text, _ in corpus() if text.isascii() and text.isalnum()]
    tokens += [prefix + text for text in tokens if len(text) == 11 for prefix in ("86", "0086")]
    typed = [(token, _token_type(token)) for token in tokens]
    assert {t for _, t in typed} >= {"cn_resident_id", "uscc", "bank_card", "cn_mobile"}
    for token, type_ in typed:
        if type_:
            assert _mask_token(token, type_) == mask(token, type_), token
