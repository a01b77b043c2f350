"""Catalog search after changes: every change shows in the very next search, and counts stay exact."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from marketplace.catalog import index, search
from marketplace.catalog import services as catalog
from marketplace.catalog.models import FacetCount
from marketplace.extensions import db
from marketplace.products import services as products
from marketplace.registration import services as registration
from tests.builders import latest_review, pass_all_items
from tests.marketplace.catalog.conftest import FREE, build_shelf


@pytest.fixture
def shelf(world):
    return build_shelf(world)


def _ids(shelf, **kw):
    names = {product_id: key for key, product_id in shelf.items()}
    return [names[listing.product_id] for listing in search.search_listings(search.Query(**kw)).items]


def test_counts_stay_exact_through_every_kind_of_change(shelf, world):
    catalog.suspend_listing(shelf["power"], reason="Check the endpoint.", actor=world.admin)
    catalog.list_product(shelf["chenpi"], offers=FREE, venue="main", actor=world.broker_a)
    catalog.delist_listing(shelf["weather"], reason="Season over.", actor=world.broker_b)
    catalog.relist_listing(shelf["power"], reason="Fixed.", actor=world.admin)
    kept = Counter({(r.filter_key, r.facet, r.value): r.n for r in db.session.scalars(select(FacetCount))})
    index.rebuild()
    rebuilt = Counter({(r.filter_key, r.facet, r.value): r.n for r in db.session.scalars(select(FacetCount))})
    assert +kept == +rebuilt  # the unary plus drops rows counted down to zero


def test_a_change_is_visible_in_the_very_next_search(shelf, world):
    assert "chenpi" in _ids(shelf, filters={"pricing": "subscription"})
    catalog.list_product(shelf["chenpi"], offers=FREE, actor=world.broker_a)
    assert "chenpi" not in _ids(shelf, filters={"pricing": "subscription"})
    assert "chenpi" in _ids(shelf, q="陈皮", filters={"pricing": "free"})

    catalog.suspend_listing(shelf["social"], reason="Consent texts under review.", actor=world.admin)
    assert _ids(shelf, q="社保") == [] and search.search_listings(search.Query()).total == 5
    catalog.relist_listing(shelf["social"], reason="Reviewed.", actor=world.admin)
    assert _ids(shelf, q="社保") == ["social"]


def test_a_newly_registered_version_replaces_the_served_one(shelf, world):
    product_id = shelf["load"]
    products.update_product(product_id, actor=world.broker_a, name="工业园区需量电费分析报告")
    assert _ids(shelf, q="负荷") == ["load"], "the draft does not touch the listing"
    registration.submit_product(product_id, actor=world.broker_a)
    product = products.get_product(product_id, actor=world.broker_a)
    review = latest_review(product)
    pass_all_items(review.id, world.reviewer)
    registration.decide_review(review.id, decision="approve", actor=world.reviewer)
    registration.register_due_products(now=product.latest.submitted_at.replace(year=2100))
    assert _ids(shelf, q="需量") == ["load"]
    assert _ids(shelf, q="用电负荷") == [], "the old title no longer matches"
    assert catalog.get_listing(product_id).version.number == 2
