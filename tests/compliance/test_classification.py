"""Tests for CLS-01 (the level the data suggests) and CLS-02 (core data refused)."""

import pytest

from compliance.classification import check_cls_01, check_cls_02, suggest_level
from compliance.facts import ProductFacts
from compliance.identifiers import make_resident_id
from compliance.pi_scan import ScanReport, scan_rows

ID = make_resident_id("44070319900101001")


def _scan(*cells):
    return scan_rows(["v"], [[c] for c in cells])


@pytest.mark.parametrize(
    ("facts", "scan", "level", "codes"),
    [
        ({}, None, "general", []),
        ({"holds_pi": True, "sector": "commerce", "pi_subjects": 100_000}, None, "general", []),
        ({}, _scan(ID), "important", ["sensitive_pi_found"]),
        ({}, _scan("6222021234567890128"), "important", ["sensitive_pi_found"]),
        ({}, _scan("13812345678"), "general", []),  # a mobile number is PI but not sensitive PI
        ({"sensitive_pi": True}, None, "important", ["sensitive_pi_declared"]),
        ({"field_dictionary": [{"name": "diagnosis", "sensitive": True}]}, None, "important",
         ["sensitive_pi_declared"]),
        ({"sector": "health", "holds_pi": True}, None, "important", ["sector_with_pi"]),
        ({"sector": "finance"}, _scan("13812345678"), "important", ["sector_with_pi"]),
        ({"sector": "health"}, None, "general", []),
        ({"pi_subjects": 100_001}, None, "important", ["pi_volume"]),
        ({"sector": "finance", "holds_pi": True, "sensitive_pi": True, "pi_subjects": 2_000_000}, _scan(ID),
         "important", ["sensitive_pi_found", "sector_with_pi", "pi_volume"]),
    ],
)  # fmt: skip
def test_suggest_level(facts, scan, level, codes):
    suggested, reasons = suggest_level(ProductFacts(**facts), scan)
    assert suggested == level
    assert [r["code"] for r in reasons] == codes
    assert all(set(r["message"]) == {"zh", "en"} for r in reasons)


@pytest.mark.parametrize(
    ("declared", "outcome"),
    [("general", "flag"), ("important", None), ("core", None)],
)
def test_declared_level_below_the_suggestion_is_flagged(declared, outcome):
    facts = ProductFacts(security_level=declared, sector="health", holds_pi=True, pi_subjects=250_000)
    opinion = check_cls_01(facts, None, _scan(ID))
    assert opinion.outcome == outcome
    assert opinion.details["suggested_level"] == "important"
    assert opinion.details["declared_level"] == declared


def test_flag_message_names_the_levels_and_every_reason():
    facts = ProductFacts(security_level="general", sector="health", holds_pi=True, pi_subjects=250_000)
    opinion = check_cls_01(facts, None, _scan(ID))
    assert opinion.message["en"] == (
        "The declared level is general data but the data suggests at least important data under "
        "GB/T 43697-2024: the sample holds sensitive personal information (resident ID numbers); health data "
        "holding personal information; personal information of 250,000 persons, more than 100,000. "
        "A reviewer checks whether it is important data."
    )
    assert opinion.message["zh"].startswith("申报级别为一般数据，但按 GB/T 43697-2024 数据至少应为重要数据：")


def test_general_data_that_suggests_nothing_more_goes_to_the_reviewer():
    opinion = check_cls_01(ProductFacts(security_level="general", sector="energy"), None, ScanReport())
    assert opinion.outcome is None
    assert opinion.message["en"] == "Declared: General data, Energy; a reviewer confirms the grading."


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"security_level": ""}, "No valid security level is declared."),
        ({"security_level": "secret"}, "No valid security level is declared."),
        ({"sector": "mining"}, "No valid sector is declared."),
    ],
)
def test_undeclared_level_or_sector_fails(changes, fragment):
    facts = ProductFacts(**{"security_level": "general", "sector": "energy", **changes})
    opinion = check_cls_01(facts, None, None)
    assert opinion.outcome == "fail" and fragment in opinion.message["en"]


@pytest.mark.parametrize(("level", "outcome"), [("core", "fail"), ("important", "pass"), ("general", "pass")])
def test_cls_02_refuses_core_data(level, outcome):
    assert check_cls_02(ProductFacts(security_level=level), None, None).outcome == outcome
