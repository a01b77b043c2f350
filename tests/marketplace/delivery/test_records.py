"""Record delivery: one person's record, only under that person's live consent to this bank for this purpose,
only the consented categories, the ID masked, every read logged for the person's page."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.consent import services as consent
from marketplace.consent.models import SubjectAccess
from marketplace.delivery.models import UsageRecord
from marketplace.extensions import db
from tests.builders import bearer_for
from tests.marketplace.consent.helpers import CATEGORIES, SUBJECT_ID, granted
from tests.marketplace.delivery.builders import (
    PURPOSE,
    active_contract,
)


def _read(client, contract, headers, subject=SUBJECT_ID, **params):
    return client.get(f"/api/v1/contracts/{contract.id}/records",
                      query_string={"purpose": PURPOSE, "subject": subject, **params}, headers=headers)


def test_the_consented_record_is_returned_masked_and_logged(client, world, contract):
    given = granted(world, contract)
    response = _read(client, contract, bearer_for(client, world.buyer, scopes=["delivery"]))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["record"] == {"name": "张三", "paid_months": "11"}
    assert body["subject"] != SUBJECT_ID and body["subject"][:3] == SUBJECT_ID[:3] and "*" in body["subject"]
    assert SUBJECT_ID not in response.get_data(as_text=True)
    assert body["consent_number"] == given.number and body["release"] == 1
    access = db.session.scalars(select(SubjectAccess)).one()
    assert (access.consent_id, access.fields, access.accessed_by_id) == (given.id, CATEGORIES, world.buyer.id)
    usage = db.session.scalars(select(UsageRecord)).one()
    assert (usage.kind, usage.units, usage.billable_minor) == ("records", 1, 50)


def test_a_subset_of_the_consented_fields(client, world, contract):
    granted(world, contract)
    response = _read(client, contract, bearer_for(client, world.buyer), fields="paid_months")
    assert response.status_code == 200 and response.json["record"] == {"paid_months": "11"}


def test_a_category_the_person_did_not_consent_to_is_refused(client, world, contract):
    granted(world, contract)
    response = _read(client, contract, bearer_for(client, world.buyer), fields="name,arrears")
    assert response.status_code == 403 and "arrears" in response.json["detail"]
    assert db.session.scalars(select(SubjectAccess)).all() == []


def test_without_consent_nothing_is_returned(client, world, contract):
    response = _read(client, contract, bearer_for(client, world.buyer))
    assert response.status_code == 403
    assert "no live consent of this person for your organisation and purpose" in response.json["detail"]


def test_a_person_asked_but_not_yet_granting_is_refused(client, world, contract):
    from tests.marketplace.consent.helpers import asked

    asked(world, contract)
    assert _read(client, contract, bearer_for(client, world.buyer)).status_code == 403


def test_another_recipient_has_no_consent(client, world, product, contract):
    granted(world, contract)
    other_bank = active_contract(world, product, buyer=world.buyer_b)
    response = _read(client, other_bank, bearer_for(client, world.buyer_b))
    assert response.status_code == 403 and "no live consent" in response.json["detail"]
    # Nor can the other bank use the first bank's contract.
    assert _read(client, contract, bearer_for(client, world.buyer_b)).status_code == 404


def test_withdrawal_refuses_the_next_read_through_a_token_issued_before(client, world, contract):
    headers = bearer_for(client, world.buyer)
    given = granted(world, contract)
    assert _read(client, contract, headers).status_code == 200
    consent.withdraw(given.id, actor=world.subject)
    response = _read(client, contract, headers)
    assert response.status_code == 403 and "no live consent" in response.json["detail"]
    # Earlier access records are kept.
    assert len(db.session.scalars(select(SubjectAccess)).all()) == 1


def test_an_invalid_subject_is_422(client, world, contract):
    granted(world, contract)
    response = _read(client, contract, bearer_for(client, world.buyer), subject="440703199001011234")
    assert response.status_code == 422


def test_a_person_missing_from_the_release_is_404(client, world, product):
    from compliance.identifiers import make_resident_id
    from marketplace.accounts import services as accounts
    from tests.builders import PASSWORD

    other_id = make_resident_id("44070319750505111")
    accounts.create_user(email="other@people.test", name="other", password=PASSWORD, role="subject",
                         org_uscc=None, id_number=other_id)
    contract = active_contract(world, product)
    person = accounts.user_by_email("other@people.test")
    asked_consent = consent.request_consent(contract_id=contract.id, id_number=other_id, categories=["name"],
                                            retention_days=30, actor=world.buyer)
    consent.grant(asked_consent.id, notice_hash=asked_consent.notice_hash, actor=person)
    response = _read(client, contract, bearer_for(client, world.buyer), subject=other_id)
    assert response.status_code == 404


def test_the_release_stores_no_raw_identity_number(world, product):
    from marketplace.delivery.models import ReleaseRow

    rows = db.session.scalars(select(ReleaseRow)).all()
    assert len(rows) == 40 and all(row.subject_hash and len(row.subject_hash) == 64 for row in rows)
    assert all(SUBJECT_ID not in str(row.data) and "id_number" not in row.data for row in rows)
