"""The trading web UI through the test client: every page renders for each role in both languages, nobody
sees another bank's contract, forms need their CSRF token, signing needs the password, and the whole path
request → approve → sign twice → pay by transfer → finance confirms → active works through the HTML forms."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import flask_babel
import pytest

from marketplace.payments import reports
from marketplace.payments import services as payments
from marketplace.trading import services as trading
from tests.builders import PASSWORD
from tests.marketplace.test_web import _csrf, _sign_in
from tests.trading_builders import (
    NEGOTIABLE,
    ONE_OFF,
    REQUEST,
    approved_contract,
    listed_with,
    requested,
    signed_contract,
)

ROLES = ("buyer", "broker_a", "admin", "finance")


def _client(app, world, role):
    client = app.test_client()
    response = _sign_in(client, getattr(world, role).email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _page(client, url, status=200, **kwargs):
    flask_babel.refresh()
    response = client.get(url, **kwargs)
    assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:2000])
    return response.get_data(as_text=True)


def _post(client, url, data, page_url=None):
    """Post a form with the CSRF token of the page it sits on, as a browser would."""
    token = _csrf(_page(client, page_url or url))
    flask_babel.refresh()
    return client.post(url, data={**data, "csrf_token": token})


@pytest.fixture
def trade(world):
    """A pending request, and a contract awaiting payment with a bank transfer started."""
    product, offers = listed_with(world, ONE_OFF, NEGOTIABLE)
    contract = signed_contract(world, product, offers["One-off"])
    payment = payments.start_payment(contract.id, method="offline", actor=world.buyer)
    pending = requested(world, product, offers["Negotiable"], purpose="第二个用途 / second purpose")
    return {"product": product.id, "offers": {k: v.id for k, v in offers.items()}, "contract": contract.id,
            "payment": payment.id, "request": pending.id, "contract_request": contract.request_id}


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_pages_render_for_each_role_in_both_languages(app, world, trade, role, language):
    client = _client(app, world, role)
    _page(client, f"/?lang={language}")  # the choice sticks for the session
    urls = ["/trading/requests", f"/trading/requests/{trade['request']}", "/trading/contracts",
            f"/trading/contracts/{trade['contract']}", "/dashboard", f"/listings/{trade['product']}"]
    if role in ("admin", "finance"):
        urls.append("/finance/settlements")
    if role == "buyer":
        urls.append(f"/trading/listings/{trade['product']}/request")
    html_lang = 'lang="zh-CN"' if language == "zh" else 'lang="en"'
    for url in urls:
        page = _page(client, url)
        assert f"<html {html_lang}>" in page, url
    contract_page = _page(client, f"/trading/contracts/{trade['contract']}")
    assert "数据提供合同" in contract_page and "Data provision contract" in contract_page
    assert '"@type": "Agreement"' in html.unescape(contract_page)  # the ODRL policy, pretty-printed
    assert "¥12,345.50" in contract_page and "¥308.64" in contract_page and "¥12,036.86" in contract_page
    dashboard = _page(client, "/dashboard")
    assert 'id="money-panel"' in dashboard
    listing = _page(client, f"/listings/{trade['product']}")
    assert ('id="request-form"' in listing) == (role == "buyer")
    settlements = "/finance/settlements" in _page(client, "/trading/contracts")
    assert settlements == (role in ("admin", "finance"))


def test_a_buyer_sees_the_pay_section_and_the_reference(app, world, trade):
    payment = payments.get_payment(trade["payment"], actor=world.buyer)
    page = _page(_client(app, world, "buyer"), f"/trading/contracts/{trade['contract']}")
    assert payment.reference in page and 'id="transfer-instructions"' in page
    assert 'id="pay-form"' not in page  # already being paid


def test_another_bank_or_provider_sees_nothing(app, world, trade):
    for role in ("buyer_b", "broker_b"):
        client = _client(app, world, role)
        _page(client, f"/trading/contracts/{trade['contract']}", 404)
        _page(client, f"/trading/requests/{trade['request']}", 404)
        page = _page(client, "/trading/contracts")
        assert f"/trading/contracts/{trade['contract']}" not in page
        token = _csrf(_page(client, "/trading/contracts"))
        contract = trading.get_contract(trade["contract"], actor=world.buyer)
        response = client.post(f"/trading/contracts/{trade['contract']}/sign",
                                data={"csrf_token": token, "password": PASSWORD,
                                      "document_hash": contract.document_hash})
        assert response.status_code == 404
        response = client.post(f"/trading/contracts/{trade['contract']}/pay",
                               data={"csrf_token": token, "method": "offline"})
        assert response.status_code == 404
        assert len(payments.payments_of(contract)) == 1


def test_staff_and_parties_only(app, world, trade):
    _page(_client(app, world, "buyer"), "/finance/settlements", 403)
    _page(_client(app, world, "reviewer"), "/trading/contracts", 403)
    anonymous = app.test_client()
    assert anonymous.get("/trading/requests").status_code == 302  # to sign in


def test_forms_without_the_csrf_token_are_refused(app, world, trade):
    buyer, broker = _client(app, world, "buyer"), _client(app, world, "broker_a")
    finance = _client(app, world, "finance")
    contract = trading.get_contract(trade["contract"], actor=world.buyer)
    refused = [
        (buyer, f"/trading/listings/{trade['product']}/request",
         {**REQUEST, "offer_id": trade["offers"]["One-off"]}),
        (broker, f"/trading/requests/{trade['request']}/decision", {"decision": "approve", "price": "8800"}),
        (buyer, f"/trading/requests/{trade['request']}/withdraw", {}),
        (buyer, f"/trading/contracts/{trade['contract']}/sign",
         {"password": PASSWORD, "document_hash": contract.document_hash}),
        (buyer, f"/trading/contracts/{trade['contract']}/pay", {"method": "offline"}),
        (finance, f"/finance/settlements/{trade['payment']}/confirm", {"bank_reference": "ICBC-1"}),
    ]
    for client, url, data in refused:
        assert client.post(url, data=data).status_code == 400, url
    assert trading.get_request(trade["request"], actor=world.buyer).state == "pending"
    assert payments.get_payment(trade["payment"], actor=world.buyer).state == "requires_payment"


def test_signing_with_a_wrong_password_is_refused(app, world):
    product, offers = listed_with(world, ONE_OFF)
    contract = approved_contract(world, product, offers["One-off"])
    client = _client(app, world, "buyer")
    url = f"/trading/contracts/{contract.id}"
    response = _post(client, f"{url}/sign", {"password": "not my password 1", "document_hash": contract.document_hash,
                                            "lock_version": str(contract.lock_version)}, url)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert 'id="password-errors"' in page and 'id="sign-form"' in page
    response = _post(client, f"{url}/sign", {"password": PASSWORD, "document_hash": "0" * 64}, url)
    assert response.status_code == 409  # another text than the one on the page
    assert trading.get_contract(contract.id, actor=world.buyer).signatures == []


def _contract_id_from(response) -> int:
    return int(re.search(r"/trading/contracts/(\d+)$", response.headers["Location"]).group(1))


def test_request_approve_sign_pay_confirm_through_the_forms(app, world):
    product, offers = listed_with(world, ONE_OFF, NEGOTIABLE)
    buyer, broker, finance = (_client(app, world, role) for role in ("buyer", "broker_a", "finance"))
    listing_url = f"/listings/{product.id}"

    # A mistake comes back with the field's error and what was typed.
    form = {**REQUEST, "offer_id": str(offers["Negotiable"].id), "term_months": "24"}
    response = _post(buyer, f"/trading/listings/{product.id}/request", form, listing_url)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="term_months-errors"' in page and REQUEST["purpose"] in page

    response = _post(buyer, f"/trading/listings/{product.id}/request", {**form, "term_months": "12"}, listing_url)
    assert response.status_code == 302, response.get_data(as_text=True)
    request_url = response.headers["Location"].removeprefix("http://localhost")
    assert request_url in _page(buyer, "/trading/requests")
    detail = _page(broker, request_url)
    assert 'id="decision"' in detail and 'name="price"' in detail

    decision = f"{request_url}/decision"
    response = _post(broker, decision, {"decision": "approve", "price": "1.005"}, request_url)
    assert response.status_code == 422 and 'id="price-errors"' in response.get_data(as_text=True)
    response = _post(broker, decision, {"decision": "approve", "price": ""}, request_url)
    assert response.status_code == 422 and 'id="price-errors"' in response.get_data(as_text=True)
    response = _post(broker, decision, {"decision": "approve", "price": "8,800.00", "reason": "价格已协商"},
                     request_url)
    assert response.status_code == 302, response.get_data(as_text=True)
    contract_id = _contract_id_from(response)
    contract_url = f"/trading/contracts/{contract_id}"
    contract = trading.get_contract(contract_id, actor=world.buyer)
    assert contract.amount_minor == 880_000 and contract.fee_minor == 22_000

    for client in (buyer, broker):
        page = _page(client, contract_url)
        document_hash = re.search(r'name="document_hash" value="([0-9a-f]{64})"', page).group(1)
        response = _post(client, f"{contract_url}/sign", {"password": PASSWORD, "document_hash": document_hash},
                         contract_url)
        assert response.status_code == 302, response.get_data(as_text=True)
    page = _page(buyer, contract_url)
    assert 'id="sign-form"' not in page and 'id="pay-form"' in page
    assert 'value="stripe"' not in page  # Stripe is not configured here

    response = _post(buyer, f"{contract_url}/pay", {"method": "offline"}, contract_url)
    assert response.status_code == 302
    payment = payments.payments_of(trading.get_contract(contract_id, actor=world.buyer))[0]
    assert payment.reference in _page(buyer, contract_url)

    queue = _page(finance, "/finance/settlements")
    assert payment.reference in queue
    confirm = f"/finance/settlements/{payment.id}/confirm"
    response = _post(finance, confirm, {"bank_reference": " "}, "/finance/settlements")
    assert response.status_code == 422 and f'id="bank_reference-{payment.id}-errors"' in response.get_data(as_text=True)
    response = _post(finance, confirm, {"bank_reference": "ICBC-20261128-0042",
                                        "lock_version": str(payment.lock_version)}, "/finance/settlements")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert trading.get_contract(contract_id, actor=world.buyer).state == "active"
    assert 'badge-active' in _page(buyer, contract_url)
    assert f'id="settlement-{payment.id}"' not in _page(finance, "/finance/settlements")

    # The money shows on each side's dashboard.
    assert "¥8,800.00" in _page(buyer, "/dashboard")  # spending
    assert "¥8,580.00" in _page(broker, "/dashboard")  # revenue after the 2.5% fee
    finance_dashboard = _page(finance, "/dashboard")
    assert "¥220.00" in finance_dashboard and "<svg" in finance_dashboard


def test_decline_withdraw_and_resubmit_through_the_forms(app, world):
    product, offers = listed_with(world, ONE_OFF)
    buyer, broker = _client(app, world, "buyer"), _client(app, world, "broker_a")
    access_request = requested(world, product, offers["One-off"])
    url = f"/trading/requests/{access_request.id}"

    response = _post(buyer, f"{url}/withdraw", {"reason": "换个用途"}, url)
    assert response.status_code == 302
    page = _page(buyer, url)
    assert 'id="resubmit"' in page and "换个用途" in page
    response = _post(buyer, f"{url}/resubmit", {**REQUEST, "purpose": ""}, url)
    assert response.status_code == 422 and 'id="purpose-errors"' in response.get_data(as_text=True)
    response = _post(buyer, f"{url}/resubmit", {**REQUEST, "term_months": "6"}, url)
    assert response.status_code == 302
    assert trading.get_request(access_request.id, actor=world.buyer).term_months == 6

    response = _post(broker, f"{url}/decision", {"decision": "decline"}, url)
    assert response.status_code == 422 and 'id="reason-errors"' in response.get_data(as_text=True)
    response = _post(broker, f"{url}/decision", {"decision": "decline", "reason": "用途与数据不符"}, url)
    assert response.status_code == 302
    page = _page(buyer, url)
    assert "用途与数据不符" in page and "badge-declined" in page and 'id="decision"' not in page


def test_monthly_report_lines_up_months_and_counts_only_succeeded_payments(world):
    product, offers = listed_with(world, ONE_OFF)
    contract = signed_contract(world, product, offers["One-off"])
    payment = payments.start_payment(contract.id, method="offline", actor=world.buyer)
    assert reports.monthly(actor=world.finance) == {}
    payments.confirm_offline(payment.id, bank_reference="B-1", actor=world.finance)
    now = payments.get_payment(payment.id, actor=world.buyer).succeeded_at
    rows = reports.monthly(actor=world.finance, now=now)["CNY"]
    assert len(rows) == 12 and rows[-1].month == f"{now:%Y-%m}"
    assert (rows[-1].amount_minor, rows[-1].fee_minor, rows[-1].count) == (1_234_550, 30_864, 1)
    assert sum(row.amount_minor for row in rows[:-1]) == 0
    assert reports.monthly(actor=world.broker_a, now=now)["CNY"][-1].net_minor == 1_234_550 - 30_864
    assert reports.monthly(actor=world.buyer_b, now=now) == {}
    later = datetime(now.year + 2, 1, 15, tzinfo=UTC)
    assert reports.monthly(actor=world.finance, now=later) == {}
    assert reports.contracts_by_state(actor=world.buyer) == {"active": 1}
    assert reports.contracts_by_state(actor=world.broker_b) == {}
