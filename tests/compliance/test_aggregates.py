"""The k-threshold aggregate engine: no returned group is ever smaller than k, whatever rows, filters (also
adversarial ones: one person, ne, in) and groupings; counts are exact; PI columns are refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.aggregates import Columns, Filter, Query, QueryError, run

COLUMNS = Columns(allowed=frozenset({"district", "month", "kwh"}), numeric=frozenset({"kwh"}),
                  forbidden=frozenset({"id_number"}))
DISTRICTS = ["蓬江", "江海", "新会", "台山", None]
MONTHS = ["2026-01", "2026-02", None]

rows_strategy = st.lists(st.fixed_dictionaries({
    "id_number": st.text(alphabet="0123456789", min_size=3, max_size=3),
    "district": st.sampled_from(DISTRICTS),
    "month": st.sampled_from(MONTHS),
    "kwh": st.one_of(st.none(), st.integers(-5, 50).map(str), st.just("n/a")),
}), max_size=60)
filter_strategy = st.one_of(
    st.builds(Filter, st.just("district"), st.sampled_from(["eq", "ne", "lt", "ge"]), st.sampled_from(DISTRICTS)),
    st.builds(Filter, st.just("month"), st.sampled_from(["eq", "ne", "le", "gt"]), st.sampled_from(MONTHS)),
    st.builds(Filter, st.just("kwh"), st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]), st.integers(-5, 50)),
    st.builds(Filter, st.sampled_from(["district", "kwh"]), st.just("in"),
              st.lists(st.one_of(st.sampled_from(DISTRICTS[:-1]), st.integers(-5, 50)), min_size=1, max_size=4)),
)
query_strategy = st.builds(
    Query,
    metric=st.sampled_from(["count", "sum", "avg", "min", "max"]),
    column=st.just("kwh"),
    group_by=st.lists(st.sampled_from(["district", "month"]), max_size=2, unique=True).map(tuple),
    filters=st.lists(filter_strategy, max_size=4).map(tuple),
)


@settings(max_examples=400, deadline=None)
@given(rows=rows_strategy, query=query_strategy, k=st.integers(1, 12))
def test_no_returned_group_is_below_k_and_counts_are_exact(rows, query, k):
    result = run(rows, query, COLUMNS, k=k)
    for group in result.groups:
        assert group.count >= k
        assert set(group.key) == set(query.group_by)
        # The count is the real number of contributing rows: recount them independently.
        members = [row for row in rows
                   if all((row[name] or None) == group.key[name] for name in query.group_by)
                   and all(_matches(row, f) for f in query.filters)
                   and (query.metric == "count" or _num(row["kwh"]) is not None)]
        assert len(members) == group.count
    assert result.suppressed >= 0


def _num(value):
    try:
        return Decimal(value) if value is not None else None
    except Exception:
        return None


def _matches(row, f: Filter) -> bool:
    numeric = f.column == "kwh"
    cell = _num(row[f.column]) if numeric else row[f.column]
    values = f.value if f.op == "in" else [f.value]
    values = [_num(str(v)) if numeric else v for v in values]
    if f.op == "in":
        return cell is not None and cell in values
    value = values[0]
    if f.op == "ne":
        return cell != value
    if cell is None or value is None:
        return False
    return {"eq": cell == value, "lt": cell < value, "le": cell <= value, "gt": cell > value,
            "ge": cell >= value}[f.op]


@settings(max_examples=200, deadline=None)
@given(rows=rows_strategy, k=st.integers(2, 10), data=st.data())
def test_narrowing_to_one_person_reveals_nothing(rows, k, data):
    if not rows:
        return
    target = data.draw(st.sampled_from(rows))
    for filters in ((Filter("district", "eq", target["district"]), Filter("month", "eq", target["month"]),
                     Filter("kwh", "eq", target["kwh"])),
                    (Filter("district", "in", [target["district"] or "x"]), Filter("kwh", "ne", "0"))):
        for metric in ("count", "max"):
            result = run(rows, Query(metric=metric, column="kwh", filters=filters), COLUMNS, k=k)
            assert all(group.count >= k for group in result.groups)


def test_fewer_than_k_rows_overall_return_nothing_not_even_the_suppressed_count():
    rows = [{"district": "蓬江", "kwh": "1"}, {"district": "江海", "kwh": "2"}]
    result = run(rows, Query(metric="count", group_by=("district",)), COLUMNS, k=3)
    assert result.groups == [] and result.suppressed == 0


def test_values_of_groups_at_k():
    rows = [{"district": "蓬江", "kwh": str(v)} for v in range(1, 11)] + [{"district": "江海", "kwh": "7"}]
    result = run(rows, Query(metric="avg", column="kwh", group_by=("district",)), COLUMNS, k=10)
    assert [(g.key, g.count, g.value) for g in result.groups] == [({"district": "蓬江"}, 10, Decimal("5.5"))]
    assert result.suppressed == 1


@pytest.mark.parametrize("query", [
    Query(metric="count", filters=(Filter("id_number", "eq", "1"),)),
    Query(metric="count", group_by=("id_number",)),
    Query(metric="sum", column="id_number"),
    Query(metric="sum", column="district"),
    Query(metric="sum"),
    Query(metric="count", filters=(Filter("district", "in", []),)),
    Query(metric="count", filters=(Filter("district", "eq", ["a", "b"]),)),
    Query(metric="count", group_by=("district", "district")),
])
def test_refused_queries(query):
    with pytest.raises(QueryError):
        run([], query, COLUMNS, k=10)
