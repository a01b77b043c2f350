"""Tests for USE-02 (field dictionary against the sample) and its agreement with PI-01 on unmarked PI."""

import pytest

from compliance.checklist import evaluate
from compliance.facts import ProductFacts
from compliance.identifiers import make_resident_id
from compliance.opinions import percent
from compliance.pi_scan import scan_rows
from compliance.sample_checks import check_pi_01, check_use_02
from compliance.samples import Sample

IDS = [make_resident_id(f"44070319900101{i:03d}") for i in range(1, 21)]


def _sample(columns, rows):
    return Sample("csv", list(columns), [list(r) for r in rows])


def _both(dictionary, sample, holds_pi=True):
    facts = ProductFacts(holds_pi=holds_pi, field_dictionary=dictionary)
    scan = scan_rows(sample.columns, sample.rows)
    return check_pi_01(facts, sample, scan), check_use_02(facts, sample, scan)


@pytest.mark.parametrize(("filled", "share"), [(20, "100%"), (5, "25%"), (1, "5%")])
def test_unmarked_id_column_blocks_with_column_type_and_share(filled, share):
    cells = IDS[:filled] + ["—"] * (20 - filled)
    sample = _sample(["holder", "amount"], [(c, "1.5") for c in cells])
    dictionary = [{"name": "holder", "type": "string", "pi": False}, {"name": "amount", "type": "decimal"}]
    pi, use = _both(dictionary, sample)
    expected = (
        f"Column holder holds resident ID numbers in {filled} of 20 rows ({share}) but the field dictionary "
        "does not mark it personal."
    )
    assert (pi.outcome, pi.message["en"]) == ("fail", expected)
    assert (use.outcome, use.message["en"]) == ("fail", expected)
    assert use.message["zh"] == pi.message["zh"]
    assert use.details["unmarked_pi_columns"] == {"holder": {"cn_resident_id": filled}}


def test_use_02_blocks_in_the_checklist_for_an_unmarked_id_column():
    sample = _sample(["holder"], [(c,) for c in IDS])
    facts = ProductFacts(holds_pi=True, field_dictionary=[{"name": "holder", "type": "string", "pi": False}])
    results = {r.code: r for r in evaluate(facts, sample=sample, scan=None)}
    assert (results["USE-02"].outcome, results["USE-02"].blocking) == ("fail", True)
    assert (results["PI-01"].outcome, results["PI-01"].blocking) == ("fail", True)


def test_an_undescribed_column_with_pi_is_reported_once_per_item_in_its_own_words():
    sample = _sample(["holder", "amount"], [(c, "2") for c in IDS])
    pi, use = _both([{"name": "amount", "type": "integer"}], sample)
    assert "Column holder holds resident ID numbers in 20 of 20 rows (100%)" in pi.message["en"]
    # USE-02 says the column is missing from the dictionary; that alone is the fix.
    assert use.message["en"] == "The field dictionary does not describe column holder."


def test_pi_marked_columns_without_detected_pi_are_not_a_mismatch():
    # Names, addresses and other PI the scanner does not detect may well be marked personal.
    sample = _sample(["姓名", "amount"], [("张三", "1"), ("李四", "2")])
    _, use = _both([{"name": "姓名", "type": "string", "pi": True}, {"name": "amount", "type": "integer"}], sample)
    assert use.outcome == "pass"


@pytest.mark.parametrize(
    ("declared", "cells", "fragment"),
    [
        ("integer", ["1", "2", "3.5", "4"], "declared integer but 1 of its 4 filled rows (25%) hold decimal values."),
        ("integer", ["1", "x", None, "y"], "declared integer but 2 of its 3 filled rows (67%) hold text values."),
        ("date", ["2024-01-01", "2024-01-01 10:00"], "1 of its 2 filled rows (50%) hold date and time values."),
        ("boolean", ["true", "1", "2.5"], "hold integer, decimal values."),
    ],
)  # fmt: skip
def test_type_mismatch_names_the_share_of_rows_and_the_kinds_found(declared, cells, fragment):
    sample = _sample(["v"], [(c,) for c in cells])
    _, use = _both([{"name": "v", "type": declared}], sample, holds_pi=False)
    assert use.outcome == "fail"
    assert fragment in use.message["en"]


@pytest.mark.parametrize(
    ("dictionary", "columns", "message"),
    [
        (
            [{"name": "Amount ", "type": "decimal"}],
            ["amount"],
            "The field dictionary names column Amount but the sample spells it amount.",
        ),
        (
            [{"name": "", "type": "decimal"}, {"name": "amount", "type": "decimal"}],
            ["amount"],
            "Entry 1 of the field dictionary has no name.",
        ),
        (
            [{"name": "amount", "type": "decimal"}, {"name": "amount", "type": "decimal"}],
            ["amount"],
            "The field dictionary lists amount more than once.",
        ),
    ],
)
def test_column_names(dictionary, columns, message):
    sample = _sample(columns, [("1.5",)])
    _, use = _both(dictionary, sample, holds_pi=False)
    assert (use.outcome, use.message["en"]) == ("fail", message)


@pytest.mark.parametrize(
    ("part", "whole", "text"),
    [(0, 10, "0%"), (10, 10, "100%"), (1, 3, "33%"), (1, 40, "2.5%"), (1, 20, "5%"), (1, 5000, "<0.1%"), (1, 0, "0%")],
)
def test_percent(part, whole, text):
    assert percent(part, whole) == text
