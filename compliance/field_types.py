"""Inferring a FIELD_TYPES code (integer, decimal, date, datetime, boolean, string) from text values."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

_BOOLEANS = frozenset({"true", "false", "yes", "no", "是", "否"})
# No leading zeros: "0755" or "007" is a code, which an integer column would silently change.
_INTEGER = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})|([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
)


def _is_date(value: str) -> bool:
    m = _DATE.fullmatch(value)
    if not m:
        return False
    year, month, day = (int(g) for g in m.groups() if g is not None)
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _is_datetime(value: str) -> bool:
    if not _DATETIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def infer_value_type(value: str) -> str:
    """The narrowest FIELD_TYPES code that one non-empty cell value fits."""
    v = value.strip()
    if v.lower() in _BOOLEANS:
        return "boolean"
    if _INTEGER.fullmatch(v):
        return "integer"
    if _DECIMAL.fullmatch(v):
        return "decimal"
    if _is_date(v):
        return "date"
    if _is_datetime(v):
        return "datetime"
    return "string"


# Pairs whose mixture still has a common, narrower type than text.
_WIDENING = {frozenset({"integer", "decimal"}): "decimal", frozenset({"date", "datetime"}): "datetime"}


def infer_column_type(values: Iterable[str | None]) -> str | None:
    """The FIELD_TYPES code for a column's values, or None when every value is empty."""
    kinds = {infer_value_type(v) for v in values if v is not None}
    if not kinds:
        return None
    if len(kinds) == 1:
        return kinds.pop()
    return _WIDENING.get(frozenset(kinds), "string")
