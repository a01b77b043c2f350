"""The consent JSON API: status codes, payload shape, no identity number echoed, every denial, and the public
personal data certificate verifiable offline against the exchange's keys document."""

from __future__ import annotations

import base64

import pytest

from compliance import signing
from compliance.digest import canonical_json
from tests.builders import bearer_for
from tests.marketplace.consent.helpers import CATEGORIES, SUBJECT_ID
from tests.trading_builders import personal_data_contract


@pytest.fixture
def contract(world):
    return personal_data_contract(world)


def _ask(client, headers, contract, **overrides):
    body = {"contract_id": contract.id, "id_number": SUBJECT_ID, "categories": CATEGORIES, "retention_days": 30,
            "purpose_text": "small-loan approval", **overrides}
    return client.post("/api/v1/consent-requests", json=body, headers=headers)


def test_ask_grant_verify_withdraw(client, world, contract):
    bank, person = bearer_for(client, world.buyer, ["trading"]), bearer_for(client, world.subject, ["consents"])
    asked = _ask(client, bank, contract)
    assert asked.status_code == 201, asked.json
    assert SUBJECT_ID not in asked.get_data(as_text=True)
    assert asked.json["subject_id_number"] == world.subject.id_number_masked
    assert asked.json["state"] == "requested" and asked.json["categories"] == CATEGORIES
    consent_id = asked.json["id"]

    mine = client.get("/api/v1/consents", headers=person)
    assert [c["id"] for c in mine.json] == [consent_id]
    notice = client.get(f"/api/v1/consents/{consent_id}", headers=person).json
    assert client.get(f"/api/v1/consents/{consent_id}", headers=bank).status_code == 200

    wrong = client.post(f"/api/v1/consents/{consent_id}/grant", json={"notice_hash": "0" * 64}, headers=person)
    assert wrong.status_code == 409
    by_bank = client.post(f"/api/v1/consents/{consent_id}/grant", json={"notice_hash": notice["notice_hash"]},
                          headers=bank)
    assert by_bank.status_code == 403, "the bank's token lacks the consents scope"
    granted = client.post(f"/api/v1/consents/{consent_id}/grant", json={"notice_hash": notice["notice_hash"]},
                          headers=person)
    assert granted.status_code == 200 and granted.json["state"] == "granted"
    number = granted.json["number"]

    receipt = client.get(f"/api/v1/personal-certificates/{number}")
    assert receipt.status_code == 200 and receipt.json["status"] == "granted"
    keys_document = client.get("/.well-known/exchange-keys.json").get_data()
    public_key = signing.load_public_keys(keys_document)[receipt.json["key_id"]]
    signature = base64.b64decode(receipt.json["signature"])
    assert signing.verify_signature(public_key, canonical_json(receipt.json["certificate"]), signature)
    tampered = {**receipt.json["certificate"], "recipient": {"name": "Someone else", "uscc": world.bank_b.uscc}}
    assert not signing.verify_signature(public_key, canonical_json(tampered), signature)

    withdrawn = client.post(f"/api/v1/consents/{consent_id}/withdraw", headers=person)
    assert withdrawn.status_code == 200 and withdrawn.json["erasure_due_at"]
    assert client.get(f"/api/v1/personal-certificates/{number}").json["status"] == "withdrawn"
    assert client.post(f"/api/v1/consents/{consent_id}/withdraw", headers=person).status_code == 409


def test_denials(client, world, contract):
    bank = bearer_for(client, world.buyer, ["trading"])
    other_bank = bearer_for(client, world.buyer_b, ["trading"])
    assert _ask(client, bank, contract, categories=["name", "salary"]).status_code == 422
    assert _ask(client, bank, contract, retention_days=0).status_code == 422
    assert _ask(client, other_bank, contract).status_code in (403, 404), "someone else's contract"
    assert _ask(client, bearer_for(client, world.broker_a), contract).status_code == 403
    assert _ask(client, bearer_for(client, world.subject), contract).status_code == 403
    consent_id = _ask(client, bank, contract).json["id"]
    assert client.get(f"/api/v1/consents/{consent_id}", headers=other_bank).status_code == 404
    assert client.get(f"/api/v1/consents/{consent_id}", headers=bearer_for(client, world.broker_a)).status_code \
        == 404, "the provider does not see who consents"
    assert client.post(f"/api/v1/consents/{consent_id}/refuse", headers=other_bank).status_code == 403
    assert client.get("/api/v1/consents", headers=bank).status_code == 403
    assert client.post(f"/api/v1/consents/{consent_id}/refuse").status_code == 401
    assert client.get("/api/v1/personal-certificates/JMDE-2026-S-000001").status_code == 404


def test_another_subject_cannot_decide(client, world, contract):
    from compliance.identifiers import make_resident_id
    from marketplace.accounts import services as accounts
    from tests.builders import PASSWORD

    other = accounts.create_user(email="other@people.test", name="other", password=PASSWORD, role="subject",
                                 org_uscc=None, id_number=make_resident_id("44070319920202456"))
    consent = _ask(client, bearer_for(client, world.buyer), contract).json
    headers = bearer_for(client, other, ["consents"])
    assert client.post(f"/api/v1/consents/{consent['id']}/grant", json={"notice_hash": consent["notice_hash"]},
                       headers=headers).status_code == 404
    assert client.get("/api/v1/consents", headers=headers).json == []
