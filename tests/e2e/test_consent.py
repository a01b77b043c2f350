"""Consent in a real browser: the bank asks a person from its contract page, the person signs in, reads the notice
and grants, the public certificate page shows a valid signature, and the person withdraws on /my/data."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from marketplace.extensions import db
from tests.e2e.test_registration_flow import sign_in
from tests.marketplace.consent.helpers import SUBJECT_ID
from tests.trading_builders import personal_data_contract

pytestmark = pytest.mark.e2e


def test_bank_asks_person_grants_certificate_verifies_person_withdraws(app, world, open_context, results_dir):
    contract = personal_data_contract(world)
    contract_id, bank_email, person_email = contract.id, world.buyer.email, world.subject.email
    db.session.remove()  # the server has its own sessions

    bank = open_context().new_page()
    sign_in(bank, bank_email)
    bank.goto(f"/trading/contracts/{contract_id}")
    form = bank.locator("#consent-request-form")
    form.locator("#id_number").fill(SUBJECT_ID)
    form.locator("#category-id_number").uncheck()
    form.locator("#category-arrears").uncheck()
    form.locator("#retention_days").fill("30")
    form.locator("#purpose_text").fill("小额信贷审批 / small-loan approval")
    form.get_by_role("button", name="Ask for consent").click()
    expect(bank.locator(".flash-success")).to_be_visible()
    expect(bank.locator("#consents")).to_contain_text("Requested")
    expect(bank.locator("#consents")).not_to_contain_text(SUBJECT_ID)

    person = open_context().new_page()
    sign_in(person, person_email)
    person.get_by_role("link", name="My data").click()
    expect(person).to_have_url(re.compile(r"/my/data$"))
    notice = person.locator("#pending pre.consent-notice")
    expect(notice).to_contain_text("个人信息单独同意告知书")
    expect(notice).to_contain_text("paid_months")
    expect(notice).to_contain_text("small-loan approval")
    person.locator("#pending").get_by_role("button", name="I agree: grant consent").click()
    expect(person.locator(".flash-success")).to_contain_text("Consent granted")
    granted = person.locator("#granted article.consent-granted")
    expect(granted.locator(".certificate-qr svg")).to_be_visible()
    person.screenshot(path=str(results_dir / "consent-my-data.png"), full_page=True)

    certificate = open_context().new_page()  # whoever the link is shared with, signed in or not
    certificate.goto(granted.locator("a.mono").first.get_attribute("href"))
    expect(certificate.locator("#signature-status")).to_contain_text("Signature valid")
    expect(certificate.locator("#consent-status")).to_contain_text("in force")

    granted.get_by_role("button", name="Withdraw consent").click()
    expect(person.locator(".flash-success")).to_contain_text("Withdrawn")
    expect(person.locator("#granted")).to_contain_text("No consent in force")
    expect(person.locator("#history")).to_contain_text("Withdrawn")

    certificate.reload()
    expect(certificate.locator("#consent-status")).to_contain_text("Withdrawn")
    bank.reload()
    expect(bank.locator("#consents")).to_contain_text("Withdrawn")
