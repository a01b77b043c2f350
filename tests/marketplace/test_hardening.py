"""Hardening across features: failed credential checks throttled (sign-in, signing re-authentication, OAuth
client secrets), foreign origins refused on cookie-authenticated state changes, and no secret in any log record."""

from __future__ import annotations

import json
import logging
import re
import time

import pytest

from compliance.identifiers import make_resident_id
from marketplace import app_factory
from marketplace.accounts import services as accounts
from marketplace.errors import Forbidden
from marketplace.ratelimit import TooManyAttempts
from tests.builders import PASSWORD, basic_auth, bearer_for, ready_draft
from tests.marketplace.test_web import _csrf, _sign_in
from tests.trading_builders import ONE_OFF, approved_contract, listed_with

WRONG = "not the password 1"
OTHER_ADDRESS = {"REMOTE_ADDR": "192.0.2.7"}


@pytest.fixture
def throttled(app):
    app.config.update(MARKETPLACE_SIGNIN_MAX_FAILURES=3, MARKETPLACE_SIGNIN_WINDOW_SECONDS=900)
    return app


def _attempt(client, email, password, **kwargs):
    token = _csrf(client.get("/sign-in", **kwargs).get_data(as_text=True))
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token}, **kwargs)


# --- Failed sign-ins are throttled (ASVS 6.3.1) ---------------------------------------------------------------

def test_after_the_failures_even_the_right_password_waits(throttled, client, world):
    email = world.broker_a.email
    for _ in range(3):
        assert _attempt(client, email, WRONG).status_code == 401
    refused = _attempt(client, email, PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 900
    assert 'name="password"' in refused.get_data(as_text=True), "the sign-in form again, with the reason"
    assert client.get("/my/products").status_code == 302, "a throttled sign-in must not sign in"


def test_the_throttle_is_per_account_and_address(throttled, app, client, world):
    for _ in range(3):
        _attempt(client, world.broker_a.email, WRONG)
    assert _attempt(client, world.broker_a.email, PASSWORD).status_code == 429
    assert _attempt(app.test_client(), world.broker_b.email, PASSWORD).status_code == 302
    elsewhere = app.test_client()
    assert _attempt(elsewhere, world.broker_a.email, PASSWORD, environ_overrides=OTHER_ADDRESS).status_code == 302


def test_the_right_password_works_once_the_window_has_passed(throttled, client, world):
    throttled.config["MARKETPLACE_SIGNIN_WINDOW_SECONDS"] = 1
    for _ in range(3):
        _attempt(client, world.broker_a.email, WRONG)
    assert _attempt(client, world.broker_a.email, PASSWORD).status_code == 429
    time.sleep(1.1)
    assert _attempt(client, world.broker_a.email, PASSWORD).status_code == 302


def test_a_success_before_the_limit_forgets_earlier_typos(throttled, app, world):
    client = app.test_client()
    for _ in range(2):
        _attempt(client, world.broker_a.email, WRONG)
    assert _attempt(client, world.broker_a.email, PASSWORD).status_code == 302
    fresh = app.test_client()
    for _ in range(2):
        assert _attempt(fresh, world.broker_a.email, WRONG).status_code == 401
    assert _attempt(fresh, world.broker_a.email, PASSWORD).status_code == 302


def test_unknown_and_known_accounts_are_throttled_alike(throttled, client, world):
    def page(response, email):
        return response.get_data(as_text=True).replace(email, "")

    answers = {}
    for email in (world.broker_a.email, "nobody@x.test"):
        statuses = [_attempt(client, email, WRONG).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        answers[email] = _attempt(client, email, WRONG)
    known, unknown = answers.values()
    assert known.status_code == unknown.status_code == 429
    values = re.compile(r'value="[^"]*"')
    assert values.sub("", page(known, world.broker_a.email)) == values.sub("", page(unknown, "nobody@x.test"))


def test_signing_reauthentication_is_throttled(throttled, world):
    with throttled.test_request_context("/trading/contracts/1/sign", method="POST"):
        for _ in range(3):
            with pytest.raises(Forbidden):
                accounts.reauthenticate(world.buyer, WRONG)
        with pytest.raises(TooManyAttempts):
            accounts.reauthenticate(world.buyer, PASSWORD)
    with throttled.test_request_context("/", environ_overrides=OTHER_ADDRESS):
        accounts.reauthenticate(world.buyer, PASSWORD)  # another address is not held back


def test_signing_a_contract_in_the_browser_answers_429_after_the_failures(throttled, app, world):
    product, offers = listed_with(world, ONE_OFF)
    contract = approved_contract(world, product, offers["One-off"])
    client = app.test_client()
    assert _sign_in(client, world.buyer.email).status_code == 302
    url = f"/trading/contracts/{contract.id}"

    def sign(password):
        token = _csrf(client.get(url).get_data(as_text=True))
        return client.post(f"{url}/sign", data={"password": password, "document_hash": contract.document_hash,
                                                "lock_version": str(contract.lock_version), "csrf_token": token})

    assert [sign(WRONG).status_code for _ in range(3)] == [403, 403, 403]
    assert sign(PASSWORD).status_code == 429


def test_signing_through_the_api_with_the_cookie_answers_429_after_the_failures(throttled, app, world):
    product, offers = listed_with(world, ONE_OFF)
    contract = approved_contract(world, product, offers["One-off"])
    client = app.test_client()
    _sign_in(client, world.buyer.email)
    headers = {"X-CSRFToken": _csrf(client.get("/my/products").get_data(as_text=True)), "Accept-Language": "en"}
    url = f"/api/v1/contracts/{contract.id}/sign"

    def sign(password):
        return client.post(url, json={"password": password, "document_hash": contract.document_hash,
                                      "lock_version": contract.lock_version}, headers=headers)

    assert [sign(WRONG).status_code for _ in range(3)] == [403, 403, 403]
    refused = sign(PASSWORD)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"


def test_token_endpoint_throttles_failed_client_secrets(throttled, client, world):
    oauth_client, secret = accounts.create_client(name="t", scopes=None, actor=world.broker_a)

    def token(presented, **kwargs):
        return client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           headers={"Authorization": basic_auth(oauth_client.client_id, presented)}, **kwargs)

    assert [token("wrong-secret").status_code for _ in range(3)] == [401, 401, 401]
    refused = token(secret)
    assert refused.status_code == 429 and "access_token" not in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    assert token(secret, environ_overrides=OTHER_ADDRESS).status_code == 200
    # client_secret_post is keyed by the same client id
    post = client.post("/oauth/token", data={"grant_type": "client_credentials",
                                             "client_id": oauth_client.client_id, "client_secret": secret})
    assert post.status_code == 429


# --- A foreign Origin is refused on cookie-authenticated state changes (ASVS 3.5.1) ---------------------------

OWN = "http://localhost"
FOREIGN = "https://evil.example"


def _products_form(client, **headers):
    token = _csrf(client.get("/my/products").get_data(as_text=True))
    return client.post("/sign-out", data={"csrf_token": token}, headers=headers)


@pytest.mark.parametrize(("headers", "status"), [
    ({"Origin": OWN}, 302),
    ({"Origin": "http://localhost:80"}, 302),
    ({}, 302),  # neither header: the CSRF token decides
    ({"Referer": f"{OWN}/my/products"}, 302),
    ({"Origin": FOREIGN}, 403),
    ({"Origin": "null"}, 403),
    ({"Origin": "http://localhost.evil.example"}, 403),
    ({"Origin": "http://localhost:8080"}, 403),
    ({"Referer": f"{FOREIGN}/page"}, 403),
    ({"Origin": FOREIGN, "Referer": f"{OWN}/my/products"}, 403),
])
def test_form_posts_with_the_cookie_check_the_origin(client, world, headers, status):
    _sign_in(client, world.broker_a.email)
    assert _products_form(client, **headers).status_code == status
    still_signed_in = client.get("/my/products").status_code == 200
    assert still_signed_in == (status == 403)


def test_api_cookie_calls_check_the_origin_too(client, world):
    product = ready_draft(world.broker_a)
    _sign_in(client, world.broker_a.email)
    token = _csrf(client.get("/my/products").get_data(as_text=True))
    url = f"/api/v1/products/{product.id}"
    foreign = client.patch(url, json={"description": "x"}, headers={"X-CSRFToken": token, "Origin": FOREIGN})
    assert foreign.status_code == 403 and foreign.mimetype == "application/problem+json"
    own = client.patch(url, json={"description": "y"}, headers={"X-CSRFToken": token, "Origin": OWN})
    assert own.status_code == 200


def test_bearer_calls_and_the_stripe_webhook_are_exempt(client, world):
    product = ready_draft(world.broker_a)
    bearer = bearer_for(client, world.broker_a)
    _sign_in(client, world.broker_a.email)  # a cookie rides along, as in a browser-based API client
    response = client.patch(f"/api/v1/products/{product.id}", json={"description": "z"},
                            headers={**bearer, "Origin": FOREIGN})
    assert response.status_code == 200
    webhook = client.post("/webhooks/stripe", data=b"{}", headers={"Origin": FOREIGN})
    assert webhook.status_code == 404  # reached the handler: card payments are not configured in tests


def test_a_foreign_page_posting_without_our_cookie_is_left_to_the_csrf_check(app):
    fresh = app.test_client(use_cookies=False)
    response = fresh.post("/sign-in", data={"email": "a@b.test", "password": "x"}, headers={"Origin": FOREIGN})
    assert response.status_code == 400  # CSRF token missing: refused, though not by the origin check


# --- No secret in logs or JSON ------------------------------------------------------------------------------

def test_main_flows_log_no_secret(app, client, world, caplog):
    caplog.set_level(logging.DEBUG)
    resident_id = make_resident_id("44070319900101456")
    subject = accounts.create_user(email="s2@people.test", name="s2", password=PASSWORD, role="subject",
                                   id_number=resident_id)
    oauth_client, secret = accounts.create_client(name="t", scopes=None, actor=world.broker_a)

    bodies = []
    bodies.append(_attempt(client, subject.email, WRONG))
    bodies.append(_attempt(client, subject.email, PASSWORD))
    bodies.append(client.get("/api/v1/me", headers={"Accept": "application/json"}))
    wrong = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                        headers={"Authorization": basic_auth(oauth_client.client_id, "wrong-secret")})
    bodies.append(wrong)
    issued = client.post("/oauth/token", data={"grant_type": "client_credentials",
                                               "client_id": oauth_client.client_id, "client_secret": secret})
    assert issued.status_code == 200
    access_token = issued.json["access_token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {access_token}"})
    assert me.status_code == 200
    bodies.append(me)
    bodies.append(client.get("/api/v1/me", headers={"Authorization": f"Bearer {access_token}x"}))
    bodies.append(client.post("/webhooks/stripe", data=json.dumps({"secret": "x"}),
                              headers={"Stripe-Signature": "t=1,v1=00", "Content-Type": "application/json"}))

    secrets = {"password": PASSWORD, "wrong password": WRONG, "client secret": secret,
               "wrong secret": "wrong-secret", "bearer token": access_token, "resident ID": resident_id,
               "resident ID (lower)": resident_id.lower()}
    records = caplog.get_records("setup") + caplog.get_records("call")
    assert records, "DEBUG logging produced nothing: the test would prove nothing"
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in records)
    for name, value in secrets.items():
        assert value not in logged, f"the {name} appears in a log record"
    for response in bodies:
        text = response.get_data(as_text=True)
        for name, value in secrets.items():
            assert value not in text, f"the {name} appears in the response to {response.request.path}"


# --- Behind a load balancer: the client's address from X-Forwarded-For, only when trusted -------------------------

BALANCER = {"REMOTE_ADDR": "10.0.0.2"}


def test_behind_a_trusted_balancer_the_throttle_counts_each_client(throttled, world):
    app_factory.trust_proxies(throttled, 1)
    for _ in range(3):
        _attempt(throttled.test_client(), world.broker_a.email, WRONG, environ_overrides=BALANCER,
                 headers={"X-Forwarded-For": "203.0.113.5"})
    assert _attempt(throttled.test_client(), world.broker_a.email, PASSWORD, environ_overrides=BALANCER,
                    headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 429
    # Another client behind the same balancer is not locked out by the first one's failures.
    assert _attempt(throttled.test_client(), world.broker_a.email, PASSWORD, environ_overrides=BALANCER,
                    headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 302


def test_without_trusted_proxies_a_forwarded_address_is_ignored(throttled, world):
    for i in range(3):  # a client making up a new address for each try
        _attempt(throttled.test_client(), world.broker_a.email, WRONG, headers={"X-Forwarded-For": f"192.0.2.{i}"})
    assert _attempt(throttled.test_client(), world.broker_a.email, PASSWORD,
                    headers={"X-Forwarded-For": "192.0.2.99"}).status_code == 429


def test_the_setting_installs_the_proxy_fix(tmp_path):
    from werkzeug.middleware.proxy_fix import ProxyFix

    from tests.fixtures import _config

    assert not isinstance(app_factory.create_app(_config(tmp_path)).wsgi_app, ProxyFix)
    trusting = app_factory.create_app({**_config(tmp_path), "MARKETPLACE_TRUSTED_PROXIES": 2}).wsgi_app
    assert isinstance(trusting, ProxyFix) and trusting.x_for == 2 and trusting.x_proto == 2
