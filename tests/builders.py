"""Builders for tests: organisations, users, products and reviews made through the services, never raw rows."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from compliance.identifiers import make_resident_id, make_uscc
from marketplace.accounts import services as accounts
from marketplace.products import services as products
from marketplace.registration import services as registration

PASSWORD = "correct horse battery staple 42"

FIELDS = [
    {"name": "month", "type": "date", "description": "Billing month", "pi": False, "sensitive": False},
    {"name": "district", "type": "string", "description": "District", "pi": False, "sensitive": False},
    {"name": "kwh", "type": "integer", "description": "Electricity used", "pi": False, "sensitive": False},
]

SAMPLE_CSV = "month,district,kwh\n" + "".join(
    f"2026-{m:02d}-01,{d},{1000 + m * 37 + i}\n" for m in range(1, 7) for i, d in enumerate(["蓬江", "江海", "新会"])
)

DRAFT = {
    "name": "江门工业用电指数",
    "name_en": "Jiangmen industrial electricity index",
    "product_type": "dataset",
    "sector": "energy",
    "description": "Monthly electricity use by district, for credit support.",
    "scenarios": ["credit_support"],
    "source_type": "self_generated",
    "source_description": "Metering data of the utility's own grid.",
    "security_level": "general",
    "delivery_modes": ["file"],
    "rights": ["holding", "processing", "operating"],
    "price_mode": "one_off",
    "field_dictionary": FIELDS,
}

_serial = iter(range(1, 10_000))


def uscc(seed: int) -> str:
    return make_uscc(f"91440700MA{seed:07d}")


@dataclass
class World:
    provider_a: object
    provider_b: object
    lawfirm: object
    exchange: object
    bank: object
    broker_a: object
    broker_a2: object
    broker_b: object
    reviewer: object
    exchange_reviewer: object
    admin: object
    buyer: object
    subject: object
    finance: object
    bank_b: object
    buyer_b: object

    @classmethod
    def build(cls) -> World:
        def org(name, kind):
            return accounts.create_organization(name=name, name_en=name, uscc=uscc(next(_serial)), kind=kind)

        def user(email, role, organisation, **kw):
            return accounts.create_user(email=email, name=email.split("@")[0], password=PASSWORD, role=role,
                                        org_uscc=organisation.uscc if organisation else None, **kw)

        provider_a, provider_b = org("Provider A", "provider"), org("Provider B", "provider")
        lawfirm, exchange, bank = org("Law firm", "reviewer"), org("Exchange", "exchange"), org("Bank", "buyer")
        bank_b = org("Bank B", "buyer")
        return cls(
            provider_a=provider_a, provider_b=provider_b, lawfirm=lawfirm, exchange=exchange, bank=bank,
            broker_a=user("broker-a@a.test", "broker", provider_a, is_org_admin=True),
            broker_a2=user("broker-a2@a.test", "broker", provider_a),
            broker_b=user("broker-b@b.test", "broker", provider_b, is_org_admin=True),
            reviewer=user("reviewer@law.test", "reviewer", lawfirm),
            exchange_reviewer=user("reviewer@exchange.test", "reviewer", exchange),
            admin=user("admin@exchange.test", "admin", exchange, is_org_admin=True),
            buyer=user("buyer@bank.test", "buyer", bank),
            subject=user("subject@people.test", "subject", None, id_number=make_resident_id("44070319900101123")),
            finance=user("finance@exchange.test", "finance", exchange),
            bank_b=bank_b, buyer_b=user("buyer@bank-b.test", "buyer", bank_b),
        )


def draft(broker, **overrides):
    return products.create_product(actor=broker, **{**DRAFT, **overrides})


def ready_draft(broker, **overrides):
    """A draft with a matching sample and the source-legality commitment: it can be submitted."""
    product = draft(broker, **overrides)
    products.upload_sample(product.id, data=SAMPLE_CSV.encode(), filename="sample.csv", actor=broker)
    products.add_evidence(product.id, item_code="SRC-02", data=b"We commit the data is lawfully sourced.",
                          filename="commitment.txt", note="", actor=broker)
    return product


def submitted(broker, **overrides):
    product = ready_draft(broker, **overrides)
    registration.submit_product(product.id, actor=broker)
    return product


def pass_all_items(review_id: int, reviewer) -> None:
    review = registration.get_review(review_id, actor=reviewer)
    for item in review.items:
        if item.applicable and item.decision != "pass":
            registration.decide_item(review_id, item.code, decision="pass", note="checked", actor=reviewer)


def latest_review(product):
    from sqlalchemy import select

    from marketplace.extensions import db
    from marketplace.registration.models import Review

    return db.session.scalars(select(Review).where(Review.version_id == product.latest.id)
                              .order_by(Review.id.desc())).first()


def approved(broker, reviewer, **overrides):
    product = submitted(broker, **overrides)
    review = latest_review(product)
    pass_all_items(review.id, reviewer)
    registration.decide_review(review.id, decision="approve", actor=reviewer)
    return product


def basic_auth(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def bearer_for(client, user, scopes=None) -> dict:
    """A bearer header from a real client-credentials exchange at POST /oauth/token."""
    oauth_client, secret = accounts.create_client(name="test", scopes=scopes, actor=user)
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           headers={"Authorization": basic_auth(oauth_client.client_id, secret)})
    assert response.status_code == 200, response.get_data(as_text=True)
    # Error details follow Accept-Language (default Chinese); API tests read the English ones.
    return {"Authorization": f"Bearer {response.json['access_token']}", "Accept-Language": "en"}


def registered(broker, reviewer, **overrides):
    """A product whose public notice has passed: it holds a valid certificate."""
    from datetime import timedelta

    product = approved(broker, reviewer, **overrides)
    registration.register_due_products(now=product.latest.submitted_at + timedelta(days=30))
    return product


OFFERS = [
    {"name": "年度订阅", "name_en": "Annual subscription", "pricing_mode": "subscription", "billing_period": "year",
     "price_minor": 1_200_000, "term_months": 12},
    {"name": "按次调用", "name_en": "Per call", "pricing_mode": "per_call", "price_minor": 50},
]


def listed(broker, reviewer, offers=None, venue="main", **overrides):
    """A registered product listed in the catalog with offers."""
    from marketplace.catalog import services as catalog

    product = registered(broker, reviewer, **overrides)
    catalog.list_product(product.id, offers=offers or OFFERS, venue=venue, actor=broker)
    return product
