"""Aggregate-only delivery through the API: only groups of at least k rows, PI columns refused, every query
audited, nothing when the filters leave fewer than k rows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.audit import AuditEntry
from marketplace.extensions import db
from tests.builders import bearer_for
from tests.marketplace.delivery.builders import (
    KWH_RELEASE_CSV,
    PEOPLE_RELEASE_CSV,
    PURPOSE,
    active_contract,
    kwh_product,
    people_product,
    release,
)


@pytest.fixture
def contract(world):
    product = kwh_product(world)
    release(world, product, KWH_RELEASE_CSV)
    return active_contract(world, product)


def _ask(client, contract, headers, **query):
    return client.post(f"/api/v1/contracts/{contract.id}/aggregates", json={"purpose": PURPOSE, **query},
                       headers=headers)


def test_groups_below_k_are_dropped_and_only_counted(client, world, contract):
    response = _ask(client, contract, bearer_for(client, world.buyer, scopes=["delivery"]),
                    metric="sum", column="kwh", group_by=["district"])
    assert response.status_code == 200, response.json
    body = response.json
    assert body["min_group_size"] == 10 and body["suppressed_groups"] == 1
    assert {g["key"]["district"]: g["count"] for g in body["groups"]} == {"蓬江": 12, "江海": 12, "新会": 12}
    assert "台山" not in response.get_data(as_text=True) and "99999" not in response.get_data(as_text=True)
    penjiang = next(g for g in body["groups"] if g["key"]["district"] == "蓬江")
    assert penjiang["value"] == sum(1000 + m * 10 for m in range(1, 13))
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "delivery.aggregate")).one()
    assert entry.data["metric"] == "sum" and entry.data["group_by"] == ["district"] and entry.data["suppressed"] == 1


def test_a_filter_narrowing_to_one_row_returns_nothing(client, world, contract):
    response = _ask(client, contract, bearer_for(client, world.buyer), metric="max", column="kwh",
                    filters=[{"column": "district", "op": "eq", "value": "台山"}])
    assert response.status_code == 200
    assert response.json["groups"] == [] and response.json["suppressed_groups"] == 0


def test_count_over_everything(client, world, contract):
    response = _ask(client, contract, bearer_for(client, world.buyer), metric="count")
    assert response.json["groups"] == [{"key": {}, "count": 37, "value": 37.0}]


@pytest.mark.parametrize("query, field", [
    ({"metric": "avg"}, "column"),
    ({"metric": "avg", "column": "district"}, "column"),
    ({"metric": "count", "group_by": ["nope"]}, "group_by"),
    ({"metric": "median"}, "metric"),
    ({"metric": "count", "filters": [{"column": "kwh", "op": "like", "value": "1"}]}, "filters"),
])
def test_malformed_queries_are_422(client, world, contract, query, field):
    response = _ask(client, contract, bearer_for(client, world.buyer), **query)
    assert response.status_code == 422 and field in response.json["errors"]


def test_personal_columns_are_refused_in_filters_and_groups(client, world):
    product = people_product(world)
    release(world, product, PEOPLE_RELEASE_CSV)
    contract = active_contract(world, product)
    headers = bearer_for(client, world.buyer)
    for query in ({"filters": [{"column": "id_number", "op": "ne", "value": "x"}]}, {"group_by": ["name"]},
                  {"filters": [{"column": "arrears", "op": "gt", "value": 0}]}):
        response = _ask(client, contract, headers, metric="count", **query)
        assert response.status_code == 422 and "personal information" in response.json["detail"]
    allowed = _ask(client, contract, headers, metric="count", group_by=["month"])
    assert allowed.status_code == 200 and all(g["count"] >= 10 for g in allowed.json["groups"])


def test_the_other_bank_gets_404(client, world, contract):
    assert _ask(client, contract, bearer_for(client, world.buyer_b), metric="count").status_code == 404
