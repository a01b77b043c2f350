"""Consent use cases without HTTP: ask, grant, refuse, withdraw, expire; live_consent's every denial; the
certificate's signature; the bank told of a withdrawal."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import select

from compliance import consent as notices
from compliance import signing
from compliance.digest import canonical_json
from marketplace import keys
from marketplace.consent import services
from marketplace.consent.states import CONSENT, ConsentState
from marketplace.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.lifecycle import history
from marketplace.notifications.models import Notification
from marketplace.trading import services as trading
from marketplace.types import utcnow
from tests.marketplace.consent.helpers import CATEGORIES, SUBJECT_ID, asked, granted
from tests.trading_builders import personal_data_contract


@pytest.fixture
def contract(world):
    return personal_data_contract(world)


def _live(contract, consent_hash, categories=CATEGORIES, now=None):
    return services.live_consent(subject_hash=consent_hash, contract=contract, categories=categories, now=now)


def test_a_request_stores_the_exact_notice_naming_the_bank(world, contract):
    consent = asked(world, contract)
    assert consent.state == "requested" and consent.subject_user_id == world.subject.id
    assert consent.notice_hash == notices.notice_hash(consent.notice_text)
    for expected in (world.bank.name, world.bank.uscc, "王敏", "name、paid_months", "30", contract.number,
                     "http://localhost/my/data", "小额信贷审批"):
        assert expected in consent.notice_text
    assert SUBJECT_ID not in consent.notice_text
    assert consent.valid_until == contract.ends_at


def test_grant_signs_a_certificate_that_verifies_and_a_tampered_one_fails(world, contract):
    consent = granted(world, contract)
    assert consent.state == "granted" and consent.number.startswith("JMDE-")
    doc = consent.certificate
    assert doc["recipient"]["uscc"] == world.bank.uscc and doc["categories"] == CATEGORIES
    assert doc["subject"]["id_number"] == world.subject.id_number_masked and SUBJECT_ID not in str(doc)
    assert doc["subject"]["name"] != world.subject.name  # masked on a public document
    assert services.verify_certificate(consent)
    public_key = keys.public_keys()[consent.key_id]
    assert signing.verify_signature(public_key, canonical_json(doc), base64.b64decode(consent.signature))
    tampered = {**doc, "categories": [*CATEGORIES, "arrears"]}
    assert not signing.verify_signature(public_key, canonical_json(tampered), base64.b64decode(consent.signature))
    consent.certificate = tampered
    assert not services.verify_certificate(consent)
    db.session.rollback()


def test_grant_with_another_notice_hash_is_a_conflict(world, contract):
    consent = asked(world, contract)
    with pytest.raises(Conflict):
        services.grant(consent.id, notice_hash="0" * 64, actor=world.subject)
    assert db.session.get(type(consent), consent.id).state == "requested"


def test_only_the_person_decides(world, contract):
    consent = asked(world, contract)
    with pytest.raises(NotFound):
        services.grant(consent.id, notice_hash=consent.notice_hash, actor=_other_subject())
    with pytest.raises(Forbidden):
        services.grant(consent.id, notice_hash=consent.notice_hash, actor=world.buyer)
    with pytest.raises(NotFound):
        services.withdraw(consent.id, actor=world.buyer_b)
    assert consent.state == "requested"


def _other_subject():
    from compliance.identifiers import make_resident_id
    from marketplace.accounts import services as accounts
    from tests.builders import PASSWORD

    return accounts.create_user(email="other@people.test", name="other", password=PASSWORD, role="subject",
                                org_uscc=None, id_number=make_resident_id("44070319920202456"))


def test_requests_are_checked(world, contract):
    with pytest.raises(ValidationFailed) as caught:
        asked(world, contract, categories=["name", "salary"])
    assert "categories" in caught.value.errors
    with pytest.raises(ValidationFailed):
        asked(world, contract, retention_days=0)
    with pytest.raises(NotFound):
        asked(world, contract, id_number="44070319991231999X")
    with pytest.raises((NotFound, Forbidden)):
        asked(world, contract, actor=world.buyer_b)  # another bank, someone else's contract
    with pytest.raises(Forbidden):
        asked(world, contract, actor=world.broker_a)  # the provider cannot ask on the bank's behalf
    asked(world, contract)
    with pytest.raises(Conflict):
        asked(world, contract)  # one open question at a time


def test_no_consent_is_asked_for_a_product_without_personal_information(world):
    from tests.trading_builders import FREE, listed_with, signed_contract

    product, offers = listed_with(world, FREE)
    contract = signed_contract(world, product, offers["Free trial"])
    assert contract.state == "active"
    with pytest.raises(Conflict):
        asked(world, contract, categories=["kwh"])


def test_refusing_blocks_only_this_request(world, contract):
    consent = asked(world, contract)
    services.refuse(consent.id, actor=world.subject)
    assert consent.state == "refused" and _live(contract, consent.subject_hash) is None
    again = granted(world, contract)
    assert _live(contract, again.subject_hash) == again


def test_live_consent_denies_every_mismatch(world, contract):
    consent = granted(world, contract)
    subject_hash = consent.subject_hash
    assert _live(contract, subject_hash) == consent
    assert _live(contract, subject_hash, ["name"]) == consent
    assert _live(contract, subject_hash, ["name", "arrears"]) is None, "a missing category"
    assert _live(contract, "0" * 64) is None, "another person"
    assert _live(contract, subject_hash, now=consent.valid_until + timedelta(seconds=1)) is None, "expired"
    other_bank = personal_data_contract(world, buyer=world.buyer_b)
    assert _live(other_bank, subject_hash) is None, "another recipient"
    # The consent keeps the purpose it was given for; a contract whose purpose differs gets nothing under it.
    contract.request.scenario = "marketing"
    assert _live(contract, subject_hash) is None, "another purpose"
    db.session.rollback()


def test_widening_needs_a_new_consent(world, contract):
    narrow = granted(world, contract, categories=["name"])
    assert _live(contract, narrow.subject_hash, ["name", "paid_months"]) is None
    with pytest.raises(Conflict):
        asked(world, contract, categories=["name"])  # already covered
    wide = granted(world, contract, categories=["name", "paid_months"])
    assert _live(contract, wide.subject_hash, ["name", "paid_months"]) == wide
    services.withdraw(wide.id, actor=world.subject)
    assert _live(contract, wide.subject_hash, ["name", "paid_months"]) is None
    assert _live(contract, wide.subject_hash, ["name"]) == narrow


def test_withdrawal_stops_the_next_read_keeps_history_and_tells_the_bank(world, contract):
    consent = granted(world, contract)
    services.record_access(consent, contract=contract, fields=["name"], actor=world.buyer)
    db.session.commit()
    services.withdraw(consent.id, actor=world.subject)
    assert consent.state == "withdrawn" and _live(contract, consent.subject_hash) is None
    assert consent.erasure_due_at == consent.withdrawn_at + timedelta(days=services.ERASURE_DAYS)
    assert [c.to_state for c in history(CONSENT.name, [consent.id])] == ["requested", "granted", "withdrawn"]
    assert len(services.accesses_of_subject(actor=world.subject)) == 1, "earlier accesses are kept"
    told = db.session.scalars(select(Notification).where(Notification.event == "consent.withdraw")).all()
    assert {n.user_id for n in told} == {world.buyer.id}
    assert told[0].params["erasure_due"] == f"{consent.erasure_due_at:%Y-%m-%d}"
    assert not db.session.scalars(select(Notification).where(
        Notification.event.like("consent.%"), Notification.org_id == world.provider_a.id)).all(), \
        "the provider is not told who consents"
    with pytest.raises(InvalidTransition):
        services.withdraw(consent.id, actor=world.subject)


def test_expire_due_ends_consents_at_their_validity_and_when_the_contract_ends(world, contract):
    consent = granted(world, contract)
    pending = asked(world, personal_data_contract(world))
    assert services.expire_due() == {"consents_expired": 0}
    # The second contract started a moment later (seconds, on a busy machine), so its validity ends later too.
    ended = max(consent.valid_until, pending.valid_until) + timedelta(seconds=1)
    assert services.expire_due(now=ended) == {"consents_expired": 2}
    assert (consent.state, pending.state) == ("expired", "expired")
    assert services.expire_due(now=ended + timedelta(days=1)) == {"consents_expired": 0}

    again = personal_data_contract(world)
    live = granted(world, again)
    trading.terminate_contract(again.id, reason="fraud", actor=world.admin)
    assert _live(again, live.subject_hash) is None
    assert services.expire_due() == {"consents_expired": 1} and live.state == "expired"


def test_a_lapsed_request_cannot_be_granted(world, contract):
    import time_machine

    consent = asked(world, contract)
    with time_machine.travel(consent.valid_until + timedelta(minutes=1)), pytest.raises(Conflict):
        services.grant(consent.id, notice_hash=consent.notice_hash, actor=world.subject)


def test_the_subject_lists_their_consents_and_accesses_only(world, contract):
    consent = granted(world, contract)
    services.record_access(consent, contract=contract, fields=["name", "paid_months"], actor=world.buyer)
    db.session.commit()
    assert services.consents_of_subject(actor=world.subject) == [consent]
    assert [a.fields for a in services.accesses_of_subject(actor=world.subject)] == [["name", "paid_months"]]
    assert services.consents_of_subject(actor=_other_subject()) == []
    with pytest.raises(Forbidden):
        services.consents_of_subject(actor=world.buyer)
    assert services.consents_of_contract(contract, actor=world.buyer) == [consent]
    assert services.consents_of_contract(contract, actor=world.broker_a) == [], "the provider sees none"
    assert services.count_live(subject_hash=consent.subject_hash) == 1
    assert utcnow() < consent.valid_until


def test_of_two_consents_covering_a_read_the_newest_is_used(app, world):
    contract = personal_data_contract(world)
    narrow = granted(world, contract, ["name"])
    wider = granted(world, contract, ["name", "paid_months"])  # widening is a new consent, the old one holds
    assert narrow.state == wider.state == ConsentState.GRANTED
    for categories in (["name"], ["name", "paid_months"]):
        found = services.live_consent(subject_hash=narrow.subject_hash, contract=contract, categories=categories)
        assert found.id == wider.id, categories
