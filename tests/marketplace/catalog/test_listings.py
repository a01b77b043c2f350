"""Listing a registered product with offers, moderating listings, and listings following registrations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from marketplace.audit import verify_chain
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Listing, Offer
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.lifecycle import history
from marketplace.registration import certificates
from tests.builders import OFFERS, bearer_for, draft, listed, registered


@pytest.fixture(autouse=True)
def english(app):
    """Messages are matched in English (outside a request the exchange speaks Chinese)."""
    with force_locale("en"):
        yield


MONTHLY = {"name": "月度订阅", "pricing_mode": "subscription", "billing_period": "month", "price_minor": 99_900}


def test_only_a_registered_product_is_listed_by_its_own_broker(world):
    unregistered = draft(world.broker_a)
    with pytest.raises(Conflict, match="registered"):
        catalog.list_product(unregistered.id, offers=OFFERS, actor=world.broker_a)
    product = registered(world.broker_a, world.reviewer)
    for outsider in (world.broker_b, world.buyer, world.reviewer, world.admin):
        with pytest.raises(Forbidden):
            catalog.list_product(product.id, offers=OFFERS, actor=outsider)
    listing = catalog.list_product(product.id, offers=OFFERS, actor=world.broker_a2)
    assert listing.state == "listed" and listing.version.state == "registered"
    assert [change.to_state for change in history("listing", [listing.id])] == ["listed"]
    assert verify_chain().ok


@pytest.mark.parametrize(("offer", "message"), [
    ({"pricing_mode": "per_call"}, "needs a price"),
    ({"pricing_mode": "one_off", "price_minor": 0}, "needs a price"),
    ({"pricing_mode": "negotiable", "price_minor": 100}, "no list price"),
    ({"pricing_mode": "free", "price_minor": 100}, "cannot have a price"),
    ({"pricing_mode": "subscription", "price_minor": 100}, "per month or per year"),
    ({"pricing_mode": "one_off", "price_minor": 100, "billing_period": "month"}, "Only subscriptions"),
    ({"pricing_mode": "one_off", "price_minor": 100, "currency": "XYZ"}, "Currency must be one of"),
])
def test_offers_that_make_no_sense_are_refused_by_name(world, offer, message):
    product = registered(world.broker_a, world.reviewer)
    with pytest.raises(ValidationFailed) as raised:
        catalog.list_product(product.id, offers=[MONTHLY, {"name": "x", **offer}], actor=world.broker_a)
    assert message in " ".join(raised.value.errors["offers.1"])
    assert db.session.scalar(select(Listing)) is None, "nothing half-written"


def test_the_api_checks_the_shape_of_money(client, world):
    product = registered(world.broker_a, world.reviewer)
    headers = bearer_for(client, world.broker_a)
    for bad in ({"price_minor": 12.5}, {"price_minor": "1200"}, {"price_minor": -1}, {"currency": "cny"}):
        offer = {"name": "x", "pricing_mode": "one_off", "price_minor": 100, **bad}
        response = client.post(f"/api/v1/products/{product.id}/listing", json={"offers": [offer]}, headers=headers)
        assert response.status_code == 422, bad
        assert response.mimetype == "application/problem+json"
    assert client.post(f"/api/v1/products/{product.id}/listing", json={"offers": []},
                       headers=headers).json["errors"]["offers"]
    scoped = bearer_for(client, world.broker_a, scopes=["products"])
    assert client.post(f"/api/v1/products/{product.id}/listing", json={"offers": OFFERS},
                       headers=scoped).status_code == 403, "needs the listings scope"


def test_changing_offers_retires_the_old_rows(world):
    product = listed(world.broker_a, world.reviewer)
    first = [offer.id for offer in catalog.get_listing(product.id).offers]
    catalog.list_product(product.id, offers=[MONTHLY], venue="energy", actor=world.broker_a)
    listing = catalog.get_listing(product.id)
    assert [offer.name for offer in listing.offers] == ["月度订阅"] and listing.venue == "energy"
    retired = db.session.scalars(select(Offer).where(Offer.id.in_(first))).all()
    assert retired and not any(offer.active for offer in retired), "contracts may name them: kept, inactive"
    with pytest.raises(ValidationFailed):
        catalog.list_product(product.id, offers=[MONTHLY], venue="moon", actor=world.broker_a)


def test_a_stale_lock_version_is_a_conflict(world):
    product = listed(world.broker_a, world.reviewer)
    stale = catalog.get_listing(product.id).lock_version
    catalog.list_product(product.id, offers=[MONTHLY], actor=world.broker_a, lock_version=stale)
    with pytest.raises(Conflict):
        catalog.list_product(product.id, offers=OFFERS, actor=world.broker_a, lock_version=stale)


def test_the_exchange_suspends_relists_and_delists_and_the_broker_is_told_why(client, world):
    product = listed(world.broker_a, world.reviewer)
    admin, broker = bearer_for(client, world.admin), bearer_for(client, world.broker_a)
    path = f"/api/v1/products/{product.id}/listing"
    assert client.post(f"{path}/suspend", json={"reason": "no"}, headers=broker).status_code == 403
    assert client.post(f"{path}/suspend", json={"reason": " "}, headers=admin).status_code == 422
    suspended = client.post(f"{path}/suspend", json={"reason": "样本与说明书不一致，请更正。"}, headers=admin)
    assert suspended.status_code == 200 and suspended.json["state"] == "suspended"
    assert client.get(f"/api/v1/listings/{product.id}").status_code == 404
    own = client.get(path, headers=broker).json
    assert own["state"] == "suspended" and own["state_reason"] == "样本与说明书不一致，请更正。"
    assert client.get(path, headers=bearer_for(client, world.broker_b)).status_code == 403
    assert client.post(f"{path}/relist", json={"reason": "已更正"}, headers=admin).json["state"] == "listed"
    assert client.get(f"/api/v1/listings/{product.id}").status_code == 200
    delisted = client.post(f"{path}/delist", json={"reason": "停止供应"}, headers=broker)
    assert delisted.status_code == 200 and delisted.json["state"] == "delisted"
    assert client.post(f"{path}/relist", json={"reason": "x"}, headers=admin).status_code == 404

    again = catalog.list_product(product.id, offers=OFFERS, actor=world.broker_a)
    assert again.id != delisted.json["listing_id"], "a delisted listing stays as history; listing again is new"
    actions = [change.action for change in history("listing", [delisted.json["listing_id"]])]
    assert actions == ["list", "suspend", "relist", "delist"]
    assert verify_chain().ok


def test_listings_follow_the_certificate(world):
    product = listed(world.broker_a, world.reviewer)
    number = catalog.get_listing(product.id).certificate_number
    certificate = certificates.get_certificate(number)

    certificates.expire_due_certificates(now=certificate.valid_to + timedelta(seconds=1))
    listing = catalog.listing_of(product.id, actor=world.broker_a)
    assert listing.state == "suspended" and listing.state_reason == "certificate expired"
    with pytest.raises(NotFound):
        catalog.get_listing(product.id)

    renewed = certificates.renew_certificate(number, actor=world.broker_a)
    listing = catalog.get_listing(product.id)
    assert listing.state == "listed" and listing.certificate_number == renewed.number

    certificates.revoke_certificate(renewed.number, reason="Court order 2026-17", actor=world.admin)
    listing = db.session.scalar(select(Listing).where(Listing.product_id == product.id))
    assert listing.state == "delisted" and "Court order 2026-17" in listing.state_reason
    assert catalog.listing_of(product.id, actor=world.broker_a) is None


def test_an_admin_suspension_is_not_lifted_by_renewal(world):
    product = listed(world.broker_a, world.reviewer)
    number = catalog.get_listing(product.id).certificate_number
    catalog.suspend_listing(product.id, reason="Under investigation", actor=world.admin)
    certificate = certificates.get_certificate(number)
    certificates.expire_due_certificates(now=certificate.valid_to + timedelta(seconds=1))
    certificates.renew_certificate(number, actor=world.broker_a)
    listing = catalog.listing_of(product.id, actor=world.admin)
    assert listing.state == "suspended" and listing.state_reason == "Under investigation"
