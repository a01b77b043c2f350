"""Tests for XB-01: the 2024 cross-border thresholds as a rule table."""

import pytest

from compliance.checklist import evaluate
from compliance.crossborder import TRANSFER_RULES, check_xb_01, required_mechanism
from compliance.facts import ProductFacts
from compliance.identifiers import make_resident_id
from compliance.pi_scan import scan_rows


@pytest.mark.parametrize(
    ("level", "holds_pi", "sensitive", "subjects", "rule", "mechanism"),
    [
        ("core", False, False, None, "core_data", "prohibited"),
        ("important", False, False, None, "important_data", "security_assessment"),
        ("important", True, False, 10, "important_data", "security_assessment"),
        ("general", True, True, 10_000, "sensitive_10k", "security_assessment"),
        ("general", True, True, 9_999, "sensitive_under_10k", "standard_contract_or_certification"),
        ("general", True, True, 1, "sensitive_under_10k", "standard_contract_or_certification"),
        ("general", True, False, 1_000_000, "pi_1m", "security_assessment"),
        ("general", True, False, 999_999, "pi_100k_1m", "standard_contract_or_certification"),
        ("general", True, False, 100_000, "pi_100k_1m", "standard_contract_or_certification"),
        ("general", True, False, 99_999, "pi_under_100k", "exempt"),
        ("general", True, False, 1, "pi_under_100k", "exempt"),
        ("general", False, False, None, "no_pi", "exempt"),
        ("general", True, False, None, None, None),  # PI held, persons undeclared
        ("general", True, True, None, None, None),
    ],
)
def test_rule_table(level, holds_pi, sensitive, subjects, rule, mechanism):
    found = required_mechanism(level, holds_pi, sensitive, subjects)
    assert ((found.code, found.mechanism) if found else (None, None)) == (rule, mechanism)


def test_every_row_is_reachable_and_cites_its_article():
    reached = {
        required_mechanism(lvl, pi, s, n).code
        for lvl in ("general", "important", "core")
        for pi in (True, False)
        for s in (True, False)
        for n in (None, 1, 9_999, 10_000, 99_999, 100_000, 999_999, 1_000_000)
        if required_mechanism(lvl, pi, s, n)
    }
    assert reached == {r.code for r in TRANSFER_RULES}
    assert all(set(r.basis) == {"zh", "en"} for r in TRANSFER_RULES)


@pytest.mark.parametrize(
    ("facts", "outcome", "fragment"),
    [
        (
            {"holds_pi": True, "pi_subjects": 2_000_000},
            "flag",
            "Delivery abroad of personal information of 2,000,000 persons a year (counted from 1 January) requires "
            "a data-export security assessment declared to the Cyberspace Administration of China "
            "(Provisions art. 7(2)).",
        ),
        (
            {"holds_pi": True, "pi_subjects": 250_000},
            "flag",
            "requires a PI export standard contract filed with the provincial cyberspace office, or PI protection "
            "certification (Provisions art. 8). A reviewer confirms that the provider is not a critical "
            "information infrastructure operator.",
        ),
        (
            {"holds_pi": True, "sensitive_pi": True, "pi_subjects": 20_000},
            "flag",
            "sensitive personal information of 20,000 persons a year",
        ),
        ({"holds_pi": True, "pi_subjects": 5_000}, "pass", "no declaration, contract or certification"),
        ({"security_level": "important"}, "flag", "Delivery abroad of important data requires a data-export"),
        ({"security_level": "core"}, "fail", "Delivery abroad of core data is not permitted (DSL art. 21"),
        ({"holds_pi": True}, "fail", "Declare how many persons' personal information may go abroad"),
        ({"holds_pi": True, "pi_subjects": 0}, "fail", "Declare how many persons"),
    ],
)
def test_check_xb_01(facts, outcome, fragment):
    opinion = check_xb_01(ProductFacts(**{"security_level": "general", **facts}), None, None)
    assert opinion.outcome == outcome
    assert fragment in opinion.message["en"]
    assert opinion.details["counted_over"] == "calendar_year"


def test_scan_findings_count_as_held_sensitive_pi():
    ids = [[make_resident_id(f"44070319900101{i:03d}")] for i in range(1, 4)]
    scan = scan_rows(["id_no"], ids)
    # Declared without PI, but the sample holds resident IDs: the sensitive thresholds apply.
    opinion = check_xb_01(ProductFacts(security_level="general", pi_subjects=50_000), None, scan)
    assert (opinion.outcome, opinion.details["rule"]) == ("flag", "sensitive_10k")
    assert opinion.details["sensitive_pi"] is True and opinion.details["mechanism"] == "security_assessment"


def test_xb_01_applies_only_when_delivery_abroad_is_allowed():
    facts = ProductFacts(security_level="general", holds_pi=True, pi_subjects=300_000, cross_border_allowed=True)
    result = {r.code: r for r in evaluate(facts, sample=None, scan=None)}["XB-01"]
    assert (result.outcome, result.blocking) == ("flag", False)
    assert result.details["mechanism"] == "standard_contract_or_certification"
    facts.cross_border_allowed = False
    result = {r.code: r for r in evaluate(facts, sample=None, scan=None)}["XB-01"]
    assert result.applicable is False
