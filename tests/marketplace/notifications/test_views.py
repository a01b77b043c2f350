"""The inbox page in both languages, marking read through forms and the API, and the webhooks page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.notifications import services as notifications
from marketplace.notifications.models import Notification
from tests.builders import bearer_for
from tests.marketplace.test_web import _csrf, _sign_in
from tests.trading_builders import ONE_OFF, listed_with, requested, signed_contract


@pytest.fixture
def contract(world):
    product, offers = listed_with(world, ONE_OFF)
    return signed_contract(world, product, offers["One-off"])


def _ids(user) -> list[int]:
    return list(db.session.scalars(select(Notification.id).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


@pytest.mark.parametrize("lang, html_lang, product, other", [
    ("en", "en", "Jiangmen industrial electricity index", "江门工业用电指数"),
    ("zh", "zh-CN", "江门工业用电指数", "Jiangmen industrial electricity index"),
])
def test_inbox_renders_in_both_languages(client, world, contract, lang, html_lang, product, other):
    _sign_in(client, world.buyer.email)
    response = client.get(f"/inbox?lang={lang}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{html_lang}">' in html
    assert product in html and other not in html
    assert contract.number in html
    assert html.count('class="notification-unread"') == 6
    assert f'href="/trading/contracts/{contract.id}"' in html


def test_the_inbox_needs_a_signed_in_user(client):
    response = client.get("/inbox")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_mark_one_and_all_read_with_forms(client, world, contract):
    _sign_in(client, world.buyer.email)
    token = _csrf(client.get("/inbox?lang=en").get_data(as_text=True))
    first, *rest = _ids(world.buyer)

    response = client.post(f"/inbox/{first}/read", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Notification, first).read_at is not None
    assert "5 unread notifications" in client.get("/inbox").get_data(as_text=True)

    assert client.post(f"/inbox/{first}/read").status_code == 400  # no CSRF token
    someone_elses = _ids(world.broker_a)[0]
    assert client.post(f"/inbox/{someone_elses}/read", data={"csrf_token": token}).status_code == 404

    response = client.post("/inbox/read-all", data={"csrf_token": token}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "5 notifications marked read." in html and "0 unread notifications" in html
    assert notifications.unread_count(actor=world.broker_a) == 6


def test_the_dashboard_shows_the_latest(client, world, contract):
    _sign_in(client, world.broker_a.email)
    html = client.get("/dashboard?lang=en").get_data(as_text=True)
    assert "Inbox (6 unread)" in html and "The exchange countersigned contract" in html


def test_the_inbox_over_the_api(client, world, contract):
    headers = bearer_for(client, world.buyer)
    response = client.get("/api/v1/notifications?per_page=2", headers=headers)
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["total"], body["unread"], len(body["items"])) == (6, 6, 2)
    newest = body["items"][0]
    assert newest["event"] == "contract.countersign" and newest["read_at"] is None
    assert newest["message"] == f"The exchange countersigned contract {contract.number} for " \
                                "Jiangmen industrial electricity index."

    response = client.post(f"/api/v1/notifications/{newest['id']}/read", headers=headers)
    assert response.status_code == 200 and response.json["read_at"]
    assert client.get("/api/v1/notifications?unread=true", headers=headers).json["total"] == 5
    other = bearer_for(client, world.broker_b)
    assert client.post(f"/api/v1/notifications/{newest['id']}/read", headers=other).status_code == 404
    assert client.post("/api/v1/notifications/read-all", headers=headers).json == {"marked": 5}
    assert client.get("/api/v1/notifications").status_code == 401


def test_an_admin_registers_sees_the_secret_once_and_revokes(client, world):
    _sign_in(client, world.broker_a.email)
    page = client.get("/organization/webhooks?lang=en")
    assert page.status_code == 200
    token = _csrf(page.get_data(as_text=True))

    response = client.post("/organization/webhooks", data={"csrf_token": token, "url": "http://example.test/x"})
    assert response.status_code == 422
    response = client.post("/organization/webhooks", data={"csrf_token": token, "url": "https://hooks.a.test/in"})
    assert response.status_code == 201
    secret = re.search(r'id="webhook-secret">([^<]+)<', response.get_data(as_text=True)).group(1)
    assert secret.startswith("whsec_")
    listing = client.get("/organization/webhooks").get_data(as_text=True)
    assert "https://hooks.a.test/in" in listing and secret not in listing

    [endpoint] = notifications.list_endpoints(actor=world.broker_a)
    response = client.post(f"/organization/webhooks/{endpoint.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert not endpoint.active


def test_members_who_are_not_admins_get_403(client, world):
    _sign_in(client, world.broker_a2.email)
    assert client.get("/organization/webhooks").status_code == 403


def test_a_request_shows_in_the_providers_inbox(client, world):
    product, offers = listed_with(world, ONE_OFF)
    requested(world, product, offers["One-off"])
    _sign_in(client, world.broker_a2.email)
    html = client.get("/inbox?lang=en").get_data(as_text=True)
    assert "Bank requested access to Jiangmen industrial electricity index" in html
