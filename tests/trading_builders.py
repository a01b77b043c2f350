"""Builders for trading tests: a listed product, a buyer's request, a signed contract — through the services."""

from __future__ import annotations

from datetime import timedelta

from compliance.identifiers import make_resident_id
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


PEOPLE_FIELDS = [
    {"name": "name", "type": "string", "description": "Borrower's name", "pi": True, "sensitive": False},
    {"name": "id_number", "type": "string", "description": "Resident identity number", "pi": True,
     "sensitive": True},
    {"name": "month", "type": "date", "description": "Billing month", "pi": False, "sensitive": False},
    {"name": "paid_months", "type": "integer", "description": "Months paid on time in the last year", "pi": True,
     "sensitive": False},
    {"name": "arrears", "type": "integer", "description": "Arrears in fen", "pi": True, "sensitive": True},
]

PEOPLE_SAMPLE_CSV = "name,id_number,month,paid_months,arrears\n" + "".join(
    f"居民{i},{make_resident_id(f'44070319850101{i:03d}')},2026-{1 + i % 6:02d}-01,{6 + i % 7},{i * 150}\n"
    for i in range(20))

PEOPLE_PRODUCT = {"name": "江门居民缴费信用记录", "name_en": "Jiangmen residents' payment records",
                  "sector": "energy", "holds_pi": True, "field_dictionary": PEOPLE_FIELDS,
                  "description": "Per-person utility payment records, read one person at a time with their consent."}


def personal_data_product(world, offers=(FREE,), modes=None):
    """A registered, listed product of provider A holding personal information (one record per resident),
    delivered by `modes` (the draft's default modes when None)."""
    from marketplace.catalog import services as catalog
    from marketplace.products import services as products
    from marketplace.registration import services as registration
    from tests.builders import draft, latest_review, pass_all_items

    product = draft(world.broker_a, **PEOPLE_PRODUCT, **({"delivery_modes": list(modes)} if modes else {}))
    products.upload_sample(product.id, data=PEOPLE_SAMPLE_CSV.encode(), filename="people.csv", actor=world.broker_a)
    for code, text in (("SRC-02", b"We commit the data is lawfully sourced."),
                       ("PI-03", b"Each resident consents separately through the exchange before any read."),
                       ("PI-05", b"PI protection impact assessment, 2026.")):
        products.add_evidence(product.id, item_code=code, data=text, filename=f"{code}.txt", note="",
                              actor=world.broker_a)
    registration.submit_product(product.id, actor=world.broker_a)
    review = latest_review(product)
    pass_all_items(review.id, world.reviewer)
    registration.decide_review(review.id, decision="approve", actor=world.reviewer)
    registration.register_due_products(now=product.latest.submitted_at + timedelta(days=30))
    catalog.list_product(product.id, offers=list(offers), venue="main", actor=world.broker_a)
    return product


def personal_data_contract(world, buyer=None, **overrides):
    """An ACTIVE contract (free offer: active on signature) for `buyer` (default world.buyer) on a personal-data
    product; the request's legal basis is separate consent."""
    from marketplace.catalog import services as catalog
    from marketplace.trading import services as trading

    buyer = buyer or world.buyer
    product = personal_data_product(world)
    offer = catalog.get_listing(product.id).offers[0]
    request = trading.request_access(product_id=product.id, offer_id=offer.id, actor=buyer,
                                     **{**REQUEST, "legal_basis": "consent", **overrides})
    trading.decide_request(request.id, decision="approve", actor=world.broker_a)
    contract = trading.get_request(request.id, actor=buyer).contract
    for signer in (buyer, world.broker_a):
        trading.sign_contract(contract.id, document_hash=contract.document_hash, method="password", actor=signer)
    contract = trading.get_contract(contract.id, actor=buyer)
    assert contract.state == "active", contract.state
    return contract
