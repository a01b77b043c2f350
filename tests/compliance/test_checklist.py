"""Tests for the checklist template, its applicability rules and the automatic evaluation."""

import dataclasses
import json
import re

import pytest

from compliance.checklist import (
    DEFAULT_TEMPLATE,
    ChecklistItem,
    ItemResult,
    ProductFacts,
    Template,
    blocking_failures,
    evaluate,
    is_applicable,
)
from compliance.identifiers import make_resident_id
from compliance.pi_scan import ScanReport
from compliance.samples import read_sample

RESIDENT_ID = "11010519491231002X"
DOMAIN_ITEMS = {  # code: kind, from DOMAIN.md §4
    "ENT-01": "mixed", "ENT-02": "mixed", "ENT-03": "human",
    "SRC-01": "mixed", "SRC-02": "auto", "SRC-03": "human", "SRC-04": "human", "SRC-05": "mixed",
    "SRC-06": "mixed",
    "PI-01": "auto", "PI-02": "mixed", "PI-03": "mixed", "PI-04": "mixed", "PI-05": "human",
    "CLS-01": "mixed", "CLS-02": "auto", "CLS-03": "mixed", "CLS-04": "human",
    "XB-01": "mixed",
    "USE-01": "human", "USE-02": "auto", "USE-03": "auto",
    "QLT-01": "mixed",
    "LEG-01": "human", "LEG-02": "human", "LEG-03": "mixed",
    "FIN-01": "human", "SEC-01": "human", "PRC-01": "mixed",
}  # fmt: skip
DICTIONARY = [
    {"name": "id_no", "type": "string", "description": "身份证号", "pi": True, "sensitive": True},
    {"name": "mobile", "type": "string", "description": "手机号", "pi": True, "sensitive": False},
    {"name": "paid", "type": "decimal", "description": "缴费金额", "pi": False, "sensitive": False},
    {"name": "month", "type": "date", "description": "缴费月份", "pi": False, "sensitive": False},
]


def _sample():
    rows = [
        f"{make_resident_id(f'44070319900101{i:03d}')},1381234{i:04d},{100 + i}.50,2024-{i % 12 + 1:02d}-01"
        for i in range(1, 11)
    ]
    return read_sample(("id_no,mobile,paid,month\n" + "\n".join(rows) + "\n").encode())


def _facts(**changes):
    facts = ProductFacts(
        name="参保缴费数据",
        provider_uscc="91350100M000100Y43",
        source_type="public_data",
        source_description="社保经办系统授权运营",
        holds_pi=True,
        security_level="important",
        sector="social_security",
        scenarios=["credit_support"],
        delivery_modes=["api"],
        field_dictionary=[dict(entry) for entry in DICTIONARY],
        has_commitment=True,
        description="参保人缴费记录",
        price_mode="per_call",
        api_endpoint="https://api.example.cn/v1",
    )
    return dataclasses.replace(facts, **changes)


_OWN_SAMPLE = object()


def _results(facts=None, sample=_OWN_SAMPLE, scan=None):
    """Results by code; by default for the complete product and its matching sample."""
    sample = _sample() if sample is _OWN_SAMPLE else sample
    return {r.code: r for r in evaluate(facts or _facts(), sample=sample, scan=scan)}


# ---------------------------------------------------------------- template


def test_default_template_holds_every_domain_item_in_order():
    assert DEFAULT_TEMPLATE.version == "2026.1"
    assert DEFAULT_TEMPLATE.codes == tuple(DOMAIN_ITEMS)
    assert {i.code: i.kind for i in DEFAULT_TEMPLATE.items} == DOMAIN_ITEMS


def test_blocking_items_are_the_automatic_stops():
    assert {i.code for i in DEFAULT_TEMPLATE.items if i.blocking} == {"SRC-02", "PI-01", "CLS-02", "USE-02"}


@pytest.mark.parametrize("item", DEFAULT_TEMPLATE.items, ids=lambda i: i.code)
def test_items_are_bilingual(item):
    for text in (item.title, item.evidence, item.when_text, item.basis):
        assert set(text) == {"zh", "en"} and all(text.values())


@pytest.mark.parametrize("item", DEFAULT_TEMPLATE.items, ids=lambda i: i.code)
def test_chinese_basis_cites_in_chinese(item):
    # The Chinese citation names laws and articles the Chinese way (《数据安全法》第三十三条), not "DSL art. 33".
    zh = item.basis["zh"]
    assert re.search(r"[\u4e00-\u9fff]", zh)
    assert not re.search(r"\b(DSL|PIPL|SDE|GZDE|PBoC|art\.|ch\.|annex)\b", zh), zh


def test_basis_cites_the_articles_in_both_languages():
    assert DEFAULT_TEMPLATE.item("SRC-01").basis == {"zh": "《数据安全法》第三十三条", "en": "DSL art. 33"}
    pi_scan = DEFAULT_TEMPLATE.item("PI-01").basis
    assert "《个人信息保护法》第四条" in pi_scan["zh"] and "GB 11643-1999《公民身份号码》" in pi_scan["zh"]
    assert "《征信业务管理办法》（中国人民银行，2021）" in DEFAULT_TEMPLATE.item("FIN-01").basis["zh"]


def test_item_lookup():
    assert DEFAULT_TEMPLATE.item("PI-01").title["en"] == "Sample scanned for personal information"
    with pytest.raises(KeyError):
        DEFAULT_TEMPLATE.item("XX-99")


def _one(code="A-01", kind="auto", when=None):
    return ChecklistItem(code, {"zh": "甲", "en": "A"}, {"zh": "乙", "en": "B"}, {"zh": "丙", "en": "C"}, kind, when)


@pytest.mark.parametrize(
    "items",
    [
        (_one(), _one()),
        (_one(kind="robot"),),
        (_one(when={"field": "colour", "eq": "red"}),),
        (_one(when={"field": "sector", "like": "fin%"}),),
    ],
)
def test_template_refuses_bad_items(items):
    with pytest.raises(ValueError):
        Template("test", items)


# Each conditional item: facts under which it applies and facts under which it does not.
APPLICABILITY = [
    ("SRC-03", {"source_type": "licensed"}, {"source_type": "self_generated"}),
    ("SRC-04", {"source_type": "public_collection"}, {"source_type": "licensed"}),
    ("SRC-05", {"source_type": "public_data"}, {"source_type": "self_generated"}),
    ("PI-02", {"holds_pi": True}, {"holds_pi": False}),
    ("PI-03", {"holds_pi": True}, {"holds_pi": False}),
    ("PI-04", {"deidentified": True}, {"deidentified": False}),
    ("PI-05", {"holds_pi": True}, {"holds_pi": False}),
    ("CLS-04", {"security_level": "important"}, {"security_level": "general"}),
    ("XB-01", {"cross_border_allowed": True}, {"cross_border_allowed": False}),
    ("USE-03", {"delivery_modes": ["file", "api"]}, {"delivery_modes": ["file", "aggregate"]}),
    ("FIN-01", {"scenarios": ["anti_fraud", "post_loan_warning"]}, {"scenarios": ["anti_fraud"]}),
    ("FIN-01", {"scenarios": ["supply_chain_finance"]}, {"scenarios": []}),
    ("SEC-01", {"sector": "health"}, {"sector": "energy"}),
    ("SEC-01", {"sector": "finance"}, {"sector": ""}),
]


@pytest.mark.parametrize(("code", "applies", "does_not"), APPLICABILITY)
def test_applicability(code, applies, does_not):
    item = DEFAULT_TEMPLATE.item(code)
    assert is_applicable(item, ProductFacts(**applies))
    assert not is_applicable(item, ProductFacts(**does_not))


def test_every_conditional_item_is_covered_and_the_rest_always_apply():
    conditional = {i.code for i in DEFAULT_TEMPLATE.items if i.when is not None}
    assert conditional == {code for code, _, _ in APPLICABILITY}
    for item in DEFAULT_TEMPLATE.items:
        if item.when is None:
            assert is_applicable(item, ProductFacts())
            assert item.when_text["en"] == "always"


# ---------------------------------------------------------------- evaluate


def test_a_complete_product_has_no_blocking_failure():
    results = evaluate(_facts(), sample=_sample(), scan=None)
    assert [r.code for r in results] == list(DOMAIN_ITEMS)
    assert blocking_failures(results) == []
    outcomes = {r.code: r.outcome for r in results}
    assert outcomes["ENT-01"] == outcomes["SRC-02"] == outcomes["PI-01"] == outcomes["USE-02"] == "pass"
    assert outcomes["CLS-02"] == outcomes["QLT-01"] == "pass"
    assert outcomes["USE-03"] is None and outcomes["LEG-01"] is None
    json.dumps([dataclasses.asdict(r) for r in results])  # details are JSON-serialisable


def test_not_applicable_items_say_why():
    result = _results(_facts(holds_pi=False, sector="energy"), sample=None)["SEC-01"]
    assert (result.applicable, result.outcome, result.blocking) == (False, None, False)
    assert result.message["en"] == "Not applicable: applies only when the sector is health or finance."


def test_missing_sample_blocks():
    results = _results(sample=None)
    for code in ("PI-01", "USE-02"):
        assert (results[code].outcome, results[code].blocking) == ("fail", True)
    assert "Upload a sample" in results["PI-01"].message["en"]
    assert results["QLT-01"].outcome is None


def test_core_data_blocks():
    result = _results(_facts(security_level="core"))["CLS-02"]
    assert (result.outcome, result.blocking) == ("fail", True)
    assert [
        r.code
        for r in blocking_failures(evaluate(_facts(security_level="core"), sample=_sample(), scan=None))
    ] == ["CLS-02"]


def test_missing_commitment_blocks():
    result = _results(_facts(has_commitment=False))["SRC-02"]
    assert (result.outcome, result.blocking) == ("fail", True)


def test_unmarked_pi_blocks_and_names_column_type_and_rows():
    dictionary = [dict(e, pi=False, sensitive=False) if e["name"] == "id_no" else e for e in DICTIONARY]
    results = _results(_facts(field_dictionary=dictionary))
    pi = results["PI-01"]
    assert (pi.outcome, pi.blocking) == ("fail", True)
    assert pi.message["en"] == (
        "Column id_no holds resident ID numbers in 10 of 10 rows (100%) "
        "but the field dictionary does not mark it personal."
    )
    assert pi.message["zh"] == (
        "字段 id_no 在 10 行中有 10 行（100%）含有居民身份证号码，但字段字典未将其标记为个人信息。"
    )
    assert pi.details["counts"] == {"cn_resident_id": 10, "cn_mobile": 10}
    use = results["USE-02"]
    assert (use.outcome, use.blocking) == ("fail", True)
    # The same problem in the same words under both items, so the broker reads it once.
    assert use.message["en"] == pi.message["en"] and use.message["zh"] == pi.message["zh"]
    assert use.details["unmarked_pi_columns"] == {"id_no": {"cn_resident_id": 10}}
    assert results["PI-02"].outcome == "flag"
    assert "does not mark it sensitive" in results["PI-02"].message["en"]


def test_pi_in_a_product_declared_without_pi_blocks():
    result = _results(_facts(holds_pi=False))["PI-01"]
    assert (result.outcome, result.blocking) == ("fail", True)
    assert "declares that it holds none" in result.message["en"]


def test_sample_without_pi_passes_pi_01():
    sample = read_sample(b"region,amount\n440703,1.5\n440704,2\n")
    dictionary = [{"name": "region", "type": "string", "pi": False}, {"name": "amount", "type": "decimal"}]
    results = _results(_facts(field_dictionary=dictionary, holds_pi=False), sample=sample)
    assert results["PI-01"].outcome == "pass"
    assert results["PI-01"].message["en"] == "No personal information detected in 2 rows."
    assert results["USE-02"].outcome == "pass"


def test_marked_pi_passes_with_counts():
    result = _results()["PI-01"]
    assert result.outcome == "pass"
    assert result.details["columns"] == {"id_no": {"cn_resident_id": 10}, "mobile": {"cn_mobile": 10}}


def test_evaluate_scans_the_sample_unless_given_a_scan():
    assert _results()["PI-01"].details["counts"] == {"cn_resident_id": 10, "cn_mobile": 10}
    given = _results(scan=ScanReport(rows_scanned=10))["PI-01"]
    assert given.message["en"] == "No personal information detected in 10 rows."


@pytest.mark.parametrize(
    ("dictionary_change", "fragment"),
    [
        ({"drop": "month"}, "The field dictionary does not describe column month."),
        (
            {"add": {"name": "gender", "type": "string"}},
            "The sample has no column gender from the field dictionary.",
        ),
        ({"add": {"name": "paid", "type": "decimal"}}, "The field dictionary lists paid more than once."),
        (
            {"retype": ("paid", "integer")},
            "Column paid is declared integer but 10 of its 10 filled rows (100%) hold decimal values.",
        ),
        (
            {"retype": ("month", "integer")},
            "Column month is declared integer but 10 of its 10 filled rows (100%) hold date values.",
        ),
        ({"retype": ("paid", "money")}, "Column paid declares unknown type 'money'."),
        ({"clear": True}, "The field dictionary is empty."),
    ],
)
def test_schema_and_sample_disagree(dictionary_change, fragment):
    dictionary = [dict(e) for e in DICTIONARY]
    if "drop" in dictionary_change:
        dictionary = [e for e in dictionary if e["name"] != dictionary_change["drop"]]
    if "add" in dictionary_change:
        dictionary.append(dictionary_change["add"])
    if "retype" in dictionary_change:
        name, type_ = dictionary_change["retype"]
        dictionary = [dict(e, type=type_) if e["name"] == name else e for e in dictionary]
    if "clear" in dictionary_change:
        dictionary = []
    result = _results(_facts(field_dictionary=dictionary))["USE-02"]
    assert (result.outcome, result.blocking) == ("fail", True)
    assert fragment in result.message["en"]


@pytest.mark.parametrize(
    ("declared", "values", "compatible"),
    [
        ("string", ["1", "x", "2024-01-01"], True),
        ("integer", ["1", "2"], True),
        ("integer", ["1", "2.5"], False),
        ("integer", ["1", "abc"], False),
        ("decimal", ["1", "2"], True),
        ("decimal", ["1.5", "2"], True),
        ("date", ["2024-01-01"], True),
        ("date", ["2024-01-01 10:00"], False),
        ("datetime", ["2024-01-01", "2024-01-01 10:00"], True),
        ("boolean", ["true", "false"], True),
        ("boolean", ["1", "0"], False),
        ("integer", ["", ""], True),  # an all-empty column contradicts nothing
    ],
)
def test_declared_type_against_sample(declared, values, compatible):
    sample = read_sample(("v\n" + "\n".join(f'"{v}"' for v in values) + "\n").encode())
    facts = _facts(field_dictionary=[{"name": "v", "type": declared, "pi": False}], holds_pi=False)
    result = _results(facts, sample=sample)["USE-02"]
    assert (result.outcome == "pass") is compatible


@pytest.mark.parametrize(
    ("uscc", "outcome"),
    [("91350100M000100Y43", "pass"), ("91350100M000100Y44", "fail"), ("", "fail")],
)
def test_ent_01(uscc, outcome):
    result = _results(_facts(provider_uscc=uscc))["ENT-01"]
    assert (result.outcome, result.blocking) == (outcome, False)


@pytest.mark.parametrize(
    ("changes", "outcome", "fragment"),
    [
        (
            {"security_level": "", "sector": ""},
            "fail",
            "No valid security level is declared. No valid sector",
        ),
        ({"sector": "mining"}, "fail", "No valid sector is declared."),
        ({"security_level": "general"}, "flag", "sensitive personal information (resident ID numbers)"),
        ({}, None, "Declared: Important data, Social security"),
    ],
)
def test_cls_01(changes, outcome, fragment):
    result = _results(_facts(**changes))["CLS-01"]
    assert (result.outcome, result.blocking) == (outcome, False)
    assert fragment in result.message["en"]


@pytest.mark.parametrize(
    ("changes", "outcome"),
    [
        ({}, None),
        ({"source_description": "  "}, "flag"),
        ({"source_type": ""}, "flag"),
    ],
)
def test_src_01(changes, outcome):
    assert _results(_facts(**changes))["SRC-01"].outcome == outcome


@pytest.mark.parametrize(("price_mode", "outcome"), [("per_call", None), ("", "flag"), ("barter", "flag")])
def test_prc_01(price_mode, outcome):
    assert _results(_facts(price_mode=price_mode))["PRC-01"].outcome == outcome


def test_qlt_01_measures_nulls_and_duplicates():
    sample = read_sample(b"a,b\n1,\n1,\n2,\n3,x\n")
    facts = _facts(field_dictionary=[{"name": "a", "type": "integer"}, {"name": "b", "type": "string"}])
    result = _results(facts, sample=sample)["QLT-01"]
    assert result.outcome == "flag"
    assert {k: result.details[k] for k in ("rows", "null_rates", "duplicate_rows", "duplicate_share")} == {
        "rows": 4, "null_rates": {"a": 0.0, "b": 0.75}, "duplicate_rows": 1, "duplicate_share": 0.25,
    }
    assert result.message["en"] == "Column b is empty in 75% of the rows. 1 of 4 rows (25%) repeat an earlier row."


def test_qlt_01_passes_a_clean_sample():
    result = _results()["QLT-01"]
    assert result.outcome == "pass"
    assert result.details["duplicate_rows"] == 0


def test_use_03_without_a_check_result_is_not_checked_yet():
    result = _results()["USE-03"]
    assert (result.applicable, result.outcome) == (True, None)
    assert result.message["en"] == "The API endpoint https://api.example.cn/v1 has not been checked yet."
    assert result.details == {"api_endpoint": "https://api.example.cn/v1", "api_check": None}


def test_items_without_a_check_go_to_the_reviewer():
    template = Template("custom", (_one("NEW-01", kind="mixed"), _one("SRC-02", kind="auto")))
    results = evaluate(ProductFacts(), sample=None, scan=None, template=template)
    assert [(r.code, r.outcome, r.blocking) for r in results] == [
        ("NEW-01", None, False),
        ("SRC-02", "fail", False),
    ]


def test_blocking_failures_filters_results():
    fail = ItemResult("A", True, "fail", True, {"zh": "", "en": ""})
    soft = ItemResult("B", True, "fail", False, {"zh": "", "en": ""})
    assert blocking_failures([fail, soft]) == [fail]


def test_product_facts_from_mapping_ignores_other_keys():
    facts = ProductFacts.from_mapping({"sector": "health", "csrf_token": "x", "holds_pi": True})
    assert (facts.sector, facts.holds_pi) == ("health", True)


def test_product_facts_treat_none_as_undeclared():
    facts = ProductFacts(provider_uscc=None, scenarios=None, holds_pi=None, field_dictionary=None)
    assert (facts.provider_uscc, facts.scenarios, facts.holds_pi) == ("", [], False)
    assert facts.field_dictionary == []
    results = {r.code: r for r in evaluate(facts, sample=None, scan=None)}
    assert results["ENT-01"].message["en"] == "No provider USCC is given."
