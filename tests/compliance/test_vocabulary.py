"""Tests for the controlled vocabularies and their labels."""

import pytest

from compliance import vocabulary as v

ALL = [
    v.SECTORS,
    v.PRODUCT_TYPES,
    v.SCENARIOS,
    v.SOURCE_TYPES,
    v.DELIVERY_MODES,
    v.SECURITY_LEVELS,
    v.PRICE_MODES,
    v.RIGHTS,
    v.UPDATE_FREQUENCIES,
    v.FIELD_TYPES,
    v.PI_TYPES,
]


@pytest.mark.parametrize("vocab", ALL)
def test_every_code_has_both_labels(vocab):
    for code, labels in vocab.items():
        assert set(labels) == {"zh", "en"}, code
        assert labels["zh"] and labels["en"], code


def test_codes_and_order():
    assert list(v.SECURITY_LEVELS) == ["general", "important", "core"]
    assert list(v.FIELD_TYPES) == ["string", "integer", "decimal", "date", "datetime", "boolean"]
    assert list(v.SECTORS)[0] == "finance" and list(v.SECTORS)[-1] == "other"
    assert len(v.SECTORS) == 14 and len(v.SCENARIOS) == 12


def test_credit_scenarios_are_scenarios():
    assert v.CREDIT_SCENARIOS == {"credit_support", "post_loan_warning", "supply_chain_finance"}
    assert v.CREDIT_SCENARIOS <= set(v.SCENARIOS)


@pytest.mark.parametrize(
    ("vocab", "code", "lang", "expected"),
    [
        (v.SECTORS, "health", "zh", "医疗健康"),
        (v.SECTORS, "health", "en", "Health"),
        (v.SCENARIOS, "credit_support", "zh", "授信辅助"),
        (v.DELIVERY_MODES, "aggregate", "zh", "可用不可见（仅聚合）"),
        (v.PRICE_MODES, "negotiable", "zh", "面议"),
        (v.SECTORS, "space", "zh", "space"),  # unknown codes show as themselves
    ],
)
def test_label(vocab, code, lang, expected):
    assert v.label(vocab, code, lang) == expected
