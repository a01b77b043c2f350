"""The contract as data: exact money arithmetic, both languages' texts, the hash over the exact text, ODRL."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance import contracts
from compliance.contracts import Party, Terms

TERMS = Terms(
    number="JMDE-C-2026-000007",
    provider=Party("江门市电力数据服务有限公司", "Jiangmen Power Data", "91440700MA4WJ6P81X"),
    buyer=Party("江门农商银行", "Jiangmen Rural Commercial Bank", "91440700MA52RC8B6X"),
    exchange=Party("江门数据交易服务基地", "Jiangmen Data Exchange Service Base", ""), product_id=3,
    product_name="电力看信贷", product_name_en="Power for credit", version_number=1,
    certificate_number="JMDE-2026-P-000001", data_categories=("企业名称", "月用电量"), rights=("processing",),
    scenario="credit_support", purpose="授信辅助", legal_basis="not_personal", delivery_modes=("api",),
    delivery_region="domestic", term_months=12, pricing_mode="subscription", billing_period="month",
    price_minor=100_050, amount_minor=1_200_600, currency="CNY", fee_bps=250, fee_minor=30_015,
    expected_volume="3,000", responsible_person="谭家豪")


@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=0, max_value=10_000))
def test_the_fee_is_the_exact_amount_times_the_rate_rounded_half_up(amount, bps):
    exact = (Decimal(amount) * Decimal(bps) / Decimal(10_000)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert contracts.fee_minor(amount, bps) == int(exact)
    assert 0 <= contracts.fee_minor(amount, bps) <= amount


@pytest.mark.parametrize(("amount", "bps", "fee"), [(1_234_550, 250, 30_864), (20, 250, 1), (19, 250, 0),
                                                    (0, 250, 0), (12_000_000, 250, 300_000)])
def test_fee_examples(amount, bps, fee):
    assert contracts.fee_minor(amount, bps) == fee


def test_negative_money_is_refused():
    with pytest.raises(ValueError):
        contracts.fee_minor(-1, 250)


@pytest.mark.parametrize(("mode", "price", "period", "months", "amount"), [
    ("free", None, "", 12, 0), ("per_call", 200, "", 12, 0), ("one_off", 450_000, "", 6, 450_000),
    ("subscription", 100_050, "month", 12, 1_200_600), ("subscription", 3_600_000, "year", 12, 3_600_000),
    ("subscription", 3_600_000, "year", 13, 7_200_000),  # a started year is billed
])
def test_what_the_buyer_pays_for_the_term(mode, price, period, months, amount):
    assert contracts.contract_amount(mode, price, period, months) == amount


def test_the_document_holds_both_languages_every_clause_and_the_policy():
    policy = contracts.odrl_policy(TERMS, "https://exchange.example/")
    text = contracts.document(TERMS, policy)
    for title_zh, title_en, _zh, _en in contracts.CLAUSES:
        assert title_zh in text and title_en in text
    assert len(contracts.CLAUSES) == 12
    assert "12,006.00 CNY" in text and "1,000.50 CNY" in text and "2.5%" in text
    assert contracts.canonical_json(policy) in text
    assert json.loads(contracts.canonical_json(policy)) == policy


def test_any_change_of_terms_changes_the_hash():
    policy = contracts.odrl_policy(TERMS, "https://exchange.example/")
    digest = contracts.document_hash(contracts.document(TERMS, policy))
    changed = replace(TERMS, term_months=11)
    policy = contracts.odrl_policy(changed, "https://exchange.example/")
    assert contracts.document_hash(contracts.document(changed, policy)) != digest
    assert contracts.terms_from_dict(contracts.terms_dict(TERMS)) == TERMS


def test_the_odrl_policy_locks_purpose_term_region_and_forbids_onward_transfer():
    policy = contracts.odrl_policy(TERMS, "https://exchange.example")
    permission = policy["permission"][0]
    operands = {c["leftOperand"]: c["rightOperand"] for c in permission["constraint"]}
    assert operands["purpose"] == "credit_support" and operands["spatial"] == "CN"
    assert operands["elapsedTime"]["@value"] == "P12M"
    assert {"distribute", "transfer", "sell"} <= {p["action"] for p in policy["prohibition"]}
    pay = next(d for d in permission["duty"] if d["action"] == "compensate")
    assert pay["constraint"][0]["rightOperand"]["@value"] == "12006.00"

