"""Tests for PI-04: direct identifiers, quasi-identifiers, k-anonymity and uniqueness on the sample."""

import pytest

from compliance.checklist import evaluate
from compliance.facts import ProductFacts
from compliance.identifiers import make_resident_id
from compliance.pi_scan import scan_rows
from compliance.reidentification import check_pi_04, is_quasi_name, measure_anonymity, quasi_identifiers
from compliance.samples import Sample


def _sample(columns, rows):
    return Sample("csv", list(columns), [list(r) for r in rows])


def _opinion(sample, dictionary=()):
    facts = ProductFacts(deidentified=True, holds_pi=True, field_dictionary=[dict(e) for e in dictionary])
    return check_pi_04(facts, sample, scan_rows(sample.columns, sample.rows))


@pytest.mark.parametrize(
    ("name", "quasi"),
    [
        ("age", True), ("age_group", True), ("birthDate", True), ("gender", True), ("sex", True),
        ("zip_code", True), ("postcode", True), ("region_code", True), ("district", True), ("occupation", True),
        ("ethnicity", True), ("性别", True), ("出生日期", True), ("所在区县", True), ("民族", True),
        ("usage", False), ("page", False), ("amount", False), ("sussex_score", False), ("缴费金额", False),
    ],
)  # fmt: skip
def test_quasi_identifier_names(name, quasi):
    assert is_quasi_name(name) is quasi


def test_dictionary_quasi_flag_overrides_the_name_and_pi_flag_adds_columns():
    sample = _sample(["age", "income_band", "amount", "visits"], [])
    dictionary = [
        {"name": "age", "quasi": False},
        {"name": "income_band", "pi": True},
        {"name": "visits", "quasi": True},
    ]
    facts = ProductFacts(field_dictionary=dictionary)
    assert quasi_identifiers(facts, sample, set()) == ["income_band", "visits"]


@pytest.mark.parametrize(
    ("rows", "k", "unique_rows", "classes"),
    [
        ([("30", "F")] * 5 + [("40", "M")] * 6, 5, 0, 2),
        ([("30", "F")] * 5 + [("40", "M")], 1, 1, 2),
        ([("30", "F"), ("30", None), ("30", None)], 1, 1, 2),  # an empty cell is a value of its own
        ([(str(a), "F") for a in range(10)], 1, 10, 10),
    ],
)
def test_measure_anonymity(rows, k, unique_rows, classes):
    anonymity = measure_anonymity(_sample(["age", "sex"], rows), ["age", "sex"])
    assert (anonymity.k, anonymity.unique_rows, anonymity.classes) == (k, unique_rows, classes)
    assert anonymity.unique_share == unique_rows / len(rows)


def _generalised(groups, size):
    # `groups` equivalence classes of `size` rows each, on age band and region.
    return [
        (f"{20 + 10 * (g % 5)}-{29 + 10 * (g % 5)}", f"44070{g // 5}", f"{i}.5")
        for g in range(groups)
        for i in range(size)
    ]


@pytest.mark.parametrize(
    ("rows", "outcome", "k", "unique_share"),
    [
        (_generalised(4, 5), "pass", 5, 0.0),
        (_generalised(4, 5) + [("90-99", "440709", "1.0")], "fail", 1, 0.0476),
        (_generalised(20, 5)[:-1], "fail", 4, 0.0),  # k = 4, no row unique
        (_generalised(1, 40) + [(f"{a}", "440701", "1") for a in range(3)], "fail", 1, 0.0698),
    ],
)
def test_k_anonymity_and_uniqueness_outcomes(rows, outcome, k, unique_share):
    opinion = _opinion(_sample(["age_band", "region", "amount"], rows))
    assert opinion.outcome == outcome
    assert opinion.details["quasi_identifiers"] == ["age_band", "region"]
    assert opinion.details["k"] == k
    assert opinion.details["unique_share"] == unique_share
    assert opinion.details["rows"] == len(rows)


def test_fail_message_gives_k_and_the_unique_share():
    rows = [(str(a), "F", "440701") for a in range(18)] + [("50", "M", "440702")] * 2
    opinion = _opinion(_sample(["age", "gender", "zip"], rows))
    assert opinion.outcome == "fail"
    assert opinion.message["en"] == (
        "On the quasi-identifiers age, gender, zip, the smallest group of identical rows in the 20-row sample "
        "has 1 row(s): k = 1, below 5. 18 of 20 rows (90%) are unique on age, gender, zip, above 5%."
    )
    assert "k = 1，低于 5" in opinion.message["zh"]
    assert opinion.details["unique_rows"] == 18


def test_pass_message_asks_the_reviewer_to_confirm_the_method():
    opinion = _opinion(_sample(["gender", "amount"], [("F", "1")] * 5 + [("M", "2")] * 5))
    assert opinion.outcome == "pass"
    assert opinion.message["en"] == (
        "On the quasi-identifiers gender, k = 5 and 0% of rows are unique; a reviewer confirms the method."
    )


@pytest.mark.parametrize(
    ("column", "cells", "dictionary", "fragment"),
    [
        (
            "id_no",
            [make_resident_id(f"44070319900101{i:03d}") for i in range(1, 11)],
            [],
            "Column id_no holds resident ID numbers in 10 of 10 rows (100%): a product claimed de-identified "
            "must not carry direct identifiers.",
        ),
        ("姓名", ["张三"] * 10, [], "Column 姓名 is named like a direct identifier"),
        ("member_ref", ["m1"] * 10, [{"name": "member_ref", "direct": True}], "is marked a direct identifier"),
    ],
)
def test_direct_identifiers_in_a_deidentified_product_fail(column, cells, dictionary, fragment):
    sample = _sample([column, "gender"], [(c, "F") for c in cells])
    opinion = _opinion(sample, dictionary)
    assert opinion.outcome == "fail"
    assert fragment in opinion.message["en"]
    assert column in opinion.details["direct_identifiers"]
    assert column not in opinion.details["quasi_identifiers"]


def test_a_column_named_name_can_be_cleared_in_the_dictionary():
    sample = _sample(["name", "gender"], [("widget", "F")] * 5)
    opinion = _opinion(sample, [{"name": "name", "direct": False}])
    assert opinion.outcome == "pass"
    assert opinion.details["direct_identifiers"] == {}


def test_no_quasi_identifier_leaves_the_decision_to_the_reviewer():
    opinion = _opinion(_sample(["amount"], [("1",), ("2",)]))
    assert opinion.outcome is None
    assert opinion.details == {"direct_identifiers": {}, "quasi_identifiers": []}
    assert check_pi_04(ProductFacts(deidentified=True), None, None).outcome is None


def test_pi_04_is_evaluated_only_for_a_product_claiming_deidentification_and_never_blocks():
    sample = _sample(["age", "gender"], [(str(a), "F") for a in range(10)])
    results = {r.code: r for r in evaluate(ProductFacts(deidentified=True), sample=sample, scan=None)}
    assert (results["PI-04"].outcome, results["PI-04"].blocking) == ("fail", False)
    results = {r.code: r for r in evaluate(ProductFacts(deidentified=False), sample=sample, scan=None)}
    assert (results["PI-04"].applicable, results["PI-04"].outcome) == (False, None)
