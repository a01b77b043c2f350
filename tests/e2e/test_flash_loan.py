"""The 闪电贷 path in a real browser: the bank asks a person for consent on its contract page, the person grants on
/my/data, the bank looks up their record, the person sees that access and withdraws in one click, and the bank's
next lookup is refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from marketplace.extensions import db
from tests.e2e.test_registration_flow import sign_in
from tests.marketplace.consent.helpers import SUBJECT_ID
from tests.marketplace.delivery.builders import PEOPLE_RELEASE_CSV, PER_CALL, active_contract, people_product, release

pytestmark = pytest.mark.e2e


def _look_up(bank, subject: str) -> None:
    form = bank.locator("#record-lookup-form")
    form.locator("#subject").fill(subject)
    form.get_by_role("button", name="Look up").click()
    expect(bank).to_have_url(re.compile(r"/trading/contracts/\d+/records$"))


def test_bank_asks_person_grants_bank_reads_person_withdraws_bank_is_refused(app, world, open_context, results_dir):
    # The records product with a per-call offer, its release (the person among 40), the bank's active contract.
    product = people_product(world, offers=(PER_CALL,), modes=["api"])
    release(world, product, PEOPLE_RELEASE_CSV)
    contract = active_contract(world, product)
    contract_id, bank_email, person_email = contract.id, world.buyer.email, world.subject.email
    bank_name = world.buyer.organization.name_en or world.buyer.organization.name
    db.session.remove()  # the server has its own sessions

    bank = open_context().new_page()
    sign_in(bank, bank_email)
    bank.goto(f"/trading/contracts/{contract_id}")
    ask = bank.locator("#consent-request-form")
    ask.locator("#id_number").fill(SUBJECT_ID)
    ask.locator("#category-id_number").uncheck()
    ask.locator("#category-arrears").uncheck()
    ask.locator("#retention_days").fill("90")
    ask.locator("#purpose_text").fill("闪电贷授信审批 / flash-loan credit approval")
    ask.get_by_role("button", name="Ask for consent").click()
    expect(bank.locator("#consents")).to_contain_text("Requested")
    expect(bank.locator("#delivery #record-lookup-form")).to_be_visible()

    # Before the person decides, the lookup is refused.
    _look_up(bank, SUBJECT_ID)
    expect(bank.locator("#record-result")).to_contain_text("no live consent")

    person = open_context().new_page()
    sign_in(person, person_email)
    person.goto("/my/data")
    notice = person.locator("#pending pre.consent-notice")
    expect(notice).to_contain_text("个人信息单独同意告知书")
    expect(notice).to_contain_text("flash-loan credit approval")
    expect(notice).to_contain_text("paid_months")
    person.locator("#pending").get_by_role("button", name="I agree: grant consent").click()
    expect(person.locator(".flash-success")).to_contain_text("Consent granted")

    _look_up(bank, SUBJECT_ID)
    result = bank.locator("#record-result")
    expect(result.locator(".record-table")).to_contain_text("张三")
    expect(result.locator(".record-table")).to_contain_text("paid_months")
    expect(result.locator(".record-table")).not_to_contain_text("arrears")
    expect(result).to_contain_text(SUBJECT_ID[:3])
    assert SUBJECT_ID not in bank.content()  # masked only, and the form is not filled back in
    bank.screenshot(path=str(results_dir / "flash-loan-record.png"), full_page=True)

    person.reload()
    access = person.locator("#accesses .accesses-table tbody tr")
    expect(access).to_have_count(1)
    expect(access).to_contain_text(bank_name)
    expect(access).to_contain_text("paid_months")
    person.screenshot(path=str(results_dir / "flash-loan-my-data.png"), full_page=True)
    person.locator("#granted").get_by_role("button", name="Withdraw consent").click()
    expect(person.locator(".flash-success")).to_contain_text("Withdrawn")

    _look_up(bank, SUBJECT_ID)
    result = bank.locator("#record-result")
    expect(result).to_contain_text("Refused")
    expect(result.locator("#refusal-withdrawn")).to_contain_text("withdrew consent")
    expect(result.locator(".record-table")).to_have_count(0)
    assert SUBJECT_ID not in bank.content()
    bank.screenshot(path=str(results_dir / "flash-loan-refused.png"), full_page=True)
