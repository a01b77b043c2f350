"""Card payments through Stripe's own API shape (Prism serving Stripe's OpenAPI spec), and Stripe's webhooks:
signature on the raw body, 300 s tolerance, each event once (also from two threads), any order, reconcile."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time

import pytest
from sqlalchemy import func, select

from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.lifecycle import StateChange
from marketplace.payments import services as payments
from marketplace.payments.models import Payment
from marketplace.trading import services as trading
from tests.trading_builders import ONE_OFF, listed_with, signed_contract

SECRET = "whsec_test_secret"


@pytest.fixture
def stripe_app(app, stripe_api_base):
    app.config.update(STRIPE_API_KEY="sk_test_123", STRIPE_API_BASE=stripe_api_base, STRIPE_WEBHOOK_SECRET=SECRET)
    return app


@pytest.fixture
def card_payment(stripe_app, world):
    """A countersigned contract and its Stripe payment (a PaymentIntent created on the mock)."""
    product, offers = listed_with(world, ONE_OFF)
    contract = signed_contract(world, product, offers["One-off"])
    payment = payments.start_payment(contract.id, method="stripe", actor=world.buyer)
    assert payment.stripe_payment_intent
    return payment


def sign(body: bytes, secret: str = SECRET, at: int | None = None) -> str:
    """Stripe's scheme: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<body>")."""
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def event(event_id: str, kind: str, payment: Payment) -> bytes:
    obj = {"id": payment.stripe_payment_intent, "object": "payment_intent", "amount": payment.amount_minor,
           "currency": payment.currency.lower(), "metadata": {"payment_id": str(payment.id)}}
    if kind == "charge.refunded":
        obj = {"id": f"ch_{event_id}", "object": "charge", "payment_intent": payment.stripe_payment_intent,
               "refunded": True, "metadata": {}}
    return json.dumps({"id": event_id, "object": "event", "type": kind, "created": int(time.time()),
                       "api_version": "2024-06-20", "data": {"object": obj}}).encode()


def deliver(client, body: bytes, signature: str | None = None):
    return client.post("/webhooks/stripe", data=body, content_type="application/json",
                       headers={"Stripe-Signature": signature or sign(body)})


def moves(payment_id: int) -> list[str]:
    return list(db.session.scalars(select(StateChange.action).where(
        StateChange.object_type == "payment", StateChange.object_id == payment_id).order_by(StateChange.id)))


def test_card_payment_starts_a_payment_intent_with_a_stored_idempotency_key(card_payment, world):
    assert card_payment.provider == "stripe" and card_payment.state == "requires_payment"
    assert len(card_payment.idempotency_key) == 36
    again = payments.start_payment(card_payment.contract_id, method="stripe", actor=world.buyer)
    assert again.id == card_payment.id and again.idempotency_key == card_payment.idempotency_key


def test_a_create_call_that_never_answered_is_repeated_with_the_same_key(stripe_app, world):
    product, offers = listed_with(world, ONE_OFF)
    contract = signed_contract(world, product, offers["One-off"])
    stripe_app.config["STRIPE_API_BASE"], base = "http://127.0.0.1:9", stripe_app.config["STRIPE_API_BASE"]
    with pytest.raises(Conflict):  # the card payment could not be started; nothing is charged
        payments.start_payment(contract.id, method="stripe", actor=world.buyer)
    stored = db.session.scalar(select(Payment).where(Payment.contract_id == contract.id))
    assert stored.idempotency_key and stored.stripe_payment_intent is None  # the key was committed first
    key = stored.idempotency_key
    stripe_app.config["STRIPE_API_BASE"] = base
    report = payments.reconcile()
    assert "error" not in report, report
    db.session.expire_all()
    repaired = db.session.get(Payment, stored.id)
    assert repaired.stripe_payment_intent and repaired.idempotency_key == key


def test_succeeded_event_activates_the_contract(client, card_payment, world):
    response = deliver(client, event("evt_ok_1", "payment_intent.succeeded", card_payment))
    assert response.status_code == 200 and response.json["outcome"] == "applied"
    db.session.expire_all()
    assert db.session.get(Payment, card_payment.id).state == "succeeded"
    assert trading.get_contract(card_payment.contract_id, actor=world.buyer).state == "active"


def test_bad_signature_is_refused_before_parsing(client, card_payment):
    body = event("evt_bad", "payment_intent.succeeded", card_payment)
    assert deliver(client, body, sign(body, secret="whsec_other")).status_code == 400
    assert deliver(client, body, "t=1,v1=deadbeef").status_code == 400
    assert client.post("/webhooks/stripe", data=body, content_type="application/json").status_code == 400
    tampered = body.replace(b"succeeded", b"processing")
    assert deliver(client, tampered, sign(body)).status_code == 400
    db.session.expire_all()
    assert db.session.get(Payment, card_payment.id).state == "requires_payment"


def test_stale_timestamp_is_refused(client, card_payment):
    body = event("evt_old", "payment_intent.succeeded", card_payment)
    assert deliver(client, body, sign(body, at=int(time.time()) - 301)).status_code == 400
    assert deliver(client, body, sign(body, at=int(time.time()) - 200)).status_code == 200


def test_a_duplicate_event_is_applied_once(client, card_payment):
    body = event("evt_dup", "payment_intent.succeeded", card_payment)
    assert deliver(client, body).json["outcome"] == "applied"
    assert deliver(client, body).json["outcome"] == "duplicate"
    assert moves(card_payment.id).count("succeed") == 1


def test_the_same_event_from_two_threads_at_once_is_applied_once(stripe_app, card_payment):
    body = event("evt_twice", "payment_intent.succeeded", card_payment)
    barrier, statuses = threading.Barrier(2), []
    db.session.commit()

    def post():
        with stripe_app.app_context():
            client = stripe_app.test_client()
            barrier.wait()
            statuses.append(deliver(client, body).status_code)
            db.session.remove()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200]
    db.session.expire_all()
    assert moves(card_payment.id).count("succeed") == 1
    assert db.session.get(Payment, card_payment.id).state == "succeeded"


SEQUENCE = ["payment_intent.processing", "payment_intent.payment_failed", "payment_intent.succeeded"]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_any_arrival_order_reaches_the_same_final_state(client, card_payment, world, order):
    for i in order:
        assert deliver(client, event(f"evt_seq_{i}", SEQUENCE[i], card_payment)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Payment, card_payment.id).state == "succeeded"
    assert trading.get_contract(card_payment.contract_id, actor=world.buyer).state == "active"


@pytest.mark.parametrize("refund_first", [False, True])
def test_a_refund_ends_the_contract_in_either_order(client, card_payment, world, refund_first):
    kinds = ["payment_intent.succeeded", "charge.refunded"]
    for kind in (reversed(kinds) if refund_first else kinds):
        assert deliver(client, event(f"evt_{kind}", kind, card_payment)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Payment, card_payment.id).state == "refunded"
    assert trading.get_contract(card_payment.contract_id, actor=world.buyer).state == "terminated"


def test_no_card_data_in_pages_json_or_logs(client, card_payment, world, caplog):
    body = event("evt_card", "payment_intent.succeeded", card_payment)
    deliver(client, body)
    from tests.builders import bearer_for

    headers = bearer_for(client, world.buyer)
    seen = json.dumps([client.get(f"/api/v1/contracts/{card_payment.contract_id}", headers=headers).json,
                       client.get(f"/api/v1/contracts/{card_payment.contract_id}/payments", headers=headers).json])
    for marker in ("4242424242424242", "client_secret", "card_number", "cvc"):
        assert marker not in seen and marker not in caplog.text
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


def test_the_whole_card_path_over_the_api(client, stripe_app, world):
    """request → approve → both sign → pay by card (PaymentIntent on the mock) → signed webhook → active."""
    from tests.builders import bearer_for
    from tests.trading_builders import REQUEST

    product, offers = listed_with(world, ONE_OFF)
    buyer, broker = bearer_for(client, world.buyer), bearer_for(client, world.broker_a)
    request = client.post("/api/v1/access-requests", headers=buyer,
                          json={"product_id": product.id, "offer_id": offers["One-off"].id, **REQUEST}).json
    contract_id = client.post(f"/api/v1/access-requests/{request['id']}/decision", headers=broker,
                              json={"decision": "approve"}).json["contract_id"]
    digest = client.get(f"/api/v1/contracts/{contract_id}", headers=buyer).json["document_hash"]
    for headers in (buyer, broker):
        assert client.post(f"/api/v1/contracts/{contract_id}/sign", headers=headers,
                           json={"document_hash": digest}).status_code == 200
    response = client.post(f"/api/v1/contracts/{contract_id}/payments", headers=buyer, json={"method": "stripe"})
    assert response.status_code == 201, response.json
    assert response.json["provider"] == "stripe" and response.json["stripe_payment_intent"]
    assert "client_secret" not in response.get_data(as_text=True)
    assert client.post(f"/api/v1/contracts/{contract_id}/payments", headers=broker,
                       json={"method": "stripe"}).status_code == 403  # only the buyer pays
    payment = db.session.get(Payment, response.json["id"])
    assert deliver(client, event("evt_api_1", "payment_intent.succeeded", payment)).json["outcome"] == "applied"
    assert client.get(f"/api/v1/contracts/{contract_id}", headers=broker).json["state"] == "active"
