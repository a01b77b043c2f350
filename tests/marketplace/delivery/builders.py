"""Builders for delivery tests: products delivered by file, records and aggregates, their active contracts and
releases — through the services. The personal-data product is tests.trading_builders' one with every mode."""

from __future__ import annotations

from compliance.identifiers import make_resident_id
from tests.marketplace.consent.helpers import SUBJECT_ID
from tests.trading_builders import FREE, REQUEST, personal_data_product

PER_CALL = {"name": "按次调用", "name_en": "Per call", "pricing_mode": "per_call", "price_minor": 50,
            "term_months": 12}
ALL_MODES = ["file", "api", "aggregate"]
PURPOSE = REQUEST["scenario"]

# A release of the personal-data product: the test subject plus 39 others, months spread over three.
PEOPLE_RELEASE_CSV = "name,id_number,month,paid_months,arrears\n" + f"张三,{SUBJECT_ID},2026-01-01,11,300\n" + "".join(
    f"居民{i},{make_resident_id(f'44070319850101{i:03d}')},2026-{1 + i % 3:02d}-01,{6 + i % 7},{i * 150}\n"
    for i in range(39))

# A release of the non-personal product: 3 districts x 12 months, plus one lone row of a fourth district.
KWH_RELEASE_CSV = "month,district,kwh\n" + "".join(
    f"2026-{m:02d}-01,{d},{1000 + m * 10 + i}\n" for m in range(1, 13) for i, d in enumerate(["蓬江", "江海", "新会"])
) + "2026-01-01,台山,99999\n"


def people_product(world, offers=(FREE,), modes=ALL_MODES):
    """A registered, listed personal-data product of provider A delivered by these modes."""
    return personal_data_product(world, offers=offers, modes=modes)


def kwh_product(world, offers=(FREE,), modes=("file", "aggregate")):
    """A registered, listed product without personal information (month, district, kwh)."""
    from tests.builders import listed

    return listed(world.broker_a, world.reviewer, offers=list(offers), delivery_modes=list(modes))


def active_contract(world, product, buyer=None, offer_index=0, **overrides):
    """An ACTIVE contract of `buyer` (default world.buyer) for the product under its offer (free or per call)."""
    from marketplace.catalog import services as catalog
    from marketplace.trading import services as trading

    buyer = buyer or world.buyer
    offer = catalog.get_listing(product.id).offers[offer_index]
    legal_basis = "consent" if product.registered.holds_pi else "not_personal"
    request = trading.request_access(product_id=product.id, offer_id=offer.id, actor=buyer,
                                     **{**REQUEST, "legal_basis": legal_basis, **overrides})
    trading.decide_request(request.id, decision="approve", actor=world.broker_a)
    contract = trading.get_request(request.id, actor=buyer).contract
    for signer in (buyer, world.broker_a):
        trading.sign_contract(contract.id, document_hash=contract.document_hash, method="password", actor=signer)
    contract = trading.get_contract(contract.id, actor=buyer)
    assert contract.state == "active", contract.state
    return contract


def release(world, product, csv: str, filename: str = "data.csv", notes: str = "monthly"):
    from marketplace.delivery import services

    return services.publish_release(product.id, files=[services.Upload(filename=filename, data=csv.encode())],
                                    notes=notes, actor=world.broker_a)
