"""Builders for trading tests: a listed product, a buyer's request, a signed contract — through the services."""

from __future__ import annotations

from tests.builders import listed

FREE = {"name": "免费试用", "name_en": "Free trial", "pricing_mode": "free", "term_months": 12}
ONE_OFF = {"name": "一次性购买", "name_en": "One-off", "pricing_mode": "one_off", "price_minor": 1_234_550,
           "term_months": 12}
NEGOTIABLE = {"name": "面议", "name_en": "Negotiable", "pricing_mode": "negotiable", "term_months": 12}
INSTANT = {**FREE, "name": "即时免费", "name_en": "Instant free", "instant": True}

REQUEST = {"scenario": "credit_support", "purpose": "小微企业授信辅助 / credit support for small firms",
           "legal_basis": "not_personal", "term_months": 12, "expected_volume": "约 2,000 次/月",
           "delivery_region": "domestic", "responsible_person": "王敏", "responsible_contact": "wang@bank.test"}


def listed_with(world, *offers):
    """A product of provider A listed with these offers; returns (product, {offer name_en: offer})."""
    from marketplace.catalog import services as catalog

    product = listed(world.broker_a, world.reviewer, offers=list(offers))
    listing = catalog.get_listing(product.id)
    return product, {offer.name_en: offer for offer in listing.offers}


def requested(world, product, offer, buyer=None, **overrides):
    from marketplace.trading import services as trading

    return trading.request_access(product_id=product.id, offer_id=offer.id, actor=buyer or world.buyer,
                                  **{**REQUEST, **overrides})


def approved_contract(world, product, offer, **overrides):
    from marketplace.trading import services as trading

    request = requested(world, product, offer, **overrides)
    trading.decide_request(request.id, decision="approve", actor=world.broker_a)
    return trading.get_request(request.id, actor=world.buyer).contract


def signed_contract(world, product, offer, **overrides):
    from marketplace.trading import services as trading

    contract = approved_contract(world, product, offer, **overrides)
    for signer in (world.buyer, world.broker_a):
        trading.sign_contract(contract.id, document_hash=contract.document_hash, method="password", actor=signer)
    return trading.get_contract(contract.id, actor=world.buyer)
