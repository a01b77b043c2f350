"""Every delivery call is checked at request time: whose contract, its state and term, the declared purpose, the
delivery mode, the rate limit; successful calls are metered (per-call offers bill each call)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from marketplace.delivery.models import UsageRecord
from marketplace.extensions import db
from marketplace.trading import services as trading
from tests.builders import bearer_for
from tests.marketplace.delivery.builders import (
    KWH_RELEASE_CSV,
    PER_CALL,
    PURPOSE,
    active_contract,
    kwh_product,
    release,
)


@pytest.fixture
def setup(world):
    product = kwh_product(world, offers=(PER_CALL,))
    contract = active_contract(world, product)
    published = release(world, product, KWH_RELEASE_CSV)
    return product, contract, published


def _files(client, contract, headers, purpose=PURPOSE):
    return client.get(f"/api/v1/contracts/{contract.id}/files", query_string={"purpose": purpose}, headers=headers)


def _download(client, contract, published, headers, purpose=PURPOSE):
    return client.get(f"/api/v1/contracts/{contract.id}/files/{published.files[0].id}",
                      query_string={"purpose": purpose}, headers=headers)


def test_the_buyer_lists_and_downloads_and_each_download_is_a_billable_line(client, world, setup):
    _product, contract, published = setup
    headers = bearer_for(client, world.buyer, scopes=["delivery"])
    listed = _files(client, contract, headers)
    assert listed.status_code == 200, listed.json
    assert [r["number"] for r in listed.json] == [1] and listed.json[0]["files"][0]["filename"] == "data.csv"
    for _ in range(2):
        response = _download(client, contract, published, headers)
        assert response.status_code == 200
        assert response.get_data(as_text=True) == KWH_RELEASE_CSV
        assert "attachment" in response.headers["Content-Disposition"]
    lines = db.session.scalars(select(UsageRecord).where(UsageRecord.contract_id == contract.id)
                               .order_by(UsageRecord.id)).all()
    assert [(u.kind, u.units, u.billable_minor, u.currency) for u in lines] == [
        ("files", 0, 0, "CNY"), ("files", 1, 50, "CNY"), ("files", 1, 50, "CNY")]


def test_a_free_offer_meters_without_billing(client, world):
    product = kwh_product(world)
    contract = active_contract(world, product)
    published = release(world, product, KWH_RELEASE_CSV)
    assert _download(client, contract, published, bearer_for(client, world.buyer)).status_code == 200
    line = db.session.scalars(select(UsageRecord).where(UsageRecord.contract_id == contract.id)).one()
    assert (line.units, line.billable_minor) == (1, 0)


@pytest.mark.parametrize("intruder", ["buyer_b", "broker_b", "broker_a"])
def test_anyone_but_the_buyer_organisation_gets_404(client, world, setup, intruder):
    _product, contract, published = setup
    headers = bearer_for(client, getattr(world, intruder))
    assert _files(client, contract, headers).status_code == 404
    assert _download(client, contract, published, headers).status_code == 404
    assert db.session.scalars(select(UsageRecord)).all() == []


def test_anonymous_gets_401_and_a_token_without_the_delivery_scope_403(client, world, setup):
    _product, contract, _published = setup
    assert _files(client, contract, {}).status_code == 401
    response = _files(client, contract, bearer_for(client, world.buyer, scopes=["trading"]))
    assert response.status_code == 403 and "delivery" in response.json["detail"]


def test_expiry_takes_effect_on_the_next_call_even_before_housekeeping(client, world, setup):
    _product, contract, published = setup
    headers = bearer_for(client, world.buyer)
    assert _download(client, contract, published, headers).status_code == 200
    with time_machine.travel(contract.ends_at + timedelta(seconds=1), tick=False):
        headers = bearer_for(client, world.buyer)  # the first token has long expired by then
        response = _download(client, contract, published, headers)
        assert response.status_code == 403 and "expired" in response.json["detail"]
        trading.expire_due()
        assert _files(client, contract, headers).status_code == 403


def test_termination_takes_effect_on_the_next_call(client, world, setup):
    _product, contract, published = setup
    headers = bearer_for(client, world.buyer)
    assert _download(client, contract, published, headers).status_code == 200
    trading.terminate_contract(contract.id, reason="breach of usage terms", actor=world.admin)
    response = _download(client, contract, published, headers)
    assert response.status_code == 403 and "terminated" in response.json["detail"]


def test_a_suspended_listing_pauses_delivery(client, world, setup):
    from marketplace.catalog import services as catalog

    product, contract, _published = setup
    catalog.suspend_listing(product.id, reason="under investigation", actor=world.admin)
    response = _files(client, contract, bearer_for(client, world.buyer))
    assert response.status_code == 403 and "suspended" in response.json["detail"]


def test_a_contract_not_yet_active_delivers_nothing(client, world):
    from marketplace.catalog import services as catalog
    from tests.trading_builders import ONE_OFF, signed_contract

    product = kwh_product(world, offers=(ONE_OFF,))
    contract = signed_contract(world, product, catalog.get_listing(product.id).offers[0])
    assert contract.state == "awaiting_payment"
    response = _files(client, contract, bearer_for(client, world.buyer))
    assert response.status_code == 403 and "not active" in response.json["detail"]


def test_another_purpose_is_refused(client, world, setup):
    _product, contract, published = setup
    response = _download(client, contract, published, bearer_for(client, world.buyer), purpose="marketing")
    assert response.status_code == 403 and "another purpose" in response.json["detail"]


def test_the_purpose_is_required(client, world, setup):
    _product, contract, _published = setup
    response = client.get(f"/api/v1/contracts/{contract.id}/files", headers=bearer_for(client, world.buyer))
    assert response.status_code == 422 and "purpose" in response.json["errors"]


def test_a_mode_the_product_is_not_delivered_by_is_refused(client, world, setup):
    from tests.marketplace.consent.helpers import SUBJECT_ID

    _product, contract, _published = setup
    response = client.get(f"/api/v1/contracts/{contract.id}/records",
                          query_string={"purpose": PURPOSE, "subject": SUBJECT_ID},
                          headers=bearer_for(client, world.buyer))
    assert response.status_code == 403 and "api" in response.json["detail"]


def test_the_rate_limit_per_contract_answers_429(client, app, world, setup):
    _product, contract, published = setup
    app.config["MARKETPLACE_DELIVERY_RATE_PER_MINUTE"] = 3
    headers = bearer_for(client, world.buyer)
    stranger = bearer_for(client, world.buyer_b)
    # A stranger's refused calls do not spend the bank's allowance.
    for _ in range(5):
        assert _files(client, contract, stranger).status_code == 404
    assert [_download(client, contract, published, headers).status_code for _ in range(4)] == [200, 200, 200, 429]
    lines = db.session.scalars(select(UsageRecord).where(UsageRecord.contract_id == contract.id)).all()
    assert len(lines) == 3
