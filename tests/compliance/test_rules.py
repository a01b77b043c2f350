"""Tests for applicability rules as data."""

import dataclasses

import pytest

from compliance.facts import ProductFacts
from compliance.rules import RuleError, rule_holds, validate_rule


@pytest.mark.parametrize(
    ("rule", "holds"),
    [
        ({"field": "sector", "eq": "finance"}, True),
        ({"field": "sector", "ne": "finance"}, False),
        ({"field": "sector", "in": ["health", "finance"]}, True),
        ({"field": "delivery_modes", "contains": "api"}, True),
        ({"field": "delivery_modes", "contains": "file"}, False),
        ({"field": "scenarios", "intersects": ["anti_fraud", "research"]}, True),
        ({"field": "scenarios", "intersects": ["credit_support"]}, False),
        ({"all": [{"field": "holds_pi", "eq": True}, {"field": "sector", "eq": "finance"}]}, False),
        ({"any": [{"field": "holds_pi", "eq": True}, {"field": "sector", "eq": "finance"}]}, True),
        ({"not": {"field": "holds_pi", "eq": True}}, True),
    ],
)
def test_rule_holds(rule, holds):
    validate_rule(rule, {f.name for f in dataclasses.fields(ProductFacts)})
    facts = ProductFacts(sector="finance", delivery_modes=["api"], scenarios=["anti_fraud"])
    assert rule_holds(rule, facts) is holds


@pytest.mark.parametrize(
    "rule",
    [
        "sector == finance",
        {"all": []},
        {"field": "sector"},
        {"field": "sector", "eq": "a", "ne": "b"},
        {"field": "sector", "matches": "fin"},
        {"eq": "finance"},
        {"any": [{"field": "nope", "eq": 1}]},
    ],
)
def test_validate_rule_refuses(rule):
    with pytest.raises(RuleError):
        validate_rule(rule, {"sector"})
