"""Trading in a real browser: a buyer requests access from the listing page, the broker approves, both sign
with their password, the buyer pays by bank transfer, exchange finance confirms, and the contract is active;
and a broker declines a request with a reason the buyer reads."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from marketplace.extensions import db
from tests.builders import PASSWORD
from tests.e2e.test_registration_flow import sign_in
from tests.trading_builders import ONE_OFF, REQUEST, listed_with, requested

pytestmark = pytest.mark.e2e


def _people(world) -> dict:
    people = {role: getattr(world, role).email for role in ("buyer", "broker_a", "finance")}
    db.session.remove()  # the server has its own sessions
    return people


def test_request_approve_sign_pay_and_confirm(app, world, open_context, results_dir):
    product, offers = listed_with(world, ONE_OFF)
    product_id, offer_id = product.id, offers["One-off"].id
    people = _people(world)

    buyer = open_context().new_page()
    sign_in(buyer, people["buyer"])
    buyer.goto(f"/listings/{product_id}")
    form = buyer.locator("#request-access")
    form.locator("#offer_id").select_option(str(offer_id))
    form.locator("#scenario").select_option(REQUEST["scenario"])
    form.locator("#purpose").fill(REQUEST["purpose"])
    form.locator("#legal_basis").select_option(REQUEST["legal_basis"])
    form.locator("#term_months").fill("12")
    form.locator("#expected_volume").fill(REQUEST["expected_volume"])
    expect(form).to_contain_text("XB-01")  # delivery abroad brings the cross-border rules
    form.locator("#responsible_person").fill(REQUEST["responsible_person"])
    form.locator("#responsible_contact").fill(REQUEST["responsible_contact"])
    form.get_by_role("button", name="Request access").click()
    expect(buyer).to_have_url(re.compile(r"/trading/requests/\d+$"))
    expect(buyer.locator(".flash-success")).to_contain_text("Request sent")
    expect(buyer.locator("#request")).to_contain_text("Expires if not decided")
    request_path = re.search(r"/trading/requests/\d+$", buyer.url).group(0)

    broker = open_context().new_page()
    sign_in(broker, people["broker_a"])
    broker.get_by_role("link", name="Requests", exact=True).click()
    broker.locator("#received").get_by_role("link", name=re.compile(r"^#\d+$")).click()
    expect(broker).to_have_url(re.compile(re.escape(request_path) + "$"))
    broker.locator("#decision").get_by_role("button", name="Approve").click()
    expect(broker).to_have_url(re.compile(r"/trading/contracts/\d+$"))
    contract_url = broker.url
    expect(broker.locator("#text-zh")).to_contain_text("数据提供合同")
    expect(broker.locator("#text-en")).to_contain_text("Data provision contract")
    expect(broker.locator("#money")).to_contain_text("¥12,345.50")

    # A wrong password signs nothing.
    broker.fill("#password", "not my password 42")
    broker.get_by_role("button", name="Sign the contract").click()
    expect(broker.locator("#password-errors")).to_be_visible()
    broker.fill("#password", PASSWORD)
    broker.get_by_role("button", name="Sign the contract").click()
    expect(broker.locator(".flash-success")).to_contain_text("waits for the other party")
    expect(broker.locator("#signatures .signature-provider")).to_contain_text("Password re-entered")

    buyer.goto(contract_url)
    buyer.fill("#password", PASSWORD)
    buyer.get_by_role("button", name="Sign the contract").click()
    expect(buyer.locator("#contract-state")).to_contain_text("Awaiting payment")
    expect(buyer.locator("#signatures .signature-exchange")).to_be_visible()

    buyer.locator("#payment").get_by_label("Bank transfer").check()
    buyer.get_by_role("button", name="Pay", exact=True).click()
    reference = buyer.locator("#payment-reference")
    expect(reference).to_be_visible()
    reference_text = reference.inner_text().strip()
    expect(buyer.locator("#transfer-instructions")).to_contain_text("¥12,345.50")
    buyer.screenshot(path=results_dir / "contract-awaiting-payment-en.png", full_page=True)

    finance = open_context().new_page()
    sign_in(finance, people["finance"])
    finance.get_by_role("link", name="Settlements").first.click()
    row = finance.locator("tr", has_text=reference_text)
    row.locator("input[name=bank_reference]").fill("ICBC-20261128-0042")
    row.get_by_role("button", name="Confirm receipt").click()
    expect(finance.locator(".flash-success")).to_contain_text("confirmed")
    expect(finance.locator("tr", has_text=reference_text)).to_have_count(0)

    buyer.reload()
    expect(buyer.locator("#contract-state")).to_contain_text("Active")
    expect(buyer.locator("#payment")).to_contain_text("ICBC-20261128-0042")
    buyer.goto("/dashboard")
    expect(buyer.locator("#money-panel svg")).to_have_count(1)
    buyer.screenshot(path=results_dir / "dashboard-buyer-en.png", full_page=True)


def test_the_broker_declines_with_a_reason_the_buyer_reads(app, world, open_context):
    product, offers = listed_with(world, ONE_OFF)
    request_id = requested(world, product, offers["One-off"]).id
    people = _people(world)

    broker = open_context().new_page()
    sign_in(broker, people["broker_a"])
    expect(broker.locator("#trading-panel")).to_contain_text("Requests to decide")
    broker.goto(f"/trading/requests/{request_id}")
    broker.locator("#decision").get_by_role("button", name="Decline").click()
    expect(broker.locator("#reason-errors")).to_be_visible()  # a decline needs a reason
    broker.fill("#reason", "用途与数据不符 / the purpose does not fit the data")
    broker.locator("#decision").get_by_role("button", name="Decline").click()
    expect(broker.locator(".flash-success")).to_contain_text("Declined")
    expect(broker.locator("#decision")).to_have_count(0)

    buyer = open_context().new_page()
    sign_in(buyer, people["buyer"])
    buyer.goto("/trading/requests")
    expect(buyer.locator(f"#request-{request_id}")).to_contain_text("Declined")
    buyer.locator(f"#request-{request_id}").get_by_role("link").click()
    expect(buyer.locator("#request")).to_contain_text("用途与数据不符")
    expect(buyer.locator("#timeline")).to_contain_text("Declined")


def test_card_payment_through_the_stripe_mock_activates_the_contract(app, world, open_context, live_server,
                                                                    stripe_api_base):
    """The buyer pays by card: a PaymentIntent is created on the Stripe mock (Prism), Stripe's signed
    `payment_intent.succeeded` arrives over real HTTP at /webhooks/stripe, and the contract page says Active."""
    import json
    import urllib.request

    from marketplace.payments.models import Payment
    from tests.marketplace.payments.test_stripe import SECRET, event, sign
    from tests.trading_builders import signed_contract

    app.config.update(STRIPE_API_KEY="sk_test_123", STRIPE_API_BASE=stripe_api_base, STRIPE_WEBHOOK_SECRET=SECRET)
    product, offers = listed_with(world, ONE_OFF)
    contract_id = signed_contract(world, product, offers["One-off"]).id
    people = _people(world)

    buyer = open_context().new_page()
    sign_in(buyer, people["buyer"])
    buyer.goto(f"/trading/contracts/{contract_id}")
    expect(buyer.locator("#contract-state")).to_contain_text("Awaiting payment")
    buyer.locator("#payment").get_by_label("Card, through Stripe").check()
    buyer.get_by_role("button", name="Pay", exact=True).click()
    expect(buyer.locator("#card-instructions")).to_contain_text("Awaiting card confirmation")
    expect(buyer.locator("body")).not_to_contain_text("client_secret")

    payment = db.session.query(Payment).filter_by(contract_id=contract_id).one()
    assert payment.provider == "stripe" and payment.stripe_payment_intent
    body = event("evt_browser_1", "payment_intent.succeeded", payment)
    db.session.remove()
    request = urllib.request.Request(f"{live_server}/webhooks/stripe", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "Stripe-Signature": sign(body)})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200 and json.load(response)["outcome"] == "applied"

    buyer.reload()
    expect(buyer.locator("#contract-state")).to_contain_text("Active")
    expect(buyer.locator("#payment")).to_contain_text("Card (Stripe)")
