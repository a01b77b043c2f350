"""The catalog's HTML pages: search with facets, a listing's page, the broker's offers form, moderation forms."""

from __future__ import annotations

import html
import json
import re

import flask_babel
import pytest

from marketplace.catalog import services as catalog
from marketplace.catalog.models import Listing, Offer
from marketplace.extensions import db
from tests.builders import PASSWORD, listed, registered

PEEL = {"name": "新会陈皮产业指数", "name_en": "Xinhui tangerine peel index", "sector": "agriculture",
        "description": "Prices and output of Xinhui tangerine peel by grade.", "coverage_region": "440705"}


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _sign_in(client, user) -> None:
    token = _csrf(client.get("/sign-in").get_data(as_text=True))
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def _get(client, url, lang="en", **kwargs) -> str:
    flask_babel.refresh()
    response = client.get(url, headers={"Accept-Language": lang, "Accept": "text/html"}, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def _section(page: str, element_id: str) -> str:
    match = re.search(rf'<(section|div|fieldset|article|form)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    assert match, f"no #{element_id} on the page"
    return match.group(2)


def _link(fragment: str, text: str) -> str:
    match = re.search(rf'<a href="([^"]+)"[^>]*>\s*{re.escape(text)}', fragment)
    assert match, f"no link {text!r} in {fragment[:500]}"
    return html.unescape(match.group(1))


def _cards(page: str) -> list[str]:
    return re.findall(r'<article class="card listing-card"[^>]*>.*?</article>', page, re.S)


@pytest.fixture
def two_listed(world):
    """A peel index in the agriculture zone (provider B) and the default electricity index (provider A)."""
    peel = listed(world.broker_b, world.reviewer, venue="agriculture", **PEEL)
    power = listed(world.broker_a, world.reviewer)
    return peel, power


def test_search_finds_a_listed_product_by_two_chinese_characters_and_by_english(client, world, two_listed):
    peel, power = two_listed
    waiting = registered(world.broker_a, world.reviewer, name="陈皮仓储数据", name_en="Peel warehousing")

    page = _get(client, "/?q=陈皮", lang="zh")
    cards = _cards(page)
    assert len(cards) == 1 and "新会陈皮产业指数" in cards[0], "registered but unlisted products stay out"
    assert "Xinhui tangerine peel index" in cards[0], "the other language's name is shown second"
    assert f'href="/listings/{peel.id}"' in cards[0]
    assert "陈皮仓储数据" not in page and f"/listings/{waiting.id}" not in page

    page = _get(client, "/?q=tangerine", lang="en")
    cards = _cards(page)
    assert len(cards) == 1
    assert re.search(r"<h2><a [^>]*>Xinhui tangerine peel index</a></h2>", cards[0]), "English name first"
    assert "Provider B" in cards[0] and "Agriculture" in cards[0] and "File delivery" in cards[0]
    assert peel.registered.id and "¥0.50 / call" in cards[0], "the cheapest offer, formatted"
    number = db.session.scalar(db.select(Listing.certificate_number).where(Listing.product_id == peel.id))
    assert number and number in cards[0]
    assert ">1 product<" in page

    assert "No listed products match" in _get(client, "/?q=nonexistentword")


def test_facets_show_counts_and_their_links_add_and_remove_filters(client, world, two_listed):
    peel, power = two_listed
    page = _get(client, "/?sort=name", lang="en")
    assert len(_cards(page)) == 2
    sector = _section(page, "facet-sector")
    assert re.search(r">Agriculture</a>\s*<span class=\"count\">1</span>", sector)
    assert re.search(r">Energy</a>\s*<span class=\"count\">1</span>", sector)
    providers = _section(page, "facet-provider")
    assert "Provider A" in providers and "Provider B" in providers, "providers by name, not by USCC"
    pricing = _section(page, "facet-pricing")
    assert re.search(r">Subscription</a>\s*<span class=\"count\">2</span>", pricing)
    assert "440705" in _section(page, "facet-region"), "regions as given"

    url = _link(sector, "Agriculture")
    assert "sector=agriculture" in url and "sort=name" in url, "a facet link keeps the other parameters"
    filtered = _get(client, url)
    cards = _cards(filtered)
    assert len(cards) == 1 and "Xinhui tangerine peel index" in cards[0]
    chosen = _section(filtered, "facet-sector")
    assert 'aria-current="true"' in chosen
    # Facets are disjunctive: the other sector keeps its count while agriculture is chosen.
    assert re.search(r">Energy</a>\s*<span class=\"count\">1</span>", chosen)
    removal = _link(chosen, "Agriculture")
    assert "sector" not in removal and "sort=name" in removal
    assert len(_cards(_get(client, removal))) == 2

    # Venue tabs: the agriculture zone holds only the peel index.
    tabs = re.search(r'<nav class="tabs venue-tabs"[^>]*>(.*?)</nav>', page, re.S).group(1)
    assert "Main catalog" in tabs and "Agriculture zone" in tabs and "Finance zone" in tabs
    zone = _get(client, _link(tabs, "Agriculture zone"))
    assert [card for card in _cards(zone) if "tangerine" in card] == _cards(zone) and len(_cards(zone)) == 1

    uscc = world.provider_a.uscc
    by_provider = _cards(_get(client, f"/?provider={uscc}"))
    assert len(by_provider) == 1 and "electricity" in by_provider[0]


def test_pages_are_numbered_and_linked(client, world, app):
    app.config["MARKETPLACE_CATALOG_PAGE_SIZE"] = 1
    for n in range(3):
        listed(world.broker_a, world.reviewer, name=f"产品{n}号", name_en=f"Product {n}")
    page = _get(client, "/?sort=name&page=2")
    assert len(_cards(page)) == 1
    nav = re.search(r'<nav class="pagination"[^>]*>(.*?)</nav>', page, re.S).group(1)
    assert 'aria-current="page"' in nav and ">2</span>" in nav
    assert 'rel="prev"' in nav and 'rel="next"' in nav
    assert html.unescape(re.search(r'<a rel="next" href="([^"]+)"', nav).group(1)) in ("/?sort=name&page=3",
                                                                                        "/?page=3&sort=name")


@pytest.mark.parametrize("query", ["sort=cheapest", "page=0", "page=x", "per_page=1000", "q=" + "x" * 300])
def test_a_bad_search_is_a_422_page_not_a_500(client, query):
    flask_babel.refresh()
    response = client.get(f"/?{query}", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "The search is not valid." in response.get_data(as_text=True)


def test_the_listing_page_shows_offers_certificate_and_json_ld(client, world):
    offers = [
        {"name": "年度订阅", "name_en": "Annual subscription", "pricing_mode": "subscription",
         "billing_period": "year", "price_minor": 1_200_000, "term_months": 12, "licence": "Internal use only.",
         "usage_scope": "Credit decisions", "instant": True},
        {"name": "单次报告", "name_en": "One report", "pricing_mode": "one_off", "price_minor": 1_200_050},
        {"name": "面议定制", "name_en": "Custom", "pricing_mode": "negotiable"},
        {"name": "试用", "name_en": "Trial", "pricing_mode": "free"},
    ]
    product = listed(world.broker_a, world.reviewer, offers=offers)
    number = db.session.scalar(db.select(Listing.certificate_number).where(Listing.product_id == product.id))

    page = _get(client, f"/listings/{product.id}", lang="zh")
    table = _section(page, "offers")
    assert "¥12,000.00 / 年" in table
    assert "¥12,000.50" in table
    assert "面议" in table and "免费" in table
    assert "即时开通" in table and "Instant access" not in table
    assert "Internal use only." in table and "Credit decisions" in table
    assert "12 个月" in table

    page = _get(client, f"/listings/{product.id}", lang="en")
    table = _section(page, "offers")
    for text in ("¥12,000.00 / year", "¥12,000.50", "Negotiable", "Free", "Instant access", "Annual subscription",
                 "12 months", "Per year"):
        assert text in table, text
    certificate = _section(page, "certificate")
    assert f'href="/certificates/{number}"' in certificate
    assert f'href="/verify?number={number}"' in certificate
    assert "kwh" in _section(page, "field-dictionary")
    provider = _section(page, "provider")
    assert world.provider_a.uscc in provider and "Provider A" in provider
    assert "蓬江" in _section(page, "sample") or "month" in _section(page, "sample")

    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert block, "a JSON-LD block"
    document = json.loads(block.group(1))
    assert isinstance(document, dict) and document

    assert "moderation" not in page and "Edit offers" not in page, "the public sees no management forms"


def test_a_suspended_listing_is_hidden_from_the_public_but_shown_to_its_broker_with_the_reason(client, world):
    product = listed(world.broker_a, world.reviewer)
    catalog.suspend_listing(product.id, reason="Sample shows unmasked phone numbers.", actor=world.admin)

    flask_babel.refresh()
    assert client.get(f"/listings/{product.id}", headers={"Accept": "text/html"}).status_code == 404
    assert "江门工业用电指数" not in _get(client, "/")

    _sign_in(client, world.broker_b)  # another provider's broker
    flask_babel.refresh()
    assert client.get(f"/listings/{product.id}", headers={"Accept": "text/html"}).status_code == 404

    other = client.application.test_client()
    _sign_in(other, world.broker_a)
    page = _get(other, f"/listings/{product.id}")
    assert "Sample shows unmasked phone numbers." in page and "badge-suspended" in page
    detail = _get(other, f"/products/{product.id}")
    panel = _section(detail, "listing")
    assert "badge-suspended" in panel and "Sample shows unmasked phone numbers." in panel
    assert f'href="/products/{product.id}/listing"' in panel, "edit offers"


def test_the_broker_lists_a_product_through_the_offers_form(client, world):
    product = registered(world.broker_a, world.reviewer)
    _sign_in(client, world.broker_a)
    detail = _get(client, f"/products/{product.id}")
    assert "Not in the catalog yet." in _section(detail, "listing")
    form = _get(client, f"/products/{product.id}/listing")
    assert 'name="offers-0-name"' in form and 'name="offers-1-name"' in form and 'name="offers-2-name"' not in form
    token = _csrf(form)

    def post(**rows):
        data = {"csrf_token": token, "venue": "energy", "offers-1-pricing_mode": "one_off",
                "offers-1-currency": "CNY"}
        data.update(rows)
        flask_babel.refresh()
        return client.post(f"/products/{product.id}/listing", data=data,
                           headers={"Accept-Language": "en", "Accept": "text/html"})

    rejected = post(**{"offers-0-name": "单次", "offers-0-pricing_mode": "one_off", "offers-0-price": "1.005",
                       "offers-0-currency": "CNY"})
    assert rejected.status_code == 422
    page = rejected.get_data(as_text=True)
    assert "At most 2 decimal places." in _section(page, "offer-row-0")
    assert 'value="1.005"' in page, "the form comes back as typed"
    assert catalog.listing_of(product.id, actor=world.broker_a) is None

    unnamed = post(**{"offers-0-pricing_mode": "one_off", "offers-0-price": "10"})
    assert unnamed.status_code == 422 and "Give the offer a name." in unnamed.get_data(as_text=True)

    mismatched = post(**{"offers-0-name": "订阅", "offers-0-pricing_mode": "subscription", "offers-0-price": "5"})
    assert mismatched.status_code == 422
    assert "A subscription is billed per month or per year." in _section(mismatched.get_data(as_text=True),
                                                                         "offer-row-0")

    saved = post(**{"offers-0-name": "年度订阅", "offers-0-name_en": "Annual", "offers-0-pricing_mode": "subscription",
                    "offers-0-billing_period": "year", "offers-0-price": "12000.50", "offers-0-currency": "CNY",
                    "offers-0-term_months": "12", "offers-0-instant": "y", "offers-0-licence": "Internal use"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/listings/{product.id}")
    listing = catalog.listing_of(product.id, actor=world.broker_a)
    assert listing.state == "listed" and listing.venue == "energy"
    [offer] = listing.offers
    assert (offer.price_minor, offer.billing_period, offer.term_months, offer.instant) == (1_200_050, "year", 12, True)
    assert "¥12,000.50 / year" in _cards(_get(client, "/?q=用电"))[0], "in the very next search"

    # The form shows the saved offer back exactly; saving it again with a second row replaces the offers.
    form = _get(client, f"/products/{product.id}/listing")
    assert 'value="12000.50"' in form and 'name="lock_version"' in form
    lock = re.search(r'name="lock_version" value="(\d+)"', form).group(1)
    again = post(lock_version=lock, venue="main", **{
        "offers-0-name": "年度订阅", "offers-0-pricing_mode": "subscription", "offers-0-billing_period": "year",
        "offers-0-price": "12,000.50", "offers-1-name": "面议", "offers-1-pricing_mode": "negotiable"})
    assert again.status_code == 302
    db.session.expire_all()
    listing = catalog.listing_of(product.id, actor=world.broker_a)
    assert [(o.pricing_mode, o.price_minor) for o in listing.offers] == [("subscription", 1_200_050),
                                                                         ("negotiable", None)]
    assert listing.venue == "main"
    assert db.session.scalar(db.select(db.func.count()).select_from(Offer)) == 3, "old offers retired, not edited"

    stale = post(lock_version=lock, **{"offers-0-name": "x", "offers-0-pricing_mode": "free"})
    assert stale.status_code == 409


def test_another_providers_broker_cannot_open_the_offers_form(client, world):
    product = registered(world.broker_a, world.reviewer)
    _sign_in(client, world.broker_b)
    flask_babel.refresh()
    assert client.get(f"/products/{product.id}/listing", headers={"Accept": "text/html"}).status_code == 403
    anonymous = client.application.test_client()
    assert anonymous.get(f"/products/{product.id}/listing").status_code == 302  # to sign-in


def _moderate(client, product_id, action, reason, page=None):
    page = page or _get(client, f"/listings/{product_id}")
    form = _section(page, f"{action}-form") if f'id="{action}-form"' in page else ""
    token = _csrf(page)
    lock = re.search(r'name="lock_version" value="(\d+)"', form).group(1) if form else ""
    flask_babel.refresh()
    return client.post(f"/listings/{product_id}/{action}", data={"csrf_token": token, "reason": reason,
                                                                 "lock_version": lock},
                       headers={"Accept-Language": "en", "Accept": "text/html"})


def test_admin_suspends_relists_and_delists_through_the_forms(client, world):
    product = listed(world.broker_a, world.reviewer)
    _sign_in(client, world.admin)
    page = _get(client, f"/listings/{product.id}")
    assert 'id="suspend-form"' in page and 'id="delist-form"' in page and 'id="relist-form"' not in page

    empty = _moderate(client, product.id, "suspend", "  ", page)
    assert empty.status_code == 422 and "Give a reason" in empty.get_data(as_text=True)

    suspended = _moderate(client, product.id, "suspend", "Complaint under investigation.")
    assert suspended.status_code == 302 and suspended.headers["Location"].endswith(f"/listings/{product.id}")
    assert catalog.listing_of(product.id, actor=world.admin).state == "suspended"
    page = _get(client, f"/listings/{product.id}")
    assert "Complaint under investigation." in page and 'id="relist-form"' in page

    relisted = _moderate(client, product.id, "relist", "Complaint dismissed.", page)
    assert relisted.status_code == 302
    db.session.expire_all()
    assert catalog.listing_of(product.id, actor=world.admin).state == "listed"

    delisted = _moderate(client, product.id, "delist", "Provider asked us to.")
    assert delisted.status_code == 302 and delisted.headers["Location"].endswith(f"/products/{product.id}#listing")
    assert catalog.listing_of(product.id, actor=world.admin) is None
    flask_babel.refresh()
    assert client.get(f"/listings/{product.id}", headers={"Accept": "text/html"}).status_code == 404

    broker = client.application.test_client()
    _sign_in(broker, world.broker_a)
    panel = _section(_get(broker, f"/products/{product.id}"), "listing")
    assert "badge-delisted" in panel and "Provider asked us to." in panel
    assert "List in the catalog" in panel


def test_a_broker_cannot_suspend_but_may_delist_their_own_listing(client, world):
    product = listed(world.broker_a, world.reviewer)
    _sign_in(client, world.broker_a)
    page = _get(client, f"/listings/{product.id}")
    assert 'id="suspend-form"' not in page and 'id="delist-form"' in page and "Edit offers" in page

    lock = str(db.session.scalar(db.select(Listing.lock_version).where(Listing.product_id == product.id)))
    flask_babel.refresh()
    refused = client.post(f"/listings/{product.id}/suspend", data={"csrf_token": _csrf(page), "reason": "x",
                                                                   "lock_version": lock},
                          headers={"Accept": "text/html"})
    assert refused.status_code == 403
    assert catalog.listing_of(product.id, actor=world.broker_a).state == "listed"

    assert _moderate(client, product.id, "delist", "Withdrawn from sale.", page).status_code == 302
    assert catalog.listing_of(product.id, actor=world.broker_a) is None


@pytest.mark.parametrize(("lang", "texts"), [
    ("zh", ["<h1>已登记数据产品</h1>", "综合目录", "金融专区", "行业", "¥12,000.00 / 年"]),
    ("en", ["<h1>Registered data products</h1>", "Main catalog", "Finance zone", "Sector", "¥0.50 / call"]),
])
def test_catalog_pages_speak_both_languages(client, world, lang, texts):
    product = listed(world.broker_a, world.reviewer)
    home = _get(client, "/", lang=lang)
    listing = _get(client, f"/listings/{product.id}", lang=lang)
    for text in texts:
        assert text in home + listing, text
    assert f'<html lang="{"en" if lang == "en" else "zh-CN"}">' in listing
