"""HTTP caching of the public pages and reads (marketplace/httpcache.py): every public route answers anonymous
callers `public, max-age` with an ETag (and Last-Modified where the content has a time), 304 to a matching
conditional request, a new validator right after a listing changes, and `private, no-cache` to anyone signed in or
holding a token; no public response sets a cookie."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import flask_babel
import pytest
import time_machine
from flask import render_template_string
from sqlalchemy import update

from marketplace import httpcache
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Listing
from marketplace.extensions import db
from marketplace.registration import services as registration
from tests.builders import approved, bearer_for, listed
from tests.marketplace.consent.helpers import granted
from tests.marketplace.test_web import _csrf, _sign_in
from tests.sqlcount import counting_statements
from tests.trading_builders import personal_data_contract

MAX_AGE = 60
NEW_OFFERS = [{"name": "季度订阅", "name_en": "Quarterly subscription", "pricing_mode": "subscription",
               "billing_period": "month", "price_minor": 300_000, "term_months": 3}]


def _routes(world) -> dict[str, str]:
    """Every public route with a live object behind it: name -> URL."""
    contract = personal_data_contract(world)
    consent = granted(world, contract)
    product = listed(world.broker_b, world.reviewer, name="新会陈皮产业指数", name_en="Xinhui chenpi index")
    # Approved last: registering the listed products above would otherwise end its notice too.
    approved(world.broker_a, world.reviewer, name="电力负荷公示产品", name_en="Power load on notice")
    notice = registration.list_notices()[0]
    number = catalog.get_listing(product.id).certificate_number
    assert number and consent.number
    return {
        "catalog": "/", "search": "/?q=陈皮", "listing": f"/listings/{product.id}", "notices": "/notices",
        "notice": f"/notices/{notice.id}", "certificate": f"/certificates/{number}",
        "verify": f"/verify?number={number}", "personal certificate": f"/personal-certificates/{consent.number}",
        "dcat": "/catalog.jsonld", "keys": "/.well-known/exchange-keys.json",
        "api search": "/api/v1/listings?q=陈皮", "api listings": "/api/v1/listings",
        "api listing": f"/api/v1/listings/{product.id}", "api notices": "/api/v1/notices",
        "api certificate": f"/api/v1/certificates/{number}",
        "api personal certificate": f"/api/v1/personal-certificates/{consent.number}",
        "api checkpoint": "/api/v1/log/checkpoint",
    }


# Routes whose content has a modification time: a listing's, or the newest of any listing's.
DATED = ("catalog", "search", "listing", "dcat", "api search", "api listings", "api listing")
HTML = ("catalog", "search", "listing", "notices", "notice", "certificate", "verify", "personal certificate")


def _get(client, url, **headers):
    flask_babel.refresh()
    return client.get(url, headers={"Accept-Language": "en", **headers})


def _assert_public(response, url):
    assert response.status_code == 200, (url, response.status_code)
    assert response.headers["Cache-Control"] == f"public, max-age={MAX_AGE}", url
    assert {"Accept-Language", "Cookie"} <= set(response.vary), url
    assert response.get_etag()[0], url
    assert "Set-Cookie" not in response.headers, url


def _assert_private(response, url):
    assert response.status_code == 200, (url, response.status_code)
    assert response.cache_control.private and response.cache_control.no_cache, url
    assert not response.cache_control.public and "public" not in response.headers["Cache-Control"], url


@pytest.fixture
def routes(world):
    return _routes(world)


def test_anonymous_public_responses_are_shared_cacheable_with_validators(app, routes):
    client = app.test_client()
    for name, url in routes.items():
        response = _get(client, url)
        _assert_public(response, url)
        assert (response.last_modified is not None) == (name in DATED), url
    # Not one of those responses set a cookie: the client still holds none.
    assert client.get_cookie("session") is None


def test_a_matching_etag_or_date_answers_304_without_a_body(app, routes):
    client = app.test_client()
    for name, url in routes.items():
        first = _get(client, url)
        etag = first.headers["ETag"]
        again = _get(client, url, **{"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"", url
        # A 304 still says how it may be cached and which representation it confirms (RFC 9110 15.4.5).
        assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == first.headers["Cache-Control"]
        assert _get(client, url, **{"If-None-Match": '"something-else"'}).status_code == 200, url
        if name in DATED:
            since = first.headers["Last-Modified"]
            assert _get(client, url, **{"If-Modified-Since": since}).status_code == 304, url
            earlier = first.last_modified - timedelta(seconds=1)
            assert _get(client, url, **{"If-Modified-Since": earlier.strftime("%a, %d %b %Y %H:%M:%S GMT")}) \
                .status_code == 200, url
    etag = _get(client, routes["listing"]).headers["ETag"]
    assert client.head(routes["listing"], headers={"Accept-Language": "en", "If-None-Match": etag}).status_code == 304


def test_language_variants_have_their_own_validators(app, routes):
    client = app.test_client()
    for name in HTML:
        english, chinese = _get(client, routes[name]), _get(client, routes[name], **{"Accept-Language": "zh-CN"})
        assert '<html lang="en">' in english.get_data(as_text=True)
        assert '<html lang="zh-CN">' in chinese.get_data(as_text=True)
        assert english.headers["ETag"] != chinese.headers["ETag"], name
        # The English validator does not confirm the Chinese page.
        assert _get(client, routes[name], **{"Accept-Language": "zh-CN",
                                             "If-None-Match": english.headers["ETag"]}).status_code == 200, name


def test_signed_in_users_and_token_callers_get_private_no_cache(app, world, routes):
    browser = app.test_client()
    assert _sign_in(browser, world.buyer.email).status_code == 302
    for url in routes.values():
        response = _get(browser, url)
        _assert_private(response, url)
        assert response.get_etag()[0], url  # their own cache may still revalidate
    machine = app.test_client()
    token = bearer_for(machine, world.buyer)
    for name, url in routes.items():
        if name.startswith("api "):
            _assert_private(_get(machine, url, **token), url)


def test_a_change_to_a_listing_is_a_new_validator_on_the_next_request(app, world):
    product = listed(world.broker_a, world.reviewer, name="电力看信贷企业用电指数", name_en="Power-use index")
    client = app.test_client()
    watched = {"listing": f"/listings/{product.id}", "api listing": f"/api/v1/listings/{product.id}",
               "catalog": "/", "api listings": "/api/v1/listings", "dcat": "/catalog.jsonld"}
    changes = [
        ("edit", lambda: catalog.list_product(product.id, offers=NEW_OFFERS, venue="energy", actor=world.broker_a)),
        ("suspend", lambda: catalog.suspend_listing(product.id, reason="Checking the source", actor=world.admin)),
        ("relist", lambda: catalog.relist_listing(product.id, reason="Source confirmed", actor=world.admin)),
        ("delist", lambda: catalog.delist_listing(product.id, reason="No longer offered", actor=world.broker_a)),
    ]
    seen = {name: _get(client, url) for name, url in watched.items()}
    start = datetime.now(UTC)
    for step, (change_name, change) in enumerate(changes, start=1):
        # HTTP dates count whole seconds: each change happens in a later second than the last response.
        with time_machine.travel(start + timedelta(seconds=5 * step), tick=True):
            change()
            for name, url in watched.items():
                before, now = seen[name], _get(client, url)
                hidden = change_name in ("suspend", "delist") and name in ("listing", "api listing")
                if hidden:
                    assert now.status_code == 404, (change_name, url)
                    continue
                _assert_public(now, url)
                # `before` is the last 200 this URL gave (the listing's page before a suspension, after one).
                same = now.headers["ETag"] == before.headers["ETag"]
                # Only relisting may restore byte-identical content (the API's listing carries no state): then the
                # old ETag rightly still confirms it.
                assert not same or change_name == "relist", (change_name, url)
                assert _get(client, url, **{"If-None-Match": before.headers["ETag"]}).status_code \
                    == (304 if same else 200), (change_name, url)
                assert now.last_modified > before.last_modified, (change_name, url)
                assert _get(client, url, **{"If-Modified-Since": before.headers["Last-Modified"]}).status_code \
                    == 200, (change_name, url)
                seen[name] = now
    assert "Power-use index" not in _get(client, "/api/v1/listings").get_data(as_text=True)


def test_a_language_choice_or_a_visit_to_sign_in_does_not_resend_the_cookie(app, routes):
    client = app.test_client()
    chosen = _get(client, "/?lang=en", **{"Accept-Language": "zh-CN"})
    assert "Set-Cookie" in chosen.headers  # the choice itself is stored in the session…
    _assert_private(chosen, "/?lang=en")  # …so that response is not for everyone
    for url in (routes["catalog"], routes["listing"], routes["api listings"]):
        later = _get(client, url, **{"Accept-Language": "zh-CN"})
        _assert_public(later, url)  # Vary: Cookie keeps it apart from other visitors' copies
    assert '<html lang="en">' in _get(client, "/", **{"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert _get(client, "/sign-in").status_code == 200  # puts a CSRF token in the session
    _assert_public(_get(client, routes["catalog"]), routes["catalog"])


def test_a_flashed_message_is_never_shared(app, world):
    client = app.test_client()
    assert _sign_in(client, world.buyer.email).status_code == 302
    token = _csrf(_get(client, "/").get_data(as_text=True))
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    farewell = _get(client, "/")
    assert 'class="flashes"' in farewell.get_data(as_text=True)
    _assert_private(farewell, "/")  # the flash is taken out of the session, which is sent back
    _assert_public(_get(client, "/"), "/")


def test_a_page_carrying_a_csrf_token_is_never_public(app):
    app.add_url_rule("/cached-form", "cached_form", httpcache.public(
        lambda: render_template_string('<form method="post"><input name="csrf_token" value="{{ csrf_token() }}">')))
    response = _get(app.test_client(), "/cached-form")
    _assert_private(response, "/cached-form")


def test_the_max_age_is_configurable(app, world):
    product = listed(world.broker_a, world.reviewer)
    app.config["MARKETPLACE_PUBLIC_MAX_AGE"] = 5
    response = _get(app.test_client(), f"/listings/{product.id}")
    assert response.headers["Cache-Control"] == "public, max-age=5"


# The server-side copies of the catalog's public reads (@httpcache.public(stamp=...)).
KEPT = {"catalog": "/?q=陈皮", "listing": None, "api search": "/api/v1/listings?q=陈皮", "api listing": None,
        "dcat": "/catalog.jsonld"}


def _kept_urls(product_id: int) -> dict[str, str]:
    return {**KEPT, "listing": f"/listings/{product_id}", "api listing": f"/api/v1/listings/{product_id}"}


def test_an_anonymous_repeat_is_answered_from_the_copy_with_one_statement(app, world):
    product = listed(world.broker_b, world.reviewer, name="新会陈皮产业指数", name_en="Xinhui chenpi index")
    app.config["MARKETPLACE_PUBLIC_STAMP_SECONDS"] = 0  # the stamp is read on every request (the next test: less)
    client = app.test_client()
    for name, url in _kept_urls(product.id).items():
        first = _get(client, url)
        db.session.commit()  # the test's own session: nothing of it inside the counted request
        with counting_statements() as repeated:
            again = _get(client, url)
        _assert_public(again, url)
        assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"], name
        assert again.headers.get("Last-Modified") == first.headers.get("Last-Modified"), name
        assert again.content_type == first.content_type, name
        # Only the stamp is read: the search, the listing, the cards are not. (On PostgreSQL a read-only route's
        # transaction first says so: marketplace/replica.py.)
        reads = [sql for sql in repeated.seen if not sql.startswith("SET TRANSACTION READ ONLY")]
        assert len(reads) == 1 and "listings.updated_at" in reads[0], (name, repeated.summary())
        assert _get(client, url, **{"If-None-Match": first.headers["ETag"]}).status_code == 304, name


def test_a_listing_change_is_in_the_very_next_answer_despite_the_copy(app, world):
    product = listed(world.broker_b, world.reviewer, name="新会陈皮产业指数", name_en="Xinhui chenpi index")
    client = app.test_client()
    before = {name: _get(client, url) for name, url in _kept_urls(product.id).items()}
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=5), tick=True):
        catalog.list_product(product.id, offers=NEW_OFFERS, venue="agriculture", actor=world.broker_b)
        for name, url in _kept_urls(product.id).items():
            now = _get(client, url)
            assert now.headers["ETag"] != before[name].headers["ETag"], name
            if name != "catalog":  # the page shows offers on the listing only; the others carry them all
                assert "Quarterly subscription" in now.get_data(as_text=True) or "300000" in now.get_data(
                    as_text=True) or "季度订阅" in now.get_data(as_text=True), name
        catalog.delist_listing(product.id, reason="No longer offered", actor=world.broker_b)
        assert _get(client, f"/api/v1/listings/{product.id}").status_code == 404
        assert "Xinhui chenpi index" not in _get(client, "/api/v1/listings?q=陈皮").get_data(as_text=True)


def test_within_the_stamp_window_a_repeat_reads_nothing_and_a_change_from_elsewhere_shows_after_it(app, world):
    product = listed(world.broker_b, world.reviewer, name="新会陈皮产业指数", name_en="Xinhui chenpi index")
    app.config["MARKETPLACE_PUBLIC_STAMP_SECONDS"] = 0.5
    client = app.test_client()
    url = "/api/v1/listings?q=陈皮"
    _get(client, url)  # computed and kept (the first search also loads the word dictionary)
    db.session.commit()
    first = _get(client, url)  # the stamp is read again after that commit: the same copy
    with counting_statements() as repeated:
        again = _get(client, url)
    assert repeated.count == 0, repeated.summary()  # no commit here since the stamp was read
    assert again.get_data() == first.get_data()
    # Another process (a second worker, another machine) commits a change: no commit event reaches this one.
    later = datetime.now(UTC) + timedelta(seconds=5)
    with db.engine.begin() as connection:
        connection.execute(update(Listing).where(Listing.product_id == product.id).values(updated_at=later))
    with counting_statements() as within:
        stale = _get(client, url)
    assert within.count == 0 and stale.headers["Last-Modified"] == first.headers["Last-Modified"]  # still the copy
    time.sleep(0.6)
    with counting_statements() as after_window:
        fresh = _get(client, url)
    # The stamp moved: the search ran again (its body is the same, as only the date changed).
    assert any("listings.updated_at" in sql for sql in after_window.seen), after_window.summary()
    assert after_window.count > 2, after_window.summary()
    assert fresh.headers["Last-Modified"] != first.headers["Last-Modified"]


def test_signed_in_and_token_callers_are_never_answered_from_the_copy(app, world):
    product = listed(world.broker_b, world.reviewer, name="新会陈皮产业指数", name_en="Xinhui chenpi index")
    anonymous = app.test_client()
    url = f"/listings/{product.id}"
    assert _get(anonymous, url).status_code == 200  # the copy exists now
    signed_in = app.test_client()
    assert _sign_in(signed_in, world.broker_b.email).status_code == 302
    db.session.commit()
    with counting_statements() as own:
        page = _get(signed_in, url)
    _assert_private(page, url)
    assert own.count > 1  # computed for this user, with their controls
    assert page.get_data() != _get(anonymous, url).get_data()
    machine = app.test_client()
    headers = bearer_for(machine, world.buyer)
    db.session.commit()
    with counting_statements() as api:
        answer = _get(machine, f"/api/v1/listings/{product.id}", **headers)
    _assert_private(answer, url)
    assert api.count > 1


def test_the_copy_is_per_language(app, world):
    product = listed(world.broker_b, world.reviewer, name="新会陈皮产业指数", name_en="Xinhui chenpi index")
    client = app.test_client()
    url = f"/listings/{product.id}"
    english = _get(client, url)
    chinese = _get(client, url, **{"Accept-Language": "zh-CN"})
    assert english.get_data() != chinese.get_data()
    assert '<html lang="en">' in _get(client, url).get_data(as_text=True)
    assert '<html lang="zh' in _get(client, url, **{"Accept-Language": "zh-CN"}).get_data(as_text=True)


def test_a_304_is_never_kept_as_the_copy(app, world):
    product = listed(world.broker_b, world.reviewer, name="新会陈皮产业指数", name_en="Xinhui chenpi index")
    client = app.test_client()
    for name, url in _kept_urls(product.id).items():
        etag = _get(client, url).headers["ETag"]
        httpcache.forget()  # as after a restart, or the catalog's stamp moving on an unrelated change
        assert _get(client, url, **{"If-None-Match": etag}).status_code == 304, name
        again = _get(client, url)
        assert again.status_code == 200 and again.headers["ETag"] == etag and again.get_data(), name
