"""Notifications through the services: who is told of each trading step, that a rolled-back step tells nobody,
e-mail to a real SMTP server, signed webhooks to a real HTTP endpoint, and who may register endpoints."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import time

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from marketplace import jobs
from marketplace.database import unit_of_work
from marketplace.errors import Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.lifecycle import transition
from marketplace.notifications import delivery, messages
from marketplace.notifications import services as notifications
from marketplace.notifications.models import Notification, WebhookDelivery
from marketplace.payments.states import PAYMENT
from marketplace.trading import services as trading
from marketplace.trading.models import AccessRequest
from marketplace.trading.states import ACCESS_REQUEST, CONTRACT, RequestAction
from tests.trading_builders import ONE_OFF, listed_with, requested, signed_contract

PRODUCT_ZH, PRODUCT_EN = "江门工业用电指数", "Jiangmen industrial electricity index"


def _events(user) -> list[str]:
    return list(db.session.scalars(select(Notification.event).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def one_off(world):
    product, offers = listed_with(world, ONE_OFF)
    return product, offers["One-off"]


def test_both_parties_hear_of_every_step_to_the_countersignature(world, one_off):
    contract = signed_contract(world, *one_off)

    expected = ["access_request.submit", "access_request.approve", "contract.generate", "contract.sign",
                "contract.sign", "contract.countersign"]
    for member in (world.buyer, world.broker_a, world.broker_a2):
        assert _events(member) == expected, member.email
    for outsider in (world.buyer_b, world.broker_b, world.admin, world.reviewer):
        assert _events(outsider) == []

    countersigned = db.session.scalars(select(Notification).where(Notification.user_id == world.buyer.id,
                                                                  Notification.event == "contract.countersign")).one()
    with force_locale("en"):
        assert notifications.message_of(countersigned) == (
            f"The exchange countersigned contract {contract.number} for {PRODUCT_EN}.")
    signed = db.session.scalars(select(Notification).where(Notification.user_id == world.broker_a.id,
                                                           Notification.event == "contract.sign")
                                .order_by(Notification.id)).first()
    with force_locale("en"):
        assert notifications.message_of(signed).startswith("Bank signed contract")


def test_payments_also_tell_the_exchange(world, one_off):
    from marketplace.payments import services as payments

    contract = signed_contract(world, *one_off)
    payments.start_payment(contract.id, method="offline", actor=world.buyer)
    assert _events(world.finance) == ["payment.create"]
    assert _events(world.buyer)[-1] == "payment.create"
    created = db.session.scalars(select(Notification).where(Notification.user_id == world.finance.id)).one()
    with force_locale("en"):
        assert "¥12,345.50" in notifications.message_of(created)


def test_a_rolled_back_transition_tells_nobody(app, world, one_off, smtp_server, hook_server):
    app.config["MARKETPLACE_SMTP_URL"] = smtp_server.url
    notifications.register_endpoint(url=hook_server.url, actor=world.broker_a)
    request = requested(world, *one_off)
    mails, hooks, rows = len(smtp_server.envelopes), len(hook_server.received), _count(Notification)
    assert (mails, hooks) == (3, 1)

    with pytest.raises(RuntimeError), unit_of_work():
        transition(db.session.get(AccessRequest, request.id), ACCESS_REQUEST, RequestAction.WITHDRAW,
                   actor=world.buyer)
        assert _count(Notification) == rows + 3  # written, and about to be rolled back
        raise RuntimeError("refused after the transition")

    assert _count(Notification) == rows
    assert _count(WebhookDelivery) == 1
    assert (len(smtp_server.envelopes), len(hook_server.received)) == (mails, hooks)

    # The next transaction that commits sends only what it wrote itself.
    trading.withdraw_request(request.id, actor=world.buyer, reason="budget moved")
    assert [json.loads(r.body)["type"] for r in hook_server.received] == ["access_request.submit",
                                                                          "access_request.withdraw"]
    assert len(smtp_server.envelopes) == mails + 3


def test_a_refused_decision_tells_nobody(world, one_off):
    request = requested(world, *one_off)
    before = _count(Notification)
    with pytest.raises(ValidationFailed):
        trading.decide_request(request.id, decision="decline", reason="  ", actor=world.broker_a)
    assert _count(Notification) == before


def test_each_member_gets_one_email_in_both_languages(app, world, one_off, smtp_server):
    app.config["MARKETPLACE_SMTP_URL"] = smtp_server.url
    requested(world, *one_off)

    received = {tuple(e.rcpt_tos): email.message_from_bytes(e.content, policy=email.policy.default)
                for e in smtp_server.envelopes}
    assert set(received) == {(world.buyer.email,), (world.broker_a.email,), (world.broker_a2.email,)}
    message = received[(world.buyer.email,)]
    assert message["To"] == world.buyer.email and message["From"] == "noreply@localhost"
    body = message.get_body().get_content()
    assert PRODUCT_ZH in body and PRODUCT_EN in body
    assert "Bank requested access to" in body
    assert "http://localhost/inbox" in body
    assert PRODUCT_EN in message["Subject"]


def test_a_mail_server_that_is_down_does_not_undo_the_step(app, world, one_off, caplog):
    from tests.marketplace.notifications.conftest import _free_port

    app.config["MARKETPLACE_SMTP_URL"] = f"smtp://127.0.0.1:{_free_port()}"
    request = requested(world, *one_off)
    assert trading.get_request(request.id, actor=world.buyer).state == "pending"
    assert _events(world.buyer) == ["access_request.submit"]
    assert "could not run or queue notifications.email" in caplog.text


def _signature(header: str) -> tuple[int, str]:
    fields = dict(part.split("=", 1) for part in header.split(","))
    return int(fields["t"]), fields["v1"]


def test_webhooks_are_signed_with_the_endpoints_secret(world, one_off, hook_server):
    endpoint, secret = notifications.register_endpoint(url=hook_server.url, actor=world.broker_a)
    assert secret.startswith("whsec_")
    requested(world, *one_off)

    [received] = hook_server.received
    assert received.path == "/hooks/exchange"
    assert received.headers["Content-Type"].startswith("application/json")
    timestamp, digest = _signature(received.headers["X-Exchange-Signature"])
    assert abs(time.time() - timestamp) < 60
    assert digest == hmac.new(secret.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256).hexdigest()
    wrong = hmac.new(b"whsec_wrong", f"{timestamp}.".encode() + received.body, hashlib.sha256).hexdigest()
    assert digest != wrong
    header = received.headers["X-Exchange-Signature"]
    assert delivery.verify(secret, header, received.body)
    assert not delivery.verify("whsec_wrong", header, received.body)
    assert not delivery.verify(secret, header, received.body + b" ")
    assert not delivery.verify(secret, header, received.body, now=timestamp + 3600)

    payload = json.loads(received.body)
    row = db.session.scalars(select(WebhookDelivery)).one()
    assert received.headers["X-Exchange-Event-Id"] == payload["id"] == row.event_id
    assert payload["type"] == "access_request.submit"
    assert payload["data"]["object_type"] == "access_request"
    assert payload["data"]["params"]["product"] == {"zh": PRODUCT_ZH, "en": PRODUCT_EN}
    assert PRODUCT_EN in payload["data"]["message"]["en"]
    assert (row.endpoint_id, row.attempts, row.last_status) == (endpoint.id, 1, 200)
    assert row.delivered_at is not None


def test_a_failed_webhook_is_recorded_and_can_be_sent_again(world, one_off, hook_server):
    notifications.register_endpoint(url=hook_server.url, actor=world.broker_a)
    hook_server.status["code"] = 500
    requested(world, *one_off)
    row = db.session.scalars(select(WebhookDelivery)).one()
    assert (row.attempts, row.last_status, row.delivered_at) == (1, 500, None)

    hook_server.status["code"] = 204
    db.session.commit()  # end the test's read snapshot, as a request would
    assert delivery.retry_undelivered() == {"webhooks_retried": 1, "webhooks_delivered": 1}  # housekeeping
    db.session.commit()
    assert (row.attempts, row.last_status) == (2, 204) and row.delivered_at is not None
    assert delivery.retry_undelivered() == {"webhooks_retried": 0, "webhooks_delivered": 0}
    first, second = hook_server.received
    assert first.headers["X-Exchange-Event-Id"] == second.headers["X-Exchange-Event-Id"]
    assert first.body == second.body

    jobs.enqueue(delivery.WEBHOOK_TASK, row.id)  # delivered: not sent a third time
    assert len(hook_server.received) == 2


def test_nobody_answering_is_recorded(world, one_off):
    from tests.marketplace.notifications.conftest import _free_port

    notifications.register_endpoint(url=f"http://127.0.0.1:{_free_port()}/gone", actor=world.broker_a)
    requested(world, *one_off)
    row = db.session.scalars(select(WebhookDelivery)).one()
    assert (row.attempts, row.last_status, row.delivered_at) == (1, None, None)
    assert row.last_error


def test_only_organisation_admins_manage_endpoints(world):
    for user in (world.broker_a2, world.buyer, world.reviewer):
        with pytest.raises(Forbidden):
            notifications.register_endpoint(url="https://hooks.example.test/x", actor=user)
    endpoint, _secret = notifications.register_endpoint(url="https://hooks.example.test/x", actor=world.broker_a)
    with pytest.raises(NotFound):
        notifications.revoke_endpoint(endpoint.id, actor=world.broker_b)
    with pytest.raises(Forbidden):
        notifications.list_endpoints(actor=world.broker_a2)
    assert [e.id for e in notifications.list_endpoints(actor=world.broker_a)] == [endpoint.id]
    assert notifications.list_endpoints(actor=world.broker_b) == []


@pytest.mark.parametrize("url", ["http://hooks.example.test/x", "ftp://127.0.0.1/x", "javascript:alert(1)",
                                 "https://user:pw@hooks.example.test/x", "https://", "hooks.example.test",
                                 "http://127.0.0.1.evil.test/x", "https://hooks.example.test:99999/x"])
def test_endpoint_urls_must_be_https_or_local(world, url):
    with pytest.raises(ValidationFailed) as refused:
        notifications.register_endpoint(url=url, actor=world.broker_a)
    assert "url" in refused.value.errors


@pytest.mark.parametrize("url", ["https://hooks.example.test/x", "http://localhost:9000/x", "http://127.0.0.1/x"])
def test_endpoint_urls_accepted(world, url):
    endpoint, _secret = notifications.register_endpoint(url=url, actor=world.broker_a)
    assert endpoint.url == url and endpoint.active


def test_a_revoked_endpoint_gets_nothing(world, one_off, hook_server):
    endpoint, _secret = notifications.register_endpoint(url=hook_server.url, actor=world.broker_a)
    notifications.revoke_endpoint(endpoint.id, actor=world.broker_a)
    requested(world, *one_off)
    assert hook_server.received == [] and _count(WebhookDelivery) == 0
    assert _events(world.broker_a) == ["access_request.submit"]


def test_inbox_lists_newest_first_and_marks_read(world, one_off):
    contract = signed_contract(world, *one_off)
    page = notifications.list_inbox(actor=world.buyer, per_page=4)
    assert (page.total, page.unread, len(page.items)) == (6, 6, 4)
    assert page.items[0].event == "contract.countersign"
    notifications.mark_read(page.items[0].id, actor=world.buyer)
    assert notifications.unread_count(actor=world.buyer) == 5
    with pytest.raises(NotFound):
        notifications.mark_read(page.items[1].id, actor=world.broker_a)
    assert notifications.list_inbox(actor=world.buyer, unread_only=True).total == 5
    assert notifications.mark_all_read(actor=world.buyer) == 5
    assert notifications.unread_count(actor=world.buyer) == 0
    assert notifications.unread_count(actor=world.broker_a) == 6
    assert contract.number


@pytest.mark.parametrize("lifecycle", [ACCESS_REQUEST, CONTRACT, PAYMENT], ids=lambda lc: lc.name)
def test_every_trading_event_has_a_message(lifecycle):
    actions = {action for (_state, action) in lifecycle.transitions}
    missing = {f"{lifecycle.name}.{action}" for action in actions} - set(messages.MESSAGES)
    assert not missing


def test_an_unknown_event_falls_back_to_a_generic_sentence(app):
    with force_locale("en"):
        fallback = messages.render("listing.suspend", {}, object_type="listing", object_id=7)
        assert fallback == "listing 7: listing.suspend."
        assert messages.render("contract.terminate", {"number": "C-1"}).endswith("was terminated: —")
