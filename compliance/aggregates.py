"""Aggregate-only queries with a minimum group size (k): count, sum, avg, min, max over filtered, grouped rows.

Nothing row-level ever leaves `run`: it returns group keys and one aggregate per group, and only for groups
of at least k contributing rows; smaller groups are dropped and only their number is told. A filter set that
leaves fewer than k rows overall returns no group at all. A threshold alone does not stop differencing
(two queries whose difference isolates one person); see the README.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

METRICS = ("count", "sum", "avg", "min", "max")
OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge", "in")
MAX_GROUP_BY = 3
MAX_FILTERS = 10
MAX_IN_VALUES = 100


class QueryError(ValueError):
    """The query is not allowed: `field` names the part at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Filter:
    column: str
    op: str
    value: object


@dataclass(frozen=True)
class Query:
    metric: str
    column: str | None = None
    group_by: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()


@dataclass(frozen=True)
class Columns:
    """What the data's dictionary allows: groupable/filterable columns, and which of them are numeric."""

    allowed: frozenset[str]
    numeric: frozenset[str]
    forbidden: frozenset[str] = frozenset()  # personal-information columns: named in errors as refused


@dataclass
class Group:
    key: dict[str, str | None]
    count: int
    value: Decimal | int | None


@dataclass
class Result:
    groups: list[Group] = field(default_factory=list)
    suppressed: int = 0  # groups dropped for having fewer than k rows (their keys are not told)


def number(value: object) -> Decimal | None:
    """A cell as a finite Decimal, or None when it is empty or not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        parsed = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return parsed if parsed.is_finite() else None


def validate(query: Query, columns: Columns) -> None:
    """Raise QueryError unless the query only touches allowed columns in allowed ways."""

    def check_column(name: str, where: str) -> None:
        if name in columns.forbidden:
            raise QueryError(where, f"Column {name!r} holds personal information: it cannot be used here.")
        if name not in columns.allowed:
            raise QueryError(where, f"Column {name!r} is not an allowed column.")

    if query.metric not in METRICS:
        raise QueryError("metric", f"Metric must be one of {', '.join(METRICS)}.")
    if query.metric != "count":
        if not query.column:
            raise QueryError("column", f"The {query.metric} metric needs a numeric column.")
        check_column(query.column, "column")
        if query.column not in columns.numeric:
            raise QueryError("column", f"Column {query.column!r} is not numeric.")
    elif query.column:
        check_column(query.column, "column")
    if len(query.group_by) > MAX_GROUP_BY:
        raise QueryError("group_by", f"Group by at most {MAX_GROUP_BY} columns.")
    if len(set(query.group_by)) != len(query.group_by):
        raise QueryError("group_by", "A column is named twice.")
    for name in query.group_by:
        check_column(name, "group_by")
    if len(query.filters) > MAX_FILTERS:
        raise QueryError("filters", f"At most {MAX_FILTERS} filters.")
    for item in query.filters:
        check_column(item.column, "filters")
        if item.op not in OPERATORS:
            raise QueryError("filters", f"Operator must be one of {', '.join(OPERATORS)}.")
        if item.op == "in":
            if not isinstance(item.value, list | tuple) or not 1 <= len(item.value) <= MAX_IN_VALUES:
                raise QueryError("filters", f"'in' takes a list of 1 to {MAX_IN_VALUES} values.")
        elif isinstance(item.value, list | tuple | dict):
            raise QueryError("filters", f"{item.op!r} takes a single value.")


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _compare(cell: object, item: Filter, numeric: bool) -> bool:
    """Rows whose cell is empty match no filter but `ne` of a value (an empty cell is not that value)."""
    if item.op == "in":
        return any(_compare(cell, Filter(item.column, "eq", v), numeric) for v in item.value)  # type: ignore[union-attr]
    left: object
    right: object
    if numeric:
        left, right = number(cell), number(item.value)
    else:
        left, right = _text(cell), _text(item.value)
    if item.op == "ne":
        return left != right
    if left is None or right is None:
        return False
    if item.op == "eq":
        return left == right
    if item.op == "lt":
        return left < right  # type: ignore[operator]
    if item.op == "le":
        return left <= right  # type: ignore[operator]
    if item.op == "gt":
        return left > right  # type: ignore[operator]
    return left >= right  # type: ignore[operator]


def _aggregate(metric: str, values: Sequence[Decimal], count: int) -> Decimal | int | None:
    if metric == "count":
        return count
    if not values:
        return None
    if metric == "sum":
        return sum(values, Decimal(0))
    if metric == "avg":
        return sum(values, Decimal(0)) / len(values)
    return min(values) if metric == "min" else max(values)


def run(rows: Iterable[Mapping[str, object]], query: Query, columns: Columns, *, k: int) -> Result:
    """Validate the query, then aggregate the rows that pass every filter; release only groups of >= k rows.

    For sum/avg/min/max a row contributes only with a number in the column, and k counts contributing rows:
    an average over ten rows of which nine are empty would otherwise be one person's value.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    validate(query, columns)
    filters = [(item, item.column in columns.numeric) for item in query.filters]
    groups: dict[tuple[str | None, ...], list] = {}
    total = 0
    for row in rows:
        if not all(_compare(row.get(item.column), item, numeric) for item, numeric in filters):
            continue
        if query.metric != "count":
            value = number(row.get(query.column))  # type: ignore[arg-type]
            if value is None:
                continue
        else:
            value = None
        key = tuple(_text(row.get(name)) for name in query.group_by)
        bucket = groups.setdefault(key, [0, []])
        bucket[0] += 1
        if value is not None:
            bucket[1].append(value)
        total += 1
    result = Result()
    if total < k:
        # Too few rows overall: not even the number of suppressed groups is told.
        return result
    for key, (count, values) in sorted(groups.items(), key=lambda item: tuple((v is None, v or "") for v in item[0])):
        if count < k:
            result.suppressed += 1
            continue
        result.groups.append(Group(key=dict(zip(query.group_by, key, strict=True)), count=count,
                                   value=_aggregate(query.metric, values, count)))
    return result
