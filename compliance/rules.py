"""Applicability rules as data (`{"field": …, "eq": …}`, `{"all": […]}`) and their evaluation over facts."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

# A rule is JSON-shaped so that admins can keep checklist templates as versioned data:
#   {"field": NAME, OP: ARGUMENT}  with OP one of eq, ne, in, contains, intersects
#   {"all": [RULE, …]}  {"any": [RULE, …]}  {"not": RULE}
Rule = Mapping[str, Any]

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda value, argument: value == argument,
    "ne": lambda value, argument: value != argument,
    "in": lambda value, argument: value in argument,
    "contains": lambda value, argument: argument in value,
    "intersects": lambda value, argument: not set(value).isdisjoint(argument),
}


class RuleError(ValueError):
    """A rule that does not have one of the shapes above."""


def validate_rule(rule: Rule, fields: Collection[str]) -> None:
    """Raise RuleError unless `rule` is well formed and names only `fields`."""
    if not isinstance(rule, Mapping):
        raise RuleError(f"a rule is a mapping, not {rule!r}")
    if set(rule) in ({"all"}, {"any"}):
        (children,) = rule.values()
        if not isinstance(children, list | tuple) or not children:
            raise RuleError(f"{rule!r}: 'all' and 'any' take a non-empty list of rules")
        for child in children:
            validate_rule(child, fields)
        return
    if set(rule) == {"not"}:
        validate_rule(rule["not"], fields)
        return
    operators = set(rule) - {"field"}
    if "field" not in rule or len(operators) != 1 or not operators <= set(OPERATORS):
        raise RuleError(f"{rule!r}: expected a field and one of {', '.join(OPERATORS)}")
    if rule["field"] not in fields:
        raise RuleError(f"{rule!r}: unknown field {rule['field']!r}")


def rule_holds(rule: Rule, facts: object) -> bool:
    """Whether `rule` holds for `facts`, an object whose attributes are the rule's fields."""
    if "all" in rule:
        return all(rule_holds(child, facts) for child in rule["all"])
    if "any" in rule:
        return any(rule_holds(child, facts) for child in rule["any"])
    if "not" in rule:
        return not rule_holds(rule["not"], facts)
    value = getattr(facts, rule["field"])
    (operator,) = set(rule) - {"field"}
    return OPERATORS[operator](value, rule[operator])
