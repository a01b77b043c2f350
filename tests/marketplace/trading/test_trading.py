"""Access requests, contracts and signatures through the services and the API: the whole path, each refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from compliance import contracts as contract_rules
from marketplace.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from marketplace.trading import services as trading
from marketplace.types import utcnow
from tests.builders import PASSWORD, bearer_for
from tests.marketplace.test_web import _csrf, _sign_in
from tests.trading_builders import (
    FREE,
    INSTANT,
    NEGOTIABLE,
    ONE_OFF,
    REQUEST,
    approved_contract,
    listed_with,
    requested,
    signed_contract,
)


def test_request_approve_sign_pay_offline_over_the_api(client, world):
    product, offers = listed_with(world, ONE_OFF)
    buyer, broker = bearer_for(client, world.buyer), bearer_for(client, world.broker_a)
    finance = bearer_for(client, world.finance)

    response = client.post("/api/v1/access-requests", headers=buyer,
                           json={"product_id": product.id, "offer_id": offers["One-off"].id, **REQUEST})
    assert response.status_code == 201, response.json
    request_id = response.json["id"]
    assert response.json["state"] == "pending"

    response = client.post(f"/api/v1/access-requests/{request_id}/decision", headers=broker,
                           json={"decision": "approve"})
    assert response.status_code == 200, response.json
    contract_id = response.json["contract_id"]

    contract = client.get(f"/api/v1/contracts/{contract_id}", headers=buyer).json
    assert contract["state"] == "awaiting_signatures"
    assert contract["amount_minor"] == 1_234_550 and contract["fee_minor"] == 30_864  # 2.5%, half up
    assert contract["net_minor"] == 1_234_550 - 30_864
    assert contract_rules.document_hash(contract["text"]) == contract["document_hash"]
    assert "数据描述" in contract["text"] and "Purpose lock" in contract["text"]
    assert contract["policy"]["@type"] == "Agreement"

    for headers in (buyer, broker):
        response = client.post(f"/api/v1/contracts/{contract_id}/sign", headers=headers,
                               json={"document_hash": contract["document_hash"]})
        assert response.status_code == 200, response.json
    signed = response.json
    assert signed["state"] == "awaiting_payment"
    assert {s["party"] for s in signed["signatures"]} == {"buyer", "provider", "exchange"}
    assert {s["method"] for s in signed["signatures"] if s["party"] != "exchange"} == {"token"}

    response = client.post(f"/api/v1/contracts/{contract_id}/payments", headers=buyer, json={"method": "offline"})
    assert response.status_code == 201, response.json
    payment = response.json
    assert payment["state"] == "requires_payment" and payment["amount_minor"] == 1_234_550
    again = client.post(f"/api/v1/contracts/{contract_id}/payments", headers=buyer, json={"method": "offline"})
    assert again.json["id"] == payment["id"]

    response = client.post(f"/api/v1/payments/{payment['id']}/confirm", headers=finance,
                           json={"bank_reference": "ICBC-20261128-0042"})
    assert response.status_code == 200, response.json
    assert response.json["state"] == "succeeded"
    contract = client.get(f"/api/v1/contracts/{contract_id}", headers=broker).json
    assert contract["state"] == "active" and contract["ends_at"]
    assert trading.verify_countersignature(trading.get_contract(contract_id, actor=world.buyer))


def test_free_offer_is_active_on_signature(world):
    product, offers = listed_with(world, FREE)
    contract = signed_contract(world, product, offers["Free trial"])
    assert contract.state == "active" and contract.amount_minor == 0 and contract.fee_minor == 0


def test_instant_offer_needs_no_approval(world):
    product, offers = listed_with(world, INSTANT)
    request = requested(world, product, offers["Instant free"])
    assert request.state == "approved" and request.contract is not None


def test_negotiable_offer_needs_the_agreed_price(world):
    product, offers = listed_with(world, NEGOTIABLE)
    request = requested(world, product, offers["Negotiable"])
    with pytest.raises(ValidationFailed) as refused:
        trading.decide_request(request.id, decision="approve", actor=world.broker_a)
    assert "price_minor" in refused.value.errors
    trading.decide_request(request.id, decision="approve", price_minor=880_000, actor=world.broker_a)
    contract = trading.get_request(request.id, actor=world.buyer).contract
    assert contract.amount_minor == 880_000 and contract.fee_minor == 22_000


def test_decline_needs_a_reason_the_buyer_reads(world):
    product, offers = listed_with(world, ONE_OFF)
    request = requested(world, product, offers["One-off"])
    with pytest.raises(ValidationFailed):
        trading.decide_request(request.id, decision="decline", actor=world.broker_a)
    trading.decide_request(request.id, decision="decline", reason="用途与数据不符", actor=world.broker_a)
    seen = trading.get_request(request.id, actor=world.buyer)
    assert seen.state == "declined" and seen.decision_reason == "用途与数据不符" and seen.contract is None


def test_withdraw_and_resubmit(world):
    product, offers = listed_with(world, ONE_OFF)
    request = requested(world, product, offers["One-off"])
    trading.withdraw_request(request.id, actor=world.buyer)
    with pytest.raises(InvalidTransition):
        trading.decide_request(request.id, decision="approve", actor=world.broker_a)
    again = trading.resubmit_request(request.id, actor=world.buyer, term_months=6)
    assert again.state == "pending" and again.term_months == 6


def test_pending_request_expires_after_45_days(world):
    product, offers = listed_with(world, ONE_OFF)
    request = requested(world, product, offers["One-off"])
    assert trading.expire_due(now=utcnow() + timedelta(days=44))["requests_expired"] == 0
    assert trading.expire_due(now=utcnow() + timedelta(days=46))["requests_expired"] == 1
    assert trading.expire_due(now=utcnow() + timedelta(days=47))["requests_expired"] == 0
    assert trading.get_request(request.id, actor=world.buyer).state == "expired"


def test_active_contract_expires_at_the_end_of_its_term(world):
    product, offers = listed_with(world, FREE)
    contract = signed_contract(world, product, offers["Free trial"], term_months=3)
    with time_machine.travel(contract.ends_at + timedelta(minutes=1)):
        assert trading.expire_due()["contracts_expired"] == 1
    assert trading.get_contract(contract.id, actor=world.buyer).state == "expired"


@pytest.mark.parametrize(("field", "value"), [
    ("scenario", "anti_fraud"),  # not one of the product's listed scenarios
    ("term_months", 24),  # longer than the offer runs
    ("delivery_region", "abroad"),  # the product does not allow it (XB-01)
    ("responsible_person", "  "),
])
def test_request_refusals_name_the_field(world, field, value):
    product, offers = listed_with(world, ONE_OFF)
    with pytest.raises(ValidationFailed) as refused:
        requested(world, product, offers["One-off"], **{field: value})
    assert field in refused.value.errors


def test_only_buyers_request_and_only_the_provider_decides(world):
    product, offers = listed_with(world, ONE_OFF)
    with pytest.raises(Forbidden):
        requested(world, product, offers["One-off"], buyer=world.broker_b)
    request = requested(world, product, offers["One-off"])
    with pytest.raises(NotFound):  # another provider does not even see it
        trading.decide_request(request.id, decision="approve", actor=world.broker_b)
    with pytest.raises(NotFound):  # nor does another bank
        trading.get_request(request.id, actor=world.buyer_b)
    with pytest.raises(Conflict):  # one pending request per product and buyer
        requested(world, product, offers["One-off"])


def test_signing_another_text_or_twice_is_refused(world):
    product, offers = listed_with(world, ONE_OFF)
    contract = approved_contract(world, product, offers["One-off"])
    with pytest.raises(Conflict):
        trading.sign_contract(contract.id, document_hash="0" * 64, method="password", actor=world.buyer)
    trading.sign_contract(contract.id, document_hash=contract.document_hash, method="password", actor=world.buyer)
    with pytest.raises(Conflict):
        trading.sign_contract(contract.id, document_hash=contract.document_hash, method="password",
                              actor=world.buyer)
    with pytest.raises(NotFound):
        trading.sign_contract(contract.id, document_hash=contract.document_hash, method="password",
                              actor=world.buyer_b)


def test_session_signing_needs_the_password_again(client, world):
    product, offers = listed_with(world, ONE_OFF)
    contract = approved_contract(world, product, offers["One-off"])
    _sign_in(client, world.buyer.email)
    token = _csrf(client.get("/").get_data(as_text=True))
    url = f"/api/v1/contracts/{contract.id}/sign"
    body = {"document_hash": contract.document_hash}
    headers = {"X-CSRFToken": token, "Accept-Language": "en"}
    assert client.post(url, json=body, headers=headers).status_code == 403
    assert client.post(url, json={**body, "password": "wrong password 123"}, headers=headers).status_code == 403
    response = client.post(url, json={**body, "password": PASSWORD}, headers=headers)
    assert response.status_code == 200, response.json
    assert [s["method"] for s in response.json["signatures"]] == ["password"]
