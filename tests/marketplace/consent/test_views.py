"""The consent web UI: the bank asks from the contract page, the person reads the notice on /my/data (zh and en),
grants, sees the certificate with its QR code and every access, withdraws in one step; the public certificate page
shows whether the signature holds."""

from __future__ import annotations

import html
import re

import flask_babel
import pytest

from marketplace.consent import services
from marketplace.extensions import db
from tests.marketplace.consent.helpers import SUBJECT_ID, asked, granted
from tests.marketplace.test_web import _csrf, _sign_in
from tests.trading_builders import personal_data_contract


@pytest.fixture
def contract(world):
    return personal_data_contract(world)


def _client(app, user):
    client = app.test_client()
    assert _sign_in(client, user.email).status_code == 302
    return client


def _page(client, url, status=200):
    flask_babel.refresh()
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return html.unescape(response.get_data(as_text=True))


def test_the_bank_asks_from_the_contract_page(app, world, contract):
    bank = _client(app, world.buyer)
    page = _page(bank, f"/trading/contracts/{contract.id}?lang=en")
    assert 'id="consent-request-form"' in page and 'value="id_number"' in page and 'value="month"' not in page
    response = bank.post(f"/trading/contracts/{contract.id}/consents", data={
        "csrf_token": _csrf(page), "id_number": SUBJECT_ID, "categories": ["name", "paid_months"],
        "retention_days": "30", "purpose_text": "small-loan approval"})
    assert response.status_code == 302 and response.location.endswith("#consents")
    page = _page(bank, f"/trading/contracts/{contract.id}?lang=en")
    assert world.subject.id_number_masked in page and SUBJECT_ID not in page and "Requested" in page

    bad = bank.post(f"/trading/contracts/{contract.id}/consents", data={
        "csrf_token": _csrf(page), "id_number": SUBJECT_ID, "categories": ["salary"], "retention_days": "30"})
    assert bad.status_code == 302
    assert "salary" in _page(bank, f"/trading/contracts/{contract.id}?lang=en")

    provider = _client(app, world.broker_a)
    page = _page(provider, f"/trading/contracts/{contract.id}?lang=en")
    assert 'id="consents"' not in page, "the provider sees no one's consent"
    other = _client(app, world.buyer_b)
    assert other.post(f"/trading/contracts/{contract.id}/consents", data={
        "csrf_token": _csrf(_page(other, "/dashboard")),
        "id_number": SUBJECT_ID, "categories": ["name"], "retention_days": "30"}).status_code in (302, 403, 404)
    assert len(services.consents_of_contract(contract, actor=world.buyer)) == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_person_reads_grants_sees_accesses_and_withdraws(app, world, contract, lang):
    consent = asked(world, contract)
    person = _client(app, world.subject)
    page = _page(person, f"/my/data?lang={lang}")
    assert consent.notice_text.strip().splitlines()[0] in page
    assert f'value="{consent.notice_hash}"' in page
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in page
    response = person.post(f"/my/data/consents/{consent.id}/grant",
                           data={"csrf_token": _csrf(page), "notice_hash": consent.notice_hash})
    assert response.status_code == 302
    db.session.expire_all()
    assert consent.state == "granted"
    services.record_access(consent, contract=contract, fields=["name", "paid_months"], actor=world.buyer)
    db.session.commit()

    page = _page(person, f"/my/data?lang={lang}")
    assert consent.number in page and "<svg" in page and 'id="withdraw-' in page
    accesses = page[page.index('id="accesses"'):page.index('id="history"')]
    assert "paid_months" in accesses and world.buyer.name in accesses and consent.number in accesses

    certificate = _page(app.test_client(), f"/personal-certificates/{consent.number}?lang={lang}")
    assert 'id="signature-status"' in certificate and "<svg" in certificate
    assert 'class="alert alert-success" id="signature-status"' in certificate

    response = person.post(f"/my/data/consents/{consent.id}/withdraw", data={"csrf_token": _csrf(page)})
    assert response.status_code == 302
    db.session.expire_all()
    assert consent.state == "withdrawn"
    page = _page(person, f"/my/data?lang={lang}")
    history = page[page.index('id="history"'):]
    assert consent.number in history
    assert "paid_months" in page[page.index('id="accesses"'):page.index('id="history"')], "accesses are kept"


def test_the_certificate_page_says_when_the_signature_fails(app, world, contract):
    consent = granted(world, contract)
    page = _page(app.test_client(), f"/personal-certificates/{consent.number}?lang=en")
    assert "Signature valid" in page and "The consent is in force" in page
    consent.certificate = {**consent.certificate, "categories": ["name", "arrears"]}
    db.session.commit()
    page = _page(app.test_client(), f"/personal-certificates/{consent.number}?lang=en")
    assert "Signature NOT valid" in page
    _page(app.test_client(), "/personal-certificates/JMDE-2026-S-000000", 404)


def test_forms_need_their_token_and_the_right_person(app, world, contract):
    consent = asked(world, contract)
    person = _client(app, world.subject)
    assert person.post(f"/my/data/consents/{consent.id}/grant",
                       data={"notice_hash": consent.notice_hash}).status_code == 400
    bank = _client(app, world.buyer)
    page = _page(bank, "/dashboard")
    bank.post(f"/my/data/consents/{consent.id}/grant", data={"csrf_token": _csrf(page),
                                                             "notice_hash": consent.notice_hash})
    db.session.expire_all()
    assert consent.state == "requested"
    assert bank.get("/my/data").status_code == 403
    assert app.test_client().get("/my/data").status_code == 302
    assert re.search(r"/my/data", _page(person, "/dashboard?lang=en"))
